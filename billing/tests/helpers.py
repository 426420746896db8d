"""Helpers for billing tests: real job endings through the runner and jobs.completion."""

from __future__ import annotations

import datetime as dt

BRIEF = {
    "production_type": "short_story",
    "genre": "fantasy",
    "inspiration": "A lighthouse keeper finds a map drawn in salt.",
    "target_words": 5000,
}


def utc(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=dt.UTC)


def spend(usd: float):
    """A total spend: a quarter on the mini tier, the rest on gpt4 (no tokens at all for $0)."""
    from jobs.pipeline.usage import TierUsage, Usage

    tokens = (1000, 3000) if usd else (0, 0)
    return Usage(
        {
            "mini": TierUsage(prompt_tokens=tokens[0], cost_usd=round(usd * 0.25, 6)),
            "gpt4": TierUsage(prompt_tokens=tokens[1], cost_usd=round(usd * 0.75, 6)),
        }
    )


def complete(job) -> None:
    """Run the job for real (offline engine, $0) to completion."""
    from jobs.attempt import run_job
    from jobs.models import GenerationJob

    job = GenerationJob.objects.get(pk=job.pk)
    assert run_job(job.pk, job.rq_job_id) == "completed"


def end_after_spending(job, usd: float, status: str = "failed", resumable: bool | None = None) -> None:
    """The worker claims the job, spends ``usd`` and the attempt ends failed or cancelled."""
    from jobs.attempt import claim
    from jobs.completion import job_fail
    from jobs.models import GenerationJob

    job = GenerationJob.objects.get(pk=job.pk)
    assert claim(job.pk, job.rq_job_id)
    ended = job_fail(
        job_id=job.pk,
        rq_job_id=job.rq_job_id,
        message="The model went away.",
        usage=spend(usd),
        status=status,
        resumable=resumable,
    )
    assert ended is not None and ended.status == status


def counters(user) -> tuple[int, float]:
    user.refresh_from_db()
    return user.monthly_generations_used, round(user.monthly_cost_used_usd, 6)
