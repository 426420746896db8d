"""Reads for generation jobs, always scoped to a user (404 for anyone else's)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from accounts.models import User
from billing.selectors import remaining_cost_usd, remaining_generations, usage_pending
from connections.models import JobConnection
from connections.selectors import (
    ConnectionInfo,
    connection_for_user,
    connection_info,
    estimate_value,
    operator_connection,
    what_will_write,
)
from jobs.briefs import brief_validate
from jobs.engine_settings import engine_estimate_usd
from jobs.errors import JobError
from jobs.live import live_prose_read
from jobs.models import ACTIVE_STATUSES, CHAPTER_KINDS, GenerationJob, JobRuntime, JobStatus, JobSubmission
from jobs.page_query import job_page_row
from jobs.pipeline import STAGES
from jobs.pipeline.polish import POLISH_LABELS, POLISH_MODES
from narraforge.causes import cause_words
from narraforge.errors import UserFacingError
from narraforge.redaction import redact

STAGE_BY_KEY = {stage.key: stage for stage in STAGES}


def jobs_for_user(user: User, status: str | None = None, project=None) -> QuerySet[GenerationJob]:
    qs = GenerationJob.objects.filter(user=user).select_related("project").order_by("-created_at")
    if status:
        qs = qs.filter(status=status)
    if project is not None:
        qs = qs.filter(project_id=getattr(project, "pk", project))
    return qs


def job_of_user(*, user: User, job_id: str, page: bool = False) -> GenerationJob | None:
    """The user's job, or None (also for another user's id: the caller cannot tell them apart).

    ``page``: with what the job page shows of its runtime row and connection, in the same
    query (the page and its 2-second poll are most of a writer's requests; issue 18 §6).
    """
    if page:
        return job_page_row(user_id=user.pk, job_id=job_id)
    return GenerationJob.objects.filter(pk=job_id, user=user).select_related("project").first()


def job_of_submission(*, user: User, key: str) -> GenerationJob | None:
    """The job a form's one-time key started for this user, or None (another user's key too)."""
    found = (
        JobSubmission.objects.filter(user_id=user.pk, key=f"form:{key}")
        .select_related("job", "job__project")
        .first()
    )
    return found.job if found is not None and found.job.user_id == user.pk else None


def _stage_label(key: str | None) -> str | None:
    if not key:
        return None
    stage = STAGE_BY_KEY.get(key)
    return stage.label if stage else key


def job_progress(job: GenerationJob) -> dict[str, Any]:
    """Everything the progress panel shows, computed from the row (no Redis)."""
    done = set(job.completed_stages or [])
    running = job.current_stage if job.status == JobStatus.RUNNING else None
    runtime = job._state.fields_cache.get("runtime", False)  # read with the job (job_of_user(page=True))
    if runtime is False:
        kind, position, cause, notice = JobRuntime.objects.filter(pk=job.pk).values_list(
            "kind", "position", "failure_cause", "notice"
        ).first() or (None, None, "", "")
    elif runtime is None:
        kind, position, cause, notice = None, None, "", ""
    else:
        kind, position, cause, notice = runtime.kind, runtime.position, runtime.failure_cause, runtime.notice
    planning = kind == JobRuntime.Kind.PLANNING
    # A chapter job runs only drafting and polishing (and planning for new chapters).
    chapter_stages = None
    if kind in CHAPTER_KINDS:
        chapter_stages = {"sequential_generation", "language_stylization"}
        if kind == JobRuntime.Kind.CONTINUE:
            chapter_stages.add("segment_planning")
    stages = []
    for stage in STAGES:
        if stage.key in done:
            state = "done"
        elif stage.key == running:
            state = "running"
        else:
            state = "waiting"
        if planning and stage.number > 5:
            state = "skipped"
        if chapter_stages is not None and stage.key not in chapter_stages:
            state = "skipped"
        stages.append({"key": stage.key, "number": stage.number, "label": stage.label, "state": state})
    pct = float(job.progress_percentage or 0.0)
    if job.status == JobStatus.COMPLETED:
        pct = 100.0
    elapsed = float(job.duration_seconds or 0)
    if job.status == JobStatus.RUNNING and job.started_at:
        earlier = job.duration_seconds if (job.retry_count or 0) > 0 else 0
        elapsed = (earlier or 0) + (timezone.now() - job.started_at).total_seconds()
    left = None
    if job.status == JobStatus.RUNNING and 2.0 <= pct < 100.0 and elapsed > 0:
        left = round(elapsed * (100.0 - pct) / pct)
    narrative_id = (job.output or {}).get("narrative_id") if job.status == JobStatus.COMPLETED else None
    return {
        "status": job.status,
        "stages": stages,
        "percentage": round(pct, 1),
        "current_stage": job.current_stage if job.status == JobStatus.RUNNING else None,
        "current_stage_label": _stage_label(running),
        "tokens": job.tokens_used or 0,
        "cost_usd": round(job.actual_cost_usd or 0.0, 6),
        "estimated_cost_usd": job.estimated_cost_usd,
        "elapsed_seconds": round(elapsed),
        "estimated_seconds_left": left,
        "can_cancel": job.status in ACTIVE_STATUSES,
        "can_resume": bool(job.can_resume) and job.status in (JobStatus.FAILED, JobStatus.CANCELLED),
        # Masked for rows written before errors were kept in plain words (jobs.failures).
        "error_message": redact(job.error_message)
        if job.status in (JobStatus.FAILED, JobStatus.CANCELLED) and job.error_message
        else None,
        "notice": notice if job.status == JobStatus.RUNNING else "",
        "cause": cause if job.status in (JobStatus.FAILED, JobStatus.CANCELLED) else "",
        "cause_words": cause_words(cause) if job.status in (JobStatus.FAILED, JobStatus.CANCELLED) else None,
        "narrative_id": narrative_id,
        "is_plan_review": planning,
        "is_chapter_job": chapter_stages is not None,
        "plan_ready": planning and job.status == JobStatus.COMPLETED,
        "retry_count": job.retry_count or 0,
        "position": _position(position, running),
    }


def _position(raw: Any, running_stage: str | None) -> dict[str, Any] | None:
    """Chapter n of m and the words written so far, from the worker's last report (None before drafting)."""
    if not isinstance(raw, dict):
        return None
    try:
        chapter, chapters, words = int(raw["chapter"]), int(raw["chapters"]), int(raw["words"])
    except (KeyError, TypeError, ValueError):
        return None
    stage = str(raw.get("stage") or "")
    return {
        "chapter": chapter,
        "chapters": chapters,
        "words": words,
        "stage": stage,
        # "writing chapter n" only while that very stage runs; after it, the totals so far.
        "active": running_stage == stage,
        "stylising": stage == "language_stylization",
    }


