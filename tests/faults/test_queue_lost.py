"""Found 3: Redis restarted empty while jobs were queued.

A redis-server of the test's own holds the queues. Four jobs are queued with
no worker running; Redis is killed and restarted empty, then a worker starts.
Jobs that had not run and spent nothing are queued again by the reaper under
the same attempt id and complete — the writer sees only a delay. A queued
job that already has spend (a resume with a checkpoint) cannot be silently
re-run: it ends failed, resumable, with the cause "queue lost".
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time

import pytest

from jobs.models import GenerationJob, JobRuntime, JobStatus
from jobs.services import job_create
from narratives.models import Narrative
from tests.faults.conftest import SHORT_BRIEF, finished, report, wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _redis_up(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2) as s:
            s.sendall(b"PING\r\n")
            return s.recv(16).startswith(b"+PONG")
    except OSError:
        return False


class OwnRedis:
    def __init__(self, tmp_path) -> None:
        if not shutil.which("redis-server"):
            raise AssertionError("redis-server is needed for the fault tests (apt-get install redis-server)")
        self.port = _free_port()
        self.dir = tmp_path
        self.proc: subprocess.Popen | None = None
        self.url = f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.dir),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for(lambda: _redis_up(self.port), timeout=10, what="redis-server")

    def kill(self) -> None:
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait(timeout=10)
            self.proc = None


@pytest.fixture
def own_redis(tmp_path, settings):
    redis = OwnRedis(tmp_path)
    redis.start()
    settings.RQ_QUEUES = {name: {**queue, "URL": redis.url} for name, queue in settings.RQ_QUEUES.items()}
    try:
        yield redis
    finally:
        redis.kill()


def test_jobs_queued_when_redis_restarts_empty_are_queued_again_and_complete(
    owner, project, workers, own_redis
):
    jobs = [job_create(user=owner, project=project, brief=SHORT_BRIEF) for _ in range(4)]
    # A resumed job with a checkpoint and spend: its queue entry is lost too.
    spent = job_create(user=owner, project=project, brief=SHORT_BRIEF)
    GenerationJob.objects.filter(pk=spent.pk).update(retry_count=1, actual_cost_usd=0.01, tokens_used=900)
    JobRuntime.objects.filter(pk=spent.pk).update(
        checkpoint={"completed_stages": ["brief_interpretation"], "model_calls": []},
        usage={"mini": {"prompt_tokens": 600, "completion_tokens": 300, "tokens": 900, "cost_usd": 0.01}},
    )
    own_redis.kill()
    own_redis.start()  # back, and empty
    env = {"REDIS_URL": own_redis.url, "NF_TEST_REDIS_URL": own_redis.url}
    workers.start(env=env)
    seen: dict[str, set[str]] = {job.pk: set() for job in jobs}

    def all_ended():
        for job in jobs:
            seen[job.pk].add(GenerationJob.objects.get(pk=job.pk).status)
        return all(finished(job.pk) for job in [*jobs, spent])

    restarted_at = time.monotonic()
    wait_for(all_ended, timeout=90, interval=0.1, what="the five jobs to end")
    report(
        "3 Redis restarted empty with 4 jobs queued (+1 with spend)",
        requeued_and_completed=sum(finished(j.pk).status == JobStatus.COMPLETED for j in jobs),
        all_ended_after_s=round(time.monotonic() - restarted_at, 1),
    )
    for job in jobs:
        row = GenerationJob.objects.get(pk=job.pk)
        assert row.status == JobStatus.COMPLETED, (row.status, row.error_message)
        assert JobStatus.FAILED not in seen[job.pk], "the writer saw the job failed"
        assert row.retry_count == 0 and row.error_message is None
        assert Narrative.objects.filter(job_id=job.pk).count() == 1
    lost = GenerationJob.objects.get(pk=spent.pk)
    assert lost.status == JobStatus.FAILED and lost.can_resume
    assert JobRuntime.objects.get(pk=spent.pk).failure_cause == "queue_lost"
    assert not Narrative.objects.filter(job_id=spent.pk).exists()
