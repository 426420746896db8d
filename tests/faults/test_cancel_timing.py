"""Issue 19: a cancel takes effect before the next model call or offline step, in every stage.

The workers run with the production heartbeat (3 s), so the test sees what a
writer sees: a cancel accepted during coherence validation of an offline epic
saga must not let stylisation, editorial review or output processing run; a
cancel accepted while a model call is in flight must not let another request
reach the model server.
"""

from __future__ import annotations

import time

import pytest

from jobs.models import GenerationJob, JobStatus
from jobs.services import job_cancel, job_create
from tests.faults.conftest import (
    SHORT_BRIEF,
    billed_tokens,
    billed_usd,
    finished,
    provider_tokens,
    report,
    wait_for,
)

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

PRODUCTION_HEARTBEAT = {"NF_HEARTBEAT_SECONDS": "3", "NF_CANCEL_GRACE_SECONDS": "10"}
LATER_STAGES = ("language_stylization", "editorial_review", "output_processing")
SAGA = {
    "production_type": "epic_saga",
    "genre": "fantasy",
    "inspiration": "A river that remembers every boat it ever carried.",
    "target_words": 120000,
}


def test_a_cancel_during_coherence_validation_stops_before_the_next_offline_step(owner, project, workers):
    workers.start(env={**PRODUCTION_HEARTBEAT, "NF_PROGRESS_INTERVAL_SECONDS": "0.05"})
    job = job_create(user=owner, project=project, brief=SAGA)
    wait_for(
        lambda: GenerationJob.objects.get(pk=job.pk).current_stage == "coherence_validation",
        timeout=60,
        interval=0.01,
        what="coherence validation",
    )
    job_cancel(user=owner, job=job)
    cancelled_at = time.monotonic()
    ended = wait_for(lambda: finished(job.pk), timeout=30, interval=0.05, what="the cancel")
    stopped_after = time.monotonic() - cancelled_at
    report("19 cancel during coherence validation (offline saga)", stopped_after_s=round(stopped_after, 2))
    assert ended.status == JobStatus.CANCELLED, ended.status
    ran_on = [key for key in LATER_STAGES if key in (ended.completed_stages or [])]
    assert ran_on == [], f"stages run after the cancel: {ran_on}"
    assert stopped_after < 10.0, stopped_after  # generous: the machine is shared; the stages are the point
    assert ended.can_resume


def test_a_cancel_during_a_model_call_lets_no_further_request_reach_the_model(
    owner, project, workers, fake_llm, openai_settings
):
    fake_llm.latency = 0.4
    workers.start(env={**fake_llm.worker_env, **PRODUCTION_HEARTBEAT})
    job = job_create(user=owner, project=project, brief=SHORT_BRIEF)
    wait_for(lambda: len(fake_llm.requests) >= 3, timeout=30, interval=0.01, what="three model calls")
    job_cancel(user=owner, job=job)
    requests_at_cancel = len(fake_llm.requests)
    ended = wait_for(lambda: finished(job.pk), timeout=30, interval=0.05, what="the cancel")
    assert ended.status == JobStatus.CANCELLED, ended.status
    report(
        "19 cancel during a model call",
        requests_after_cancel=len(fake_llm.requests) - requests_at_cancel,
        provider=provider_tokens(fake_llm),
        billed=billed_tokens(job.pk),
    )
    # The call in flight when the cancel committed may finish; none may start after it.
    assert len(fake_llm.requests) == requests_at_cancel
    assert billed_usd(job.pk) == pytest.approx(ended.actual_cost_usd, abs=1e-9)
