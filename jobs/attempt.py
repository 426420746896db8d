"""The body of the RQ task: claim the row, run the pipeline, end the attempt.

The task itself (``jobs.tasks.run_generation_job``) only calls ``run_job``.
(Not to be confused with ``jobs.pipeline.runner``, the framework-free stage runner.)
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import time
from typing import Any

from django.conf import settings
from django.db import InterfaceError, OperationalError, connection
from django.utils import timezone

from billing.selectors import usage_billed_for_job
from connections.selectors import connection_for_job
from connections.services import job_connection_settle
from jobs.cancelling import CancelProbe
from jobs.ceiling import CeilingGuard
from jobs.chapter_run import run_chapter_job
from jobs.checkpoint_store import CheckpointSaver, checkpoint_load, checkpoint_usage
from jobs.completion import job_bill_late_spend, job_complete, job_fail
from jobs.db_retry import with_db_retry
from jobs.engine_settings import (
    call_deadline_seconds,
    engine_backend,
    engine_config,
    job_cost_cap_usd,
)
from jobs.failures import staff_detail, writer_message
from jobs.heartbeat import Heartbeat
from jobs.live import LiveProse
from jobs.model_wait import ModelWait
from jobs.models import CHAPTER_KINDS, GenerationJob, JobRuntime, JobStatus
from jobs.pipeline import BudgetExceeded, Callbacks, PipelineCancelled, PipelineError, run_pipeline
from jobs.pipeline.brief import Brief
from jobs.pipeline.connection import Connection
from jobs.pipeline.errors import BackendError
from jobs.pipeline.usage import Usage
from jobs.progress import ProgressTracker
from jobs.spend import SpendRecorder, spend_write
from narraforge.causes import Cause, cause_for_backend
from narraforge.errors import UserFacingError
from narraforge.logging import bind as bind_log_context
from narraforge.redaction import secrets_in_use

log = logging.getLogger(__name__)

INTERNAL_ERROR = (
    "The generation stopped because of an internal error. It has been logged; "
    "you can resume the job, and finished work will not be paid for again."
)
DATABASE_LOST = (
    "The generation stopped because the database could not be reached for a while. Finished work "
    "is kept: resume the job to continue without paying for it again."
)


def claim(job_id: str, rq_job_id: str | None) -> bool:
    """queued → running, atomically; only the attempt whose RQ id is on the row may claim it."""
    now = timezone.now()
    with connection.cursor() as cursor:
        # One statement, one commit: the claim and the first heartbeat.
        cursor.execute(
            "WITH claimed AS ("
            " UPDATE generation_jobs SET status = 'running', started_at = %s, completed_at = NULL"
            " WHERE id = %s AND status = 'queued' AND (%s::varchar IS NULL OR celery_task_id = %s)"
            " RETURNING id),"
            " beat AS (UPDATE generation_job_runtime r SET heartbeat_at = %s, worker = %s"
            " FROM claimed WHERE r.job_id = claimed.id)"
            " SELECT id FROM claimed",
            [now, job_id, rq_job_id, rq_job_id, now, f"{socket.gethostname()}:{os.getpid()}"],
        )
        claimed = cursor.fetchone() is not None
    return claimed


def _stage_key(stage: Any) -> str:
    return getattr(stage, "key", None) or str(stage)


def _budget(job: GenerationJob, already_billed_usd: float, checkpoint_cost: float) -> float | None:
    """The ledger's static ceiling for this attempt: checkpoint spend + what the per-job cap still allows.

    The monthly limit is not a fixed number for a running job (other jobs of the
    user spend at the same time): ``jobs.ceiling.CeilingGuard`` checks it before every call.
    """
    cap = job_cost_cap_usd()
    if cap is None:
        return None
    return checkpoint_cost + max(cap - already_billed_usd, 0.0)


def run_job(job_id: str, rq_job_id: str | None = None) -> str:
    task_started = time.perf_counter()
    if not claim(job_id, rq_job_id):
        log.info("Job %s was not queued for attempt %s; nothing to do.", job_id, rq_job_id)
        return "skipped"
    job = GenerationJob.objects.select_related("user", "project", "runtime").get(pk=job_id)
    bind_log_context(user_id=job.user_id)
    try:
        # The job's connection, resolved now (the writer's key is decrypted here, in the worker only).
        model_connection, backend = connection_for_job(job_id)
    except UserFacingError as exc:  # the connection was deleted, or its key cannot be decrypted
        return _refuse_to_start(job_id, rq_job_id or job.rq_job_id, str(exc))
    # Whatever this attempt logs or stores as staff detail masks the key, however it got into the text.
    with secrets_in_use([model_connection.api_key]):
        return _run(job, rq_job_id, task_started, model_connection, backend)


def _refuse_to_start(job_id: str, rq_job_id: str, message: str) -> str:
    """End a claimed job before any model call: nothing was spent; the writer reads why."""
    ended = with_db_retry(
        lambda: job_fail(
            job_id=job_id,
            rq_job_id=rq_job_id,
            message=message,
            usage=Usage(),
            checkpoint=None,
            status=JobStatus.FAILED,
            progress=None,
            cause=Cause.MODEL_ERROR,
            attempt_usage=Usage(),
        ),
        what=f"ending of job {job_id}",
    )
    return JobStatus.FAILED if ended is not None else "superseded"


def _run(
    job: GenerationJob, rq_job_id: str | None, task_started: float, model_connection: Connection, backend: str
) -> str:
    job_id = job.pk
    wrote_with = with_db_retry(
        lambda: job_connection_settle(job_id=job_id, value=model_connection, backend=backend),
        what="the job's connection record",
    )
    runtime: JobRuntime = job.runtime
    rq_job_id = rq_job_id or job.rq_job_id
    checkpoint = checkpoint_load(job_id)  # the header and its parts, as the engine wrote it
    # A first attempt has no usage rows: they are written only when an attempt ends, and every
    # later attempt is a resume (retry_count + 1). One query less per job.
    billed_usage = usage_billed_for_job(job=job).usage if job.retry_count or checkpoint else Usage()
    ckpt_usage = checkpoint_usage(checkpoint)
    # Spend of earlier attempts that the checkpoint does not carry (calls after its last save).
    base_usage = billed_usage - ckpt_usage
    tracker = ProgressTracker(
        job_id,
        rq_job_id,
        base_usage=base_usage,
        completed_stages=list((checkpoint or {}).get("completed_stages") or []) if checkpoint else [],
    )
    tracker.set_run_usage(ckpt_usage)
    saver = CheckpointSaver(job_id)
    heartbeat = Heartbeat(tracker)
    live = LiveProse(job_id, rq_job_id)

    def on_checkpoint(checkpoint: dict[str, Any]) -> None:
        saver.offer(checkpoint)
        live.flush()  # a finished passage reaches the page even when its last update was throttled

    # Recorded first, before progress or checkpoints can fail: what the call was paid for.
    recorder = SpendRecorder(job_id, rq_job_id, paid=backend != "offline")
    waiting = ModelWait(
        job_id,
        rq_job_id,
        attempts=int(settings.NF_LLM_MAX_ATTEMPTS),
        deadline_seconds=call_deadline_seconds(),
    )

    def on_call_start(tier: str, prompt_tokens: int, prompt_cost_usd: float) -> None:
        recorder.call_started(tier, prompt_tokens, prompt_cost_usd)
        waiting.call_started()

    def on_model_call(call: Any) -> None:
        recorder.call_returned(call.tier, call.prompt_tokens, call.completion_tokens, call.cost_usd)
        waiting.call_ended()
        tracker.model_call(call.tier, call.prompt_tokens, call.completion_tokens, call.cost_usd)
        saver.spent_usd += call.cost_usd

    guard = CeilingGuard(job_id=job_id, user_id=job.user_id, base_cost_usd=base_usage.cost_usd)
    callbacks = Callbacks(
        before_spend=guard,
        on_stage_start=lambda stage, index: tracker.stage_start(_stage_key(stage)),
        on_stage_end=lambda stage, index: tracker.stage_end(_stage_key(stage)),
        on_progress=lambda fraction, detail="": tracker.progress(fraction, detail),
        on_position=tracker.set_position,
        on_checkpoint=on_checkpoint,
        on_model_call=on_model_call,
        on_call_start=on_call_start,
        should_cancel=CancelProbe(job_id, rq_job_id, heartbeat=heartbeat, tracker=tracker),
        on_text=live.offer,
    )
    pipeline_seconds = 0.0
    try:
        brief = Brief.from_dict(job.production_brief)
        plan = runtime.plan or None  # a reviewed plan or a revision's parent plan: starts at stage 06
        config = engine_config(model_connection)
        engine = engine_backend(config, name=backend, **({"sleep": waiting.sleep} if recorder.paid else {}))
        budget = _budget(job, billed_usage.cost_usd, ckpt_usage.cost_usd)
        heartbeat.start()
        pipeline_started = time.perf_counter()
        try:
            if runtime.kind in CHAPTER_KINDS:  # only some chapters: jobs.pipeline.scoped
                result = run_chapter_job(
                    runtime,
                    brief,
                    backend=engine,
                    config=config,
                    callbacks=callbacks,
                    checkpoint=checkpoint,
                    budget_usd=budget,
                )
            else:
                result = run_pipeline(
                    brief,
                    backend=engine,
                    config=config,
                    callbacks=callbacks,
                    checkpoint=checkpoint,
                    budget_usd=budget,
                    plan=plan,
                )
        finally:
            pipeline_seconds = time.perf_counter() - pipeline_started
        tracker.set_run_usage(result.usage)
        usage = base_usage + result.usage
        heartbeat.stop()
        timing = {
            "pipeline_seconds": round(pipeline_seconds, 6),
            "task_seconds_before_completion": round(time.perf_counter() - task_started, 6),
            "progress_writes": tracker.writes,
        }
        done = with_db_retry(
            lambda: job_complete(
                job_id=job_id,
                rq_job_id=rq_job_id,
                result=result,
                usage=usage,
                timing=timing,
                checkpoint=saver.pending,  # a cancel that wins keeps the latest checkpoint
                attempt_usage=recorder.usage,
                connection=wrote_with,
            ),
            what=f"completion of job {job_id}",
        )
        if done is None:
            _settle_superseded(job_id, rq_job_id, recorder)
            return "superseded"
        return str(done.status)
    except PipelineCancelled as exc:
        cause = Cause.SUPERSEDED if tracker.fenced else Cause.CANCELLED
        message = _cancel_message(tracker)
        return _end(job_id, rq_job_id, tracker, heartbeat, exc, JobStatus.CANCELLED, message, cause, recorder)
    except BudgetExceeded as exc:
        if getattr(exc, "cause", "") == "ceiling":
            message = str(exc)  # already in the writer's words (jobs.ceiling)
        else:
            message = (
                "Paused before the next step: it could take this job past the "
                f"${job_cost_cap_usd() or exc.budget_usd:,.2f} a single job may spend. "
                "Everything written so far is kept; a shorter "
                "length or a smaller plan fits within it."
            )
        return _end(
            job_id,
            rq_job_id,
            tracker,
            heartbeat,
            exc,
            JobStatus.FAILED,
            message,
            Cause.COST_CEILING,
            recorder,
        )
    except PipelineError as exc:
        log.warning("Job %s failed: %s", job_id, staff_detail(exc), exc_info=True)
        cause = cause_for_backend(exc.cause) if isinstance(exc, BackendError) else Cause.MODEL_ERROR
        own_name = wrote_with["name"] if wrote_with.get("own_key") else None
        message = writer_message(exc, connection_name=own_name)
        return _end(job_id, rq_job_id, tracker, heartbeat, exc, JobStatus.FAILED, message, cause, recorder)
    except (OperationalError, InterfaceError) as exc:
        log.exception("Job %s lost its database connection", job_id)
        cause = Cause.DATABASE_UNAVAILABLE
        return _end(
            job_id,
            rq_job_id,
            tracker,
            heartbeat,
            exc,
            JobStatus.FAILED,
            DATABASE_LOST,
            cause,
            recorder,
            saver,
        )
    except Exception as exc:
        log.exception("Job %s crashed", job_id)
        cause = Cause.INTERNAL_ERROR
        return _end(
            job_id,
            rq_job_id,
            tracker,
            heartbeat,
            exc,
            JobStatus.FAILED,
            INTERNAL_ERROR,
            cause,
            recorder,
            saver,
        )
    finally:
        heartbeat.stop()
        live.clear()


def _cancel_message(tracker: ProgressTracker) -> str:
    if tracker.fenced:
        return "Stopped: another attempt or the recovery process took this job over."
    return "Cancelled by you; finished work is kept and the job can be resumed."


def _settle_superseded(job_id: str, rq_job_id: str, recorder: SpendRecorder) -> None:
    """This attempt lost the job (reaper, resume): its spend is still a fact; bill what is missing."""
    recorder.call_failed()
    with_db_retry(lambda: spend_write(job_id, rq_job_id, recorder.usage, None), what="late spend")
    with_db_retry(lambda: job_bill_late_spend(job_id=job_id, attempt=rq_job_id), what="late spend billing")


def _end(job_id, rq_job_id, tracker, heartbeat, exc, status, message, cause, recorder, saver=None) -> str:
    heartbeat.stop()
    recorder.call_failed()
    checkpoint = getattr(exc, "checkpoint", None)
    if checkpoint is None and saver is not None and saver.pending is not None:
        checkpoint = saver.pending
    usage = tracker.total_usage()
    progress = {
        "current_stage": tracker.current_stage,
        "completed_stages": list(tracker.completed_stages),
        "progress_percentage": round(tracker.fraction * 100.0, 2),
    }
    if tracker.fenced:
        _settle_superseded(job_id, rq_job_id, recorder)
        return "superseded"
    if status == JobStatus.FAILED:
        # Staff's account of the stop (admin); the writer's message above never carries it.
        with contextlib.suppress(Exception):  # diagnostics must not keep a job from ending
            JobRuntime.objects.filter(pk=job_id).update(error_detail=staff_detail(exc))
    # Waits out a database outage of any length: the attempt's spend and checkpoint are in it.
    ended = with_db_retry(
        lambda: job_fail(
            job_id=job_id,
            rq_job_id=rq_job_id,
            message=message,
            usage=usage,
            checkpoint=checkpoint,
            status=status,
            progress=progress,
            cause=cause,
            attempt_usage=recorder.usage,
        ),
        what=f"ending of job {job_id}",
    )
    return status if ended is not None else "superseded"
