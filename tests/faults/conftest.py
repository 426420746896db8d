"""Fault tests: real workers, real PostgreSQL and Redis, a local LLM endpoint; loopback only.

The fixtures are the job tests' own (``jobs/tests/conftest.py``: fast reaper
tunables, a flushed test Redis db, ``Workers`` that start ``manage.py
rqworker`` processes, the fake Chat Completions server), re-used here rather
than copied. ``assert_settled_once`` is the check every fault test here ends with.

Covered here: PostgreSQL restarted or away for longer than the retries
(test_postgres_restart.py); the LLM endpoint answering 429, 500 and timeouts,
briefly and then for longer than the retries (test_llm_faults.py).
Covered end to end by the job tests, not repeated here (jobs/tests/test_worker.py):
a SIGKILLed worker — test_a_killed_worker_is_reaped_and_the_resume_pays_for_no_stage_or_segment_twice;
Redis restarted empty mid-run — test_a_redis_restart_mid_run_never_leaves_a_job_running.

Run: DATABASE_URL=postgres://postgres@127.0.0.1:5432/nf_faults \
     NF_TEST_REDIS_URL=redis://127.0.0.1:6379/8 .venv/bin/python -m pytest tests/faults -q
"""

from __future__ import annotations

import pytest

from jobs.tests.conftest import (  # noqa: F401 - fixtures re-used from the job tests
    SHORT_BRIEF,
    _fast_tunables,
    fake_llm,
    project,
    wait_for,
    workers,
)

TERMINAL = ("completed", "failed", "cancelled")


def finished(job_id):
    from jobs.models import GenerationJob

    job = GenerationJob.objects.get(pk=job_id)
    return job if job.status in TERMINAL else None


def billed_usd(job_id) -> float:
    from billing.models import UsageLog

    return round(sum(UsageLog.objects.filter(job_id=job_id).values_list("cost_usd", flat=True)), 9)


@pytest.fixture
def openai_settings(settings, fake_llm):  # noqa: F811
    """This process (job_create's estimate, job_resume) sees the same engine as the workers."""
    settings.NF_LLM_BACKEND = "openai"
    settings.OPENAI_API_KEY = "test-key"
    settings.OPENAI_BASE_URL = fake_llm.base_url
    return settings


def assert_settled_once(job_id, user) -> None:
    """Completed, exactly one narrative, every cost billed once, the user's counters equal the logs."""
    from billing.models import UsageLog
    from billing.services import usage_recompute
    from jobs.models import GenerationJob
    from narratives.models import Narrative

    job = GenerationJob.objects.get(pk=job_id)
    assert job.status == "completed", (job.status, job.error_message)
    assert not job.can_resume and job.error_message is None
    assert Narrative.objects.filter(job_id=job_id).count() == 1
    logs = UsageLog.objects.filter(job_id=job_id)
    assert logs.exists()
    assert billed_usd(job_id) == pytest.approx(job.actual_cost_usd, abs=1e-6)
    assert sum(logs.values_list("tokens_used", flat=True)) == job.tokens_used
    # One generation counted for the job, however many attempts it took.
    assert logs.filter(operation_type="generation").count() >= 1
    user.refresh_from_db()
    assert user.monthly_generations_used == 1
    assert user.monthly_cost_used_usd == pytest.approx(
        sum(UsageLog.objects.filter(user=user).values_list("cost_usd", flat=True)), abs=1e-6
    )
    assert usage_recompute(users=type(user).objects.filter(pk=user.pk)) == []


def report(fault: str, **figures) -> None:
    """Append one fault's figures (provider vs billed tokens, time to detection) as a JSON line to
    $NF_FAULT_REPORT when set: ``NF_FAULT_REPORT=var/faults.jsonl pytest tests/faults`` gives the
    closing note's table."""
    import json
    import os

    path = os.environ.get("NF_FAULT_REPORT")
    if path:
        with open(path, "a", encoding="utf-8") as fh:
            fh.write(json.dumps({"fault": fault, **figures}) + "\n")


def provider_tokens(server) -> int:
    """What the local model server billed: every answer it produced, and the prompts of hung-up requests."""
    with server.lock:
        return sum(u["prompt_tokens"] + u["completion_tokens"] for u in server.usage)


def billed_tokens(job_id) -> int:
    from billing.models import UsageLog

    return sum(UsageLog.objects.filter(job_id=job_id).values_list("tokens_used", flat=True))
