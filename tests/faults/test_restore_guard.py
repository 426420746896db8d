"""Found 6: a restore with workers connected, and what it silently undid.

The test database is dumped with job A completed and job B running (its
checkpoint and spend as a worker leaves them). After the dump job C completes
(a narrative the restore will lose) and a real worker connects. ``restore_db``
must refuse while the worker is connected and jobs run, saying what would be
lost; with ``--yes`` it stops the worker, warns, restores, and ends job B
(failed, resumable, cause "restored") billed exactly once for the dump's
checkpoint spend — the reaper adds nothing afterwards.
"""

from __future__ import annotations

import time

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from billing.models import UsageLog
from jobs.models import GenerationJob, JobRuntime, JobStatus
from jobs.services import job_create
from narratives.models import Narrative
from tests.faults.conftest import SHORT_BRIEF, report, wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

SPENT = {"mini": {"prompt_tokens": 600, "completion_tokens": 300, "tokens": 900, "cost_usd": 0.01}}
CALL = {
    "stage": "brief_interpretation",
    "tier": "mini",
    "model": "gpt-4o-mini",
    "prompt_tokens": 600,
    "completion_tokens": 300,
    "cost_usd": 0.01,
    "latency_s": 1.0,
}


def _tokens_billed(job_id) -> int:
    return sum(UsageLog.objects.filter(job_id=job_id).values_list("tokens_used", flat=True))


def test_restore_refuses_with_workers_then_stops_them_warns_and_bills_no_checkpoint_twice(
    owner, project, workers, redis_conn, tmp_path, capsys
):
    from rq import Worker

    from jobs.attempt import run_job
    from jobs.reaper import reap_orphans

    a = job_create(user=owner, project=project, brief=SHORT_BRIEF)
    assert run_job(a.pk, a.rq_job_id) == "completed"
    b = job_create(user=owner, project=project, brief=SHORT_BRIEF)
    now = timezone.now()
    GenerationJob.objects.filter(pk=b.pk).update(
        status=JobStatus.RUNNING, started_at=now, tokens_used=900, actual_cost_usd=0.01
    )
    JobRuntime.objects.filter(pk=b.pk).update(
        heartbeat_at=now,
        usage=SPENT,
        checkpoint={"completed_stages": ["brief_interpretation"], "model_calls": [CALL]},
    )
    dump = tmp_path / "before.sql.gz"
    call_command("backup_db", out=str(dump))
    time.sleep(1.1)
    c = job_create(user=owner, project=project, brief={**SHORT_BRIEF, "inspiration": "After the dump."})
    assert run_job(c.pk, c.rq_job_id) == "completed"
    lost_title = Narrative.objects.get(job_id=c.pk).title
    worker = workers.start()
    wait_for(lambda: Worker.all(connection=redis_conn), timeout=20, what="the worker to connect")
    capsys.readouterr()

    with pytest.raises(CommandError) as refused:
        call_command("restore_db", str(dump))
    said = str(refused.value) + capsys.readouterr().out
    assert "1 worker(s) connected" in said and "queued or running" in said, said
    assert lost_title in said and "will be lost" in said, said
    assert Narrative.objects.filter(job_id=c.pk).exists()  # nothing was restored

    call_command("restore_db", str(dump), yes=True)
    out = capsys.readouterr().out
    assert "Stopped 1 worker(s)" in out and lost_title in out, out
    assert worker.wait(timeout=30) is not None  # the worker was shut down
    assert not Narrative.objects.filter(job_id=c.pk).exists()
    ended = GenerationJob.objects.get(pk=b.pk)
    assert ended.status == JobStatus.FAILED and ended.can_resume
    assert "restored from a backup" in ended.error_message
    assert JobRuntime.objects.get(pk=b.pk).failure_cause == "restored"
    assert _tokens_billed(b.pk) == 900  # the dump's checkpoint spend, once
    reap_orphans(stale_after=0, queued_grace=0)
    assert _tokens_billed(b.pk) == 900
    report(
        "6 restore with a worker connected",
        checkpoint_tokens=900,
        billed=_tokens_billed(b.pk),
        refused_first=True,
    )
    owner.refresh_from_db()
    assert owner.monthly_cost_used_usd == pytest.approx(
        sum(UsageLog.objects.filter(user=owner).values_list("cost_usd", flat=True)), abs=1e-9
    )


def test_a_worker_deaf_to_its_shutdown_command_is_stopped_by_signal_and_a_stuck_one_is_named(
    redis_conn, settings, tmp_path
):
    """restore_db --yes once gave up after a fixed 60 s on a loaded machine: the stop now waits on
    the workers' state. A worker on this host that does not act on its channel (still starting up,
    or starved) gets SIGTERM; one that survives even that is named, with its pid, when the grace
    (NF_RESTORE_WORKER_GRACE_SECONDS) runs out."""
    import signal
    import subprocess
    import sys
    import threading

    from rq import Worker

    from jobs.restoring import restore_stop_workers

    def fake_worker(name: str, *, ignore_term: bool) -> subprocess.Popen:
        # A process registered as an RQ worker that never reads its pubsub channel.
        code = "import signal, time\n" + (
            "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n" if ignore_term else ""
        )
        proc = subprocess.Popen([sys.executable, "-c", code + "time.sleep(120)"])
        threading.Thread(target=proc.wait, daemon=True).start()  # reaped at once, like a real worker's
        worker = Worker(["default"], connection=redis_conn, name=name)
        worker.register_birth()
        redis_conn.hset(worker.key, "pid", proc.pid)
        return proc

    deaf = fake_worker("deaf-worker", ignore_term=False)
    try:
        started = time.monotonic()
        assert restore_stop_workers(grace=30, nudge_after=0.5) == ["deaf-worker"]
        assert deaf.wait(timeout=10) == -signal.SIGTERM
        assert time.monotonic() - started < 15
        assert not Worker.all(connection=redis_conn)
    finally:
        deaf.kill()

    stuck = fake_worker("stuck-worker", ignore_term=True)
    try:
        settings.NF_RESTORE_WORKER_GRACE_SECONDS = 2
        with pytest.raises(TimeoutError) as gave_up:
            restore_stop_workers(nudge_after=0.2)
        said = str(gave_up.value)
        assert f"stuck-worker (pid {stuck.pid} on " in said and "NF_RESTORE_WORKER_GRACE_SECONDS" in said, (
            said
        )
        assert stuck.poll() is None  # SIGTERM (twice) did not stop it; nothing harsher was tried
        dump = tmp_path / "any.sql.gz"
        call_command("backup_db", out=str(dump))
        with pytest.raises(CommandError, match=r"Not restored: workers still connected .*stuck-worker"):
            call_command("restore_db", str(dump), yes=True)
    finally:
        stuck.kill()
        stuck.wait()
