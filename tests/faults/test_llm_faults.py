"""The LLM endpoint answering 429, 500 and timeouts, then recovering.

A real worker runs the openai backend against the local Chat Completions
server (``jobs.pipeline.testing.FakeChatServer``) with a 1 s request timeout,
so each scripted fault costs about a second of backoff. Short faults are
retried and the job completes; an outage longer than the retries fails the
job with a readable message and ``can_resume``, and the resume — once the
endpoint answers again — completes without paying for finished work twice.
"""

from __future__ import annotations

import pytest

from jobs.models import GenerationJob, JobRuntime, JobStatus
from jobs.services import job_create, job_resume
from narratives.models import Narrative
from tests.faults.conftest import (
    SHORT_BRIEF,
    assert_settled_once,
    billed_tokens,
    billed_usd,
    finished,
    provider_tokens,
    wait_for,
)

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

OK = ("ok",)  # any action the server does not know answers normally


def _env(fake_llm, attempts: int) -> dict[str, str]:
    return {**fake_llm.worker_env, "NF_LLM_MAX_ATTEMPTS": str(attempts), "NF_LLM_TIMEOUT_SECONDS": "1"}


def _ledger_calls(job_id) -> int:
    narrative = Narrative.objects.get(job_id=job_id)
    return sum(stage["calls"] for stage in narrative.metadata["usage_by_stage"].values())


def test_transient_429_500_and_timeouts_are_retried_and_the_job_completes(
    owner, project, workers, fake_llm, openai_settings
):
    fake_llm.script.extend(
        [
            ("status", 429, {"Retry-After": "0"}),  # call 1: rate limited once
            OK,
            OK,
            ("status", 500),  # call 3: a server error
            OK,
            ("sleep", 3.0),  # call 5: no answer within the 1 s timeout
            OK,
            ("status", 429, {"Retry-After": "1"}),  # call 7: three faults in a row, fourth attempt answers
            ("status", 503),
            ("sleep", 3.0),
        ]
    )
    workers.start(env=_env(fake_llm, attempts=4))
    job = job_create(user=owner, project=project, brief=SHORT_BRIEF)
    done = wait_for(lambda: finished(job.pk), timeout=60, interval=0.2, what="the job")
    assert done.status == JobStatus.COMPLETED, done.error_message
    assert done.retry_count == 0  # the backend's retries, not a resume
    faults = [s for s in fake_llm.served if s != "ok"]
    assert sorted(faults) == ["429", "429", "500", "503", "slow", "slow"]
    # Answered calls and requests abandoned on timeout (sent, so possibly billed) are in the ledger
    # and billed; refused attempts (429, 5xx) cost nothing.
    assert _ledger_calls(job.pk) == fake_llm.served.count("ok") + fake_llm.served.count("slow")
    assert_settled_once(job.pk, owner)
    wait_for(lambda: sum(1 for u in fake_llm.usage if u.get("abandoned")) == 2, timeout=10, what="hang-ups")
    assert billed_tokens(job.pk) == provider_tokens(fake_llm)


@pytest.mark.parametrize(
    "fault, readable, cause",
    [
        (("status", 500), ("kept failing", "HTTP 500", "after 3 attempt(s)"), "model_error"),
        (
            ("status", 429, {"Retry-After": "0"}),
            ("rate-limiting", "HTTP 429", "after 3 attempt(s)"),
            "model_error",
        ),
        (("sleep", 3.0), ("timed out", "no answer within 1 s", "after 3 attempt(s)"), "model_unreachable"),
    ],
    ids=["500", "429", "timeout"],
)
def test_an_outage_longer_than_the_retries_fails_resumably_and_the_resume_completes_after_recovery(
    owner, project, workers, fake_llm, openai_settings, fault, readable, cause
):
    # Five calls answer (stages 01-04 and more), then the endpoint is down for good.
    fake_llm.script.extend([OK] * 5 + [fault] * 1000)
    workers.start(env=_env(fake_llm, attempts=3))
    job = job_create(user=owner, project=project, brief=SHORT_BRIEF)
    failed = wait_for(lambda: finished(job.pk), timeout=45, interval=0.2, what="the outage to fail the job")
    assert failed.status == JobStatus.FAILED and failed.can_resume
    # The writer reads plain words (issue 11 §5); staff read the engine's account in the runtime row.
    assert "Resume the job in a few minutes" in failed.error_message, failed.error_message
    assert "http" not in failed.error_message and "Traceback" not in failed.error_message
    detail = JobRuntime.objects.get(pk=job.pk).error_detail
    assert all(part in detail for part in readable), detail
    assert JobRuntime.objects.get(pk=job.pk).failure_cause == cause  # the job page's words come from it
    assert not Narrative.objects.filter(job=job).exists()
    # What the five answered calls cost is billed now, once.
    assert billed_usd(job.pk) == pytest.approx(failed.actual_cost_usd, abs=1e-6) and billed_usd(job.pk) > 0
    answered_before = fake_llm.served.count("ok")
    assert answered_before == 5

    fake_llm.script.clear()  # the endpoint recovers
    job_resume(user=owner, job=job)
    done = wait_for(lambda: finished(job.pk), timeout=45, interval=0.2, what="the resumed job")
    assert done.status == JobStatus.COMPLETED, done.error_message
    assert GenerationJob.objects.get(pk=job.pk).retry_count == 1
    # No finished call was made or paid again: the ledger holds each answered call (and each
    # request abandoned on timeout) exactly once, and the provider's bill equals ours.
    assert _ledger_calls(job.pk) == fake_llm.served.count("ok") + fake_llm.served.count("slow")
    wait_for(
        lambda: len(fake_llm.usage) == fake_llm.served.count("ok") + fake_llm.served.count("slow"),
        timeout=10,
        what="the server to settle its hang-ups",
    )
    assert billed_tokens(job.pk) == provider_tokens(fake_llm)
    ledger = Narrative.objects.get(job=job).metadata["usage_by_stage"]
    assert ledger["brief_interpretation"]["calls"] == 1 and ledger["world_architecture"]["calls"] == 1
    assert_settled_once(job.pk, owner)
