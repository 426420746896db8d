"""How a run ends: exactly one of completed / failed / cancelled, billed once.

Every ending locks the job row and checks that it is still *this attempt's*
(status ``running`` and ``celery_task_id`` equal to the attempt's RQ job id),
so a task that runs twice, a zombie worker racing the reaper, or a stop
callback racing the task can never finish a job twice. Billing is by delta
(``billing.services.usage_bill_job``), so even a second ending would bill
nothing new.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from billing.models import OperationType
from billing.services import usage_bill_job
from jobs.checkpoint_store import checkpoint_discard_parts, checkpoint_stage_of, checkpoint_usage
from jobs.models import ACTIVE_STATUSES, CHAPTER_KINDS, GenerationJob, JobRuntime, JobStatus
from jobs.pipeline import PipelineResult
from jobs.pipeline.usage import Usage
from jobs.spend import spend_total, spend_write
from narraforge.causes import Cause
from narratives.services import narrative_create_from_job
from projects.services import world_record_narrative

log = logging.getLogger(__name__)

OPERATION_FOR_KIND = {
    JobRuntime.Kind.GENERATION: OperationType.GENERATION,
    JobRuntime.Kind.DRAFT: OperationType.GENERATION,
    JobRuntime.Kind.REVISION: OperationType.REVISION,
    JobRuntime.Kind.PLANNING: OperationType.PLANNING,
    # A chapter job is billed as a revision: its cost as metered, and one generation (README, Billing).
    **dict.fromkeys(CHAPTER_KINDS, OperationType.REVISION),
}


CANCELLED_MESSAGE = "Cancelled by you; finished work is kept and the job can be resumed."

_ENDING_FIELDS = [
    "status",
    "error_message",
    "can_resume",
    "completed_at",
    "duration_seconds",
    "tokens_used",
    "actual_cost_usd",
    "current_stage",
    "completed_stages",
    "progress_percentage",
    "updated_at",
]


def _locked_attempt(
    job_id: str, rq_job_id: str | None, from_status: str = JobStatus.RUNNING
) -> GenerationJob | None:
    # One lock order everywhere: the owner's user row, then the job, then its project.
    # job_create and job_resume lock the user first; ending a job updates the user's
    # counters, so taking the user row last here deadlocked against a concurrent
    # job_create of the same user (seen under bench/bench_load.py).
    owner_id = GenerationJob.objects.filter(pk=job_id).values_list("user_id", flat=True).first()
    if owner_id is not None:
        User.objects.select_for_update().filter(pk=owner_id).values_list("pk", flat=True).first()
    job = GenerationJob.objects.select_for_update().filter(pk=job_id).first()
    if job is None or job.status != from_status:
        return None
    if rq_job_id is not None and job.rq_job_id != rq_job_id:
        return None
    return job


def _spend_so_far(job_id: str, rq_job_id: str | None, attempt_usage: Usage | None) -> Usage | None:
    """Store the ending attempt's own spend, then return the job's: the sum of every attempt's record.

    None when no attempt ever recorded (then the caller's figure stands).
    """
    if attempt_usage is not None and rq_job_id:
        spend_write(job_id, rq_job_id, attempt_usage, None)
    return spend_total(job_id)


def _duration(job: GenerationJob, now) -> int:
    this_attempt = (now - job.started_at).total_seconds() if job.started_at else 0
    earlier = job.duration_seconds if (job.retry_count or 0) > 0 else 0
    return int(round((earlier or 0) + max(this_attempt, 0)))


def job_complete(
    *,
    job_id: str,
    rq_job_id: str | None,
    result: PipelineResult,
    usage: Usage,
    timing: dict[str, float] | None = None,
    checkpoint: dict[str, Any] | None = None,
    attempt_usage: Usage | None = None,
    connection: dict[str, Any] | None = None,
) -> GenerationJob | None:
    """One transaction: narrative (or plan), usage logs, project stats, user counters, job row.

    ``connection`` is what wrote it (``connections.services.job_connection_settle``): kept in the
    job's output and the narrative's metadata, so every version says which connection and models
    wrote it.

    ``usage`` is the job's total spend, all attempts included, raised to what the attempts' spend
    records say (``attempt_usage``: this attempt's own, stored first) where they hold more. Returns the
    ended job: ``completed``, or ``cancelled`` when a cancel committed first (``checkpoint``,
    the run's latest, is then kept to resume from). None when the job is not this attempt's.
    """
    with transaction.atomic():
        job = _locked_attempt(job_id, rq_job_id)
        if job is None:
            log.info("Job %s is not this attempt's to complete (%s); skipped.", job_id, rq_job_id)
            return None
        runtime = JobRuntime.objects.select_for_update().get(pk=job_id)
        usage = usage.max(_spend_so_far(job_id, rq_job_id, attempt_usage) or Usage())
        if runtime.cancel_requested_at is not None:
            # job_cancel takes the same locks in the same order, so a cancel it accepted has committed
            # before we got here: it wins. The run's work stays in its checkpoint; billed for what it spent.
            log.info("Job %s was cancelled before its completion committed; ending it cancelled.", job_id)
            return _end_locked(
                job,
                runtime,
                message=CANCELLED_MESSAGE,
                usage=usage,
                checkpoint=checkpoint,
                status=JobStatus.CANCELLED,
                progress=None,
                resumable=None,
                cause=Cause.CANCELLED,
            )
        now = timezone.now()
        output: dict[str, Any] = {
            "engine": (result.metadata or {}).get("engine"),
            "usage_by_tier": usage.to_dict(),
            "model_calls": len(result.model_calls or []),
        }
        if timing:
            output["timing"] = timing
        if connection is not None:
            output["connection"] = connection
            result.metadata = {**(result.metadata or {}), "connection": connection}
        if runtime.kind == JobRuntime.Kind.PLANNING:
            output.update({"kind": "plan", "plan": result.plan, "title": result.title or ""})
        else:
            if job.narratives.exists():  # belt and braces: one narrative per job, ever
                log.warning("Job %s already has a narrative; not creating another.", job_id)
                narrative = job.narratives.order_by("created_at").first()
            else:
                revision = runtime.kind == JobRuntime.Kind.REVISION
                narrative = narrative_create_from_job(
                    job=job,
                    result=result,
                    parent_narrative_id=runtime.parent_narrative_id,
                    revision_instructions=(
                        (job.production_brief or {}).get("revision_instructions", "") if revision else None
                    ),
                )
                if job.project is not None:
                    world_record_narrative(
                        project=job.project, world_mode=runtime.world_mode, metadata=narrative.metadata or {}
                    )
            output.update(
                {
                    "kind": "narrative",
                    "narrative_id": narrative.pk,
                    "title": narrative.title,
                    "word_count": narrative.word_count,
                    "overall_quality_score": narrative.overall_quality_score,
                    "version": narrative.version,
                }
            )
        usage_bill_job(
            job=job,
            usage=usage,
            operation_type=OPERATION_FOR_KIND.get(runtime.kind, OperationType.GENERATION),
            record_zero=True,
        )
        job.status = JobStatus.COMPLETED
        job.output = output
        job.completed_at = now
        job.duration_seconds = _duration(job, now)
        job.progress_percentage = 100.0
        job.current_stage = None
        job.completed_stages = list(result.completed_stages or job.completed_stages or [])
        job.tokens_used = usage.tokens
        job.actual_cost_usd = usage.cost_usd
        job.error_message = None
        job.can_resume = False
        job.save(update_fields=[*_ENDING_FIELDS, "output"])
        runtime.checkpoint = None
        runtime.checkpoint_stage = ""
        runtime.usage = usage.to_dict()
        runtime.cancel_requested_at = None
        runtime.failure_cause = ""
        runtime.save(
            update_fields=["checkpoint", "checkpoint_stage", "usage", "cancel_requested_at", "failure_cause"]
        )
        checkpoint_discard_parts(job.pk)
        return job


def job_fail(
    *,
    job_id: str,
    rq_job_id: str | None,
    message: str,
    usage: Usage | None,
    checkpoint: dict[str, Any] | None = None,
    status: str = JobStatus.FAILED,
    progress: dict[str, Any] | None = None,
    resumable: bool | None = None,
    from_status: str = JobStatus.RUNNING,
    cause: str = "",
    attempt_usage: Usage | None = None,
) -> GenerationJob | None:
    """End an attempt failed or cancelled: readable message, resumable with a checkpoint, billed once.

    ``cause`` is a ``narraforge.causes.Cause`` code, stored beside the job for the job page.
    """
    with transaction.atomic():
        job = _locked_attempt(job_id, rq_job_id, from_status)
        if job is None:
            return None
        runtime = JobRuntime.objects.select_for_update().get(pk=job_id)
        if attempt_usage is not None:
            usage = (usage or Usage()).max(_spend_so_far(job_id, rq_job_id, attempt_usage) or Usage())
        return _end_locked(
            job,
            runtime,
            message=message,
            usage=usage,
            checkpoint=checkpoint,
            status=status,
            progress=progress,
            resumable=resumable,
            cause=cause,
        )


def _end_locked(
    job: GenerationJob,
    runtime: JobRuntime,
    *,
    message: str,
    usage: Usage | None,
    checkpoint: dict[str, Any] | None,
    status: str,
    progress: dict[str, Any] | None,
    resumable: bool | None,
    cause: str,
) -> GenerationJob:
    """The failed/cancelled ending itself; the caller holds the user, job and runtime row locks."""
    if checkpoint is not None:
        runtime.checkpoint = checkpoint
        runtime.checkpoint_stage = checkpoint_stage_of(checkpoint)[:100]
        runtime.checkpoint_saved_at = timezone.now()
    if usage is None:
        # The worker is gone: its last progress write, but never less than its last checkpoint holds
        # (checkpoints with new spend are saved at once, progress at most once per interval), nor
        # than every attempt's spend records (a call in flight when the worker died included).
        usage = Usage.from_dict(runtime.usage).max(checkpoint_usage(runtime.checkpoint))
        usage = usage.max(spend_total(job.pk) or Usage())
    runtime.usage = usage.to_dict()
    runtime.failure_cause = cause or (Cause.CANCELLED if status == JobStatus.CANCELLED else "")
    runtime.save(
        update_fields=["checkpoint", "checkpoint_stage", "checkpoint_saved_at", "usage", "failure_cause"]
    )
    usage_bill_job(
        job=job,
        usage=usage,
        operation_type=OPERATION_FOR_KIND.get(runtime.kind, OperationType.GENERATION),
    )
    now = timezone.now()
    job.status = status
    job.error_message = message
    if resumable is None:
        # A checkpoint, or the plan a draft/revision starts from, is something to continue from.
        resumable = runtime.checkpoint is not None or runtime.kind in (
            JobRuntime.Kind.DRAFT,
            JobRuntime.Kind.REVISION,
            *CHAPTER_KINDS,
        )
    job.can_resume = resumable
    job.completed_at = now
    job.duration_seconds = _duration(job, now)
    job.tokens_used = max(usage.tokens, job.tokens_used or 0)
    job.actual_cost_usd = max(usage.cost_usd, job.actual_cost_usd or 0.0)
    if progress:
        for field in ("current_stage", "completed_stages", "progress_percentage"):
            if field in progress:
                setattr(job, field, progress[field])
    job.save(update_fields=_ENDING_FIELDS)
    return job


def job_finish_unfinished(
    *,
    job_id: str,
    rq_job_id: str | None = None,
    reason: str,
    cancelled: bool | None = None,
    cause: str = Cause.WORKER_LOST,
) -> GenerationJob | None:
    """End a running attempt whose worker is gone (reaper) or was killed (stop-job), from the DB."""
    runtime = JobRuntime.objects.filter(pk=job_id).first()
    if cancelled is None:
        cancelled = bool(runtime and runtime.cancel_requested_at)
    return job_fail(
        job_id=job_id,
        rq_job_id=rq_job_id,
        message=CANCELLED_MESSAGE if cancelled else reason,
        usage=None,
        status=JobStatus.CANCELLED if cancelled else JobStatus.FAILED,
        cause=Cause.CANCELLED if cancelled else cause,
    )


def job_bill_late_spend(*, job_id: str, attempt: str) -> bool:
    """An attempt that lost its job recorded spend after the job ended: bill the difference now."""
    with transaction.atomic():
        owner = GenerationJob.objects.filter(pk=job_id).values_list("user_id", flat=True).first()
        if owner is None:
            return False
        User.objects.select_for_update().filter(pk=owner).values_list("pk", flat=True).first()
        job = GenerationJob.objects.select_for_update().filter(pk=job_id).first()
        if job is None or job.status in ACTIVE_STATUSES:
            return False  # a live attempt's ending sums every row, this one's included
        total = spend_total(job_id)
        if total is None:
            return False
        runtime = JobRuntime.objects.select_for_update().filter(pk=job_id).first()
        kind = runtime.kind if runtime else JobRuntime.Kind.GENERATION
        usage_bill_job(
            job=job, usage=total, operation_type=OPERATION_FOR_KIND.get(kind, OperationType.GENERATION)
        )
        GenerationJob.objects.filter(pk=job_id).update(
            tokens_used=max(total.tokens, job.tokens_used or 0),
            actual_cost_usd=max(total.cost_usd, job.actual_cost_usd or 0.0),
        )
        if runtime is not None:
            JobRuntime.objects.filter(pk=job_id).update(usage=total.to_dict())
    log.warning(
        "Job %s: attempt %s recorded spend after the job ended; billed the difference.", job_id, attempt
    )
    return True