def job_plan(job: GenerationJob) -> dict[str, Any] | None:
    """The plan of a completed plan-review job (world bible, cast, structure, segments), else None."""
    if job.status != JobStatus.COMPLETED:
        return None
    output = job.output or {}
    return output.get("plan") if output.get("kind") == "plan" else None


def _writer_of(user: User, connection: str | None) -> tuple[ConnectionInfo, Any, str]:
    """What writes (``what_will_write``; JobError for another user's id), its key-less value and backend."""
    try:
        info = what_will_write(user=user, choice=connection)
    except UserFacingError as exc:
        raise JobError(str(exc), field="connection") from None
    value, backend = estimate_value(info)
    return info, value, backend


def job_plan_estimate(
    job: GenerationJob, plan: dict[str, Any], *, connection: str | None = None
) -> dict[str, Any] | None:
    """What writing ``plan`` (as edited) is estimated at, and what the writer has left; None if unreadable.

    ``connection``: what will write it (None: the connection that made the plan, as
    ``job_draft_from_plan`` does, else the writer's default).
    """
    try:
        brief = brief_validate({**(job.production_brief or {}), "review_plan": False})
        if connection is None:
            info = _job_writer(job)
            value, backend = estimate_value(info)
        else:
            info, value, backend = _writer_of(job.user, connection)
        estimate = engine_estimate_usd(brief, plan=plan, connection=value, backend=backend)
    except (JobError, TypeError, ValueError):
        return None
    pending = usage_pending(user=job.user)
    return {
        "estimated_cost_usd": estimate,
        "remaining_cost_usd": None if info.own_key else remaining_cost_usd(job.user, pending),
        "remaining_generations": remaining_generations(job.user, pending),
        "connection": info,
    }


def _job_writer(job: GenerationJob) -> ConnectionInfo:
    """What writes the draft of a planning job: its own connection while it exists, else the server's."""
    chosen = JobConnection.objects.filter(job_id=job.pk).first()
    if chosen is not None and chosen.own_key:
        row = connection_for_user(user=job.user, connection_id=chosen.connection_id)
        if row is not None:
            return connection_info(row)
    return operator_connection()


def job_estimate(user: User, brief_dict: dict[str, Any], *, connection: str | None = None) -> dict[str, Any]:
    """The cost estimate of a brief and what the user has left this month (None = unlimited).

    ``connection`` is the form's choice (``what_will_write``: None is the writer's default); the
    estimate is at that connection's prices, and on the writer's own key no monthly cost limit
    applies (``remaining_cost_usd`` None; README, "Limits with your own key"). The result's
    ``connection`` (a ``ConnectionInfo``) says what will write. Raises JobError (naming the
    field) when the brief is not valid or the connection is not the writer's.
    """
    brief = brief_validate(brief_dict)
    info, value, backend = _writer_of(user, connection)
    pending = usage_pending(user=user)
    by_polish = [
        {
            "mode": mode,
            "label": POLISH_LABELS[mode].split(" — ")[0],
            "cost_usd": engine_estimate_usd(replace(brief, polish=mode), connection=value, backend=backend),
            "chosen": mode == brief.polish,
        }
        for mode in POLISH_MODES
    ]
    return {
        "estimated_cost_usd": engine_estimate_usd(brief, connection=value, backend=backend),
        "by_polish": by_polish,  # the same brief with each polishing pass (see jobs/pipeline/polish.py)
        "remaining_generations": remaining_generations(user, pending),
        "remaining_cost_usd": None if info.own_key else remaining_cost_usd(user, pending),
        "connection": info,
    }


_LIVE_VERBS = {
    "sequential_generation": "Writing",
    "coherence_validation": "Revising",
    "language_stylization": "Polishing",
}


def job_live_prose(job: GenerationJob) -> dict[str, Any] | None:
    """The passage a running job is writing right now (throttled, from Redis), or None."""
    if job.status != JobStatus.RUNNING:
        return None
    data = live_prose_read(job.pk, job.rq_job_id)
    if not data or not data.get("text"):
        return None
    segment = data.get("segment")
    return {
        "verb": _LIVE_VERBS.get(data.get("stage"), "Writing"),
        "segment": segment,
        "paragraphs": [p.strip() for p in str(data["text"]).split("\n\n") if p.strip()],
        "words": int(data.get("words") or 0),
    }
