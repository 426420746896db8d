"""The monthly cost limit is a ceiling under concurrency (issue 11 §1): real workers, a verbose model.

The local Chat Completions server writes every answer to its ``max_tokens``,
so real cost runs well above the estimate — what broke the limit before:
three novels billed a free user $14.55 against $10. Prices are scaled so a
short story's estimate lets every job in, while their real cost would pass
the limit several times over.
"""

from __future__ import annotations

import json

import pytest

from billing.models import UsageLog
from jobs.models import GenerationJob, JobStatus
from jobs.pipeline.testing import FakeChatServer
from jobs.services import job_create
from jobs.tests.conftest import SHORT_BRIEF, wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

BASE_PRICES = {"gpt-4o-mini": (0.15, 0.60), "gpt-4o": (2.50, 10.00)}


def _prices(scale: float) -> dict[str, tuple[float, float]]:
    return {model: (p[0] * scale, p[1] * scale) for model, p in BASE_PRICES.items()}


def _all_finished(ids):
    jobs = list(GenerationJob.objects.filter(pk__in=ids))
    done = [j for j in jobs if j.status in (JobStatus.COMPLETED, JobStatus.FAILED, JobStatus.CANCELLED)]
    return jobs if len(done) == len(ids) else None


@pytest.mark.parametrize(("n_jobs", "n_workers", "price_scale"), [(3, 3, 15.0), (5, 2, 10.0)])
def test_concurrent_jobs_of_a_free_user_never_pay_the_provider_past_the_monthly_limit(
    n_jobs, n_workers, price_scale, owner, project, workers, settings
):
    prices = _prices(price_scale)
    assert owner.subscription_tier == "free" and owner.monthly_cost_limit_usd == 10.0
    with FakeChatServer(api_key="test-key", fill_max_tokens=True) as server:
        settings.NF_LLM_BACKEND = "openai"
        settings.OPENAI_API_KEY = "test-key"
        settings.OPENAI_BASE_URL = server.base_url
        settings.NF_MODEL_PRICES = {m: list(p) for m, p in prices.items()}
        env = {
            "NF_LLM_BACKEND": "openai",
            "OPENAI_API_KEY": "test-key",
            "OPENAI_BASE_URL": server.base_url,
            "NF_LLM_MAX_ATTEMPTS": "2",
            "NF_MODEL_PRICES": json.dumps(settings.NF_MODEL_PRICES),
        }
        for _ in range(n_workers):
            workers.start(env=env)
        jobs = [job_create(user=owner, project=project, brief=SHORT_BRIEF) for _ in range(n_jobs)]
        estimates = sum(j.estimated_cost_usd for j in jobs)
        assert estimates <= 10.0  # every job was let in on its estimate
        ended = wait_for(lambda: _all_finished([j.pk for j in jobs]), timeout=240, what="every job to end")

        provider_cost = server.reported_cost(prices)
        provider_tokens = server.reported_tokens()
    owner.refresh_from_db()
    logs = UsageLog.objects.filter(user=owner)
    billed_tokens = sum(logs.values_list("tokens_used", flat=True))
    billed_cost = sum(logs.values_list("cost_usd", flat=True))

    assert provider_cost <= owner.monthly_cost_limit_usd + 1e-9, (provider_cost, estimates)
    assert billed_tokens == provider_tokens
    assert billed_cost == pytest.approx(provider_cost, abs=1e-6)
    assert owner.monthly_cost_used_usd == pytest.approx(billed_cost, abs=1e-6)
    # The ceiling did bite (the model ran past every estimate) and said so in the writer's words.
    stopped = [j for j in ended if j.status == JobStatus.FAILED]
    assert stopped, [(j.status, j.error_message) for j in ended]
    for job in stopped:
        assert job.can_resume
        assert "monthly cost limit of $10.00" in job.error_message
        assert "Resume this job when you have room" in job.error_message
    assert all(j.status in (JobStatus.COMPLETED, JobStatus.FAILED) for j in ended)
