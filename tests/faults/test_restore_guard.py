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
