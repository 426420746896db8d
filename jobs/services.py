"""Writes for generation jobs: create, cancel, resume, draft from a reviewed plan.

Views, commands and the admin call these. Each refuses bad input with a
``JobError`` whose message is for the user and writes nothing in that case.
How a run ends (complete / fail / cancelled) lives in ``jobs.completion``; the
task body in ``jobs.attempt``; the queue side in ``jobs.queues``.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from accounts.verification import unverified_message, user_may_start_jobs
from billing.models import OperationType, UsageLog
from billing.reservations import reservation_open
from billing.services import LimitExceeded, usage_check_limits
from connections.models import JobConnection
from connections.selectors import (
    ConnectionInfo,
    connection_for_user,
    connection_info,
    estimate_value,
    operator_connection,
    what_will_write,
)
from connections.services import job_connection_attach
from jobs import conf, queues
from jobs.briefs import brief_validate, plan_check_bounds, plan_validate
from jobs.engine_settings import engine_estimate_usd
from jobs.errors import JobError
from jobs.models import ACTIVE_STATUSES, GenerationJob, JobRuntime, JobStatus
from jobs.pipeline import Brief
from jobs.pipeline.brief import MAX_NOTES
from jobs.submissions import submission_record, submission_replay
from narraforge.causes import Cause
from narraforge.errors import UserFacingError
from narraforge.textclean import strip_control_chars
from narratives.models import Narrative
from projects.models import Project
from projects.selectors import world_for_project

log = logging.getLogger(__name__)

__all__ = [
    "JobError",
    "LimitExceeded",
    "job_create",
    "job_cancel",
    "job_resume",
    "job_draft_from_plan",
    "job_create_revision",
]


def _check_may_start_jobs(user: User) -> None:
    """Every job-starting service: with verification required, only a confirmed address starts jobs."""
    if not user_may_start_jobs(user):
        raise JobError(unverified_message(user), field="email")


def _lock_user(user: User) -> User:
    return User.objects.select_for_update().get(pk=user.pk)


def _check_project(user: User, project: Project) -> Project:
    found = Project.objects.filter(pk=project.pk, user_id=user.pk).first()
    if found is None:
        raise JobError("That project does not exist or is not yours.", field="project")
    return found


def _new_job(
    *,
    user: User,
    project: Project,
    brief: Brief,
    kind: str,
    plan: dict[str, Any] | None = None,
    parent_narrative_id: str | None = None,
    world_mode: str = "",
    estimated_cost_usd: float | None = None,
    scope: dict[str, Any] | None = None,
    connection: str | ConnectionInfo | None = None,
    estimate_plan: dict[str, Any] | None = None,
) -> GenerationJob:
    """Insert a queued job and its runtime row, and enqueue it on commit. Caller holds the user lock.

    ``connection`` says what writes it (``connections.selectors.what_will_write``: None is the
    user's default, else the server's; "operator"; one of the user's connection ids; or an
    already resolved ``ConnectionInfo``). The estimate is at that connection's prices, and a job
    on the writer's own key is not checked against the monthly cost limit (it still takes a
    generation; README, "Limits with your own key").

    Estimates use the words that will be written: the plan's for drafts and revisions, the brief's
    target otherwise (``estimate_plan``: the chapters a chapter job writes). A plan-review job
    reserves what its planning is estimated at, but is let in only when the whole job (planning
    and writing) and one generation fit what the user has left: the plan is for writing, and is
    refused up front rather than at "Write it" (README, Billing).
    """
    _check_may_start_jobs(user)
    info = connection if isinstance(connection, ConnectionInfo) else _what_will_write(user, connection)
    value, backend = estimate_value(info)
    if estimated_cost_usd is not None:
        estimate = check = estimated_cost_usd
    elif kind == JobRuntime.Kind.PLANNING:
        estimate = engine_estimate_usd(brief, part="planning", connection=value, backend=backend)
        check = engine_estimate_usd(brief, connection=value, backend=backend)
    else:
        words = estimate_plan or plan
        estimate = check = engine_estimate_usd(brief, plan=words, connection=value, backend=backend)
    usage_check_limits(user=user, estimated_cost_usd=check, counts_as_generation=True, own_key=info.own_key)
    job = GenerationJob(
        user=user,
        project=project,
        status=JobStatus.QUEUED,
        production_brief=brief.to_dict(),
        estimated_cost_usd=estimate,
        completed_stages=[],
    )
    job.rq_job_id = queues.rq_job_id_for(job)
    job.save(force_insert=True)
    JobRuntime.objects.create(
        job=job,
        kind=kind,
        plan=plan,
        parent_narrative_id=parent_narrative_id,
        world_mode=world_mode,
        scope=scope,
    )
    job_connection_attach(job=job, info=info)
    reservation_open(job_id=job.pk, user_id=user.pk, total_usd=estimate)
    queues.enqueue_on_commit(job, queue_name=queues.queue_name_for(user))
    return job


def _what_will_write(user: User, choice: str | None) -> ConnectionInfo:
    try:
        return what_will_write(user=user, choice=choice)
    except UserFacingError as exc:  # another user's connection id: refused like a missing one
        raise JobError(str(exc), field="connection") from None


def _inherited_connection(user: User, source: GenerationJob) -> ConnectionInfo:
    """A draft writes with what planned it: the same connection of the writer, or the server's."""
    row = JobConnection.objects.filter(job_id=source.pk).first()
    if row is None or not row.own_key:
        return operator_connection()
    own = connection_for_user(user=user, connection_id=row.connection_id)
    if own is None:
        raise JobError(
            f"The connection “{row.name}” that made this plan has been deleted; "
            "choose another connection to write it with.",
            field="connection",
        )
    return connection_info(own)


def job_create(
    *,
    user: User,
    project: Project,
    brief: dict[str, Any] | Brief,
    new_world: bool = False,
    submission_key: str | None = None,
    connection: str | None = None,
) -> GenerationJob:
    """Validate, check limits under a lock on the user row, store a queued job, enqueue it on commit.

    ``connection``: what writes it — None (the user's default connection, else the server's),
    "operator" (the server's) or the id of one of the user's connections (another user's id
    is refused like a missing one).

    In a project that already has a world (series canon) the brief continues
    it — its world bible and cast go into ``brief.world`` — unless the brief
    brings its own ``world`` or ``new_world`` is set (a ``"new_world": true``
    key in the brief dict means the same).
    """
    if isinstance(brief, dict) and "new_world" in brief:
        brief = dict(brief)
        new_world = bool(brief.pop("new_world")) or new_world
    brief_obj = brief_validate(brief.to_dict() if isinstance(brief, Brief) else brief)
    with transaction.atomic():
        locked = _lock_user(user)
        if (done := submission_replay(user_id=locked.pk, key=submission_key)) is not None:
            return done
        project_obj = _check_project(locked, project)
        world_mode = "new" if new_world else ""
        if brief_obj.world is None and not new_world:
            world = world_for_project(project_obj)
            if world is not None:
                brief_obj = brief_validate({**brief_obj.to_dict(), "world": world})
                world_mode = "continue"
        elif brief_obj.world is not None:
            world_mode = "new" if project_obj.world_id is None or new_world else "given"
        kind = JobRuntime.Kind.PLANNING if brief_obj.review_plan else JobRuntime.Kind.GENERATION
        job = _new_job(
            user=locked,
            project=project_obj,
            brief=brief_obj,
            kind=kind,
            world_mode=world_mode,
            connection=connection,
        )
        submission_record(user_id=locked.pk, key=submission_key, job=job)
        return job


def _job_for_update(user: User, job: GenerationJob) -> GenerationJob:
    found = GenerationJob.objects.select_for_update().filter(pk=job.pk, user_id=user.pk).first()
    if found is None:
        raise JobError("That job does not exist or is not yours.")
    return found


def job_cancel(*, user: User, job: GenerationJob) -> GenerationJob:
    """Cancel a queued job (it leaves the queue) or ask a running one to stop.

    A running job stops before its next model call or offline step (the pipeline reads the
    request from the row, ``jobs.cancelling``) and ends ``cancelled`` with its partial usage
    billed — or, if its completion got the locks first, the cancel is refused as already
    finished. If a model call keeps it busy
    past the grace period its worker is told to kill the work horse (RQ's
    stop-job command) and the job is finished from what the database holds.
    """
    with transaction.atomic():
        # The same locks in the same order as job_complete (user row, then job row): a cancel either
        # commits before a completion starts (and the completion ends the job cancelled) or sees it done.
        row = _job_for_update(_lock_user(user), job)
        if row.status not in ACTIVE_STATUSES:
            raise JobError(
                f"This job already finished ({row.get_status_display().lower()}); there is nothing to cancel."
            )
        if row.status == JobStatus.QUEUED:
            has_checkpoint = JobRuntime.objects.filter(pk=row.pk, checkpoint__isnull=False).exists()
            now = timezone.now()
            row.status = JobStatus.CANCELLED
            row.completed_at = now
            row.can_resume = has_checkpoint or row.retry_count > 0
            row.error_message = "Cancelled before it started."
            row.save(update_fields=["status", "completed_at", "can_resume", "error_message", "updated_at"])
            JobRuntime.objects.filter(pk=row.pk).update(failure_cause=Cause.CANCELLED)
            rq_id = row.rq_job_id
            transaction.on_commit(lambda: queues.remove_from_queue(rq_id))
        else:
            JobRuntime.objects.filter(pk=row.pk, cancel_requested_at__isnull=True).update(
                cancel_requested_at=timezone.now()
            )
        return row


def cancel_message(job: GenerationJob) -> str:
    """What a writer is told when ``job_cancel`` accepted a cancel: when it takes effect, what is kept."""
    if job.status == JobStatus.CANCELLED:
        if job.retry_count:
            return "Cancelled before the resumed attempt started; nothing more was charged."
        return "Cancelled before it started; nothing was charged."
    # The heartbeat sees the request within one beat, then gives a model call the grace period.
    grace = int(conf.tunable("NF_CANCEL_GRACE_SECONDS") + conf.tunable("NF_HEARTBEAT_SECONDS"))
    return (
        "Cancelling: the job stops before its next model call or step, within seconds "
        f"(a model call already under way gets up to {grace} s to answer). "
        "Work finished so far is kept and you are billed only for what it used."
    )


def job_resume(*, user: User, job: GenerationJob, submission_key: str | None = None) -> GenerationJob:
    """Continue a failed or cancelled job from its checkpoint, on the same row (retry_count + 1)."""
    with transaction.atomic():
        locked_user = _lock_user(user)
        if (done := submission_replay(user_id=locked_user.pk, key=submission_key)) is not None:
            return done
        row = _job_for_update(locked_user, job)
        _check_may_start_jobs(locked_user)
        if row.status not in (JobStatus.FAILED, JobStatus.CANCELLED) or not row.can_resume:
            raise JobError(
                "This job cannot be resumed"
                + (
                    f": it is {row.get_status_display().lower()}."
                    if row.status not in (JobStatus.FAILED, JobStatus.CANCELLED)
                    else " (nothing was saved to continue from); start a new one instead."
                )
            )
        runtime = JobRuntime.objects.select_for_update().get(pk=row.pk)
        chosen = JobConnection.objects.filter(job_id=row.pk).first()
        own_key = chosen is not None and chosen.own_key
        if own_key and chosen.connection_id is None:
            raise JobError(
                f"This job wrote with the connection “{chosen.name}”, which has been deleted; "
                "start a new job with another connection.",
                field="connection",
            )
        counted = UsageLog.objects.filter(
            job=row, operation_type__in=(OperationType.GENERATION, OperationType.REVISION)
        ).exists()
        billed = sum(UsageLog.objects.filter(job=row).values_list("cost_usd", flat=True))
        still = max((row.estimated_cost_usd or 0.0) - billed, 0.0)
        usage_check_limits(
            user=locked_user,
            estimated_cost_usd=still,
            counts_as_generation=not counted,  # a plan review holds a generation while it runs
            own_key=own_key,
        )
        reservation_open(job_id=row.pk, user_id=locked_user.pk, total_usd=billed + still)
        row.status = JobStatus.QUEUED
        row.retry_count = (row.retry_count or 0) + 1
        row.error_message = None
        row.completed_at = None
        row.can_resume = False
        row.rq_job_id = queues.rq_job_id_for(row)
        row.save(
            update_fields=[
                "status",
                "retry_count",
                "error_message",
                "completed_at",
                "can_resume",
                "rq_job_id",
                "updated_at",
            ]
        )
        runtime.cancel_requested_at = None
        runtime.heartbeat_at = None
        runtime.failure_cause = ""
        runtime.notice = ""
        runtime.save(update_fields=["cancel_requested_at", "heartbeat_at", "failure_cause", "notice"])
        queues.enqueue_on_commit(row, queue_name=queues.queue_name_for(locked_user))
        submission_record(user_id=locked_user.pk, key=submission_key, job=row)
        return row


def job_draft_from_plan(
    *,
    user: User,
    job: GenerationJob,
    plan: dict[str, Any],
    submission_key: str | None = None,
    connection: str | None = None,
    codex: list[dict[str, Any]] | None = None,
) -> GenerationJob:
    """Start drafting (stages 06–10) from the reviewed, possibly edited, plan of a plan-review job.

    It writes with the connection that made the plan unless ``connection`` names another.
    ``codex`` is the story's codex as plan review left it (names, aliases, descriptions,
    lore: jobs.plan_codex); it replaces the brief's ``world["codex"]`` so the drafting
    prompts carry the writer's last word.
    """
    plan_dict = plan_validate(plan)
    with transaction.atomic():
        locked = _lock_user(user)
        if (done := submission_replay(user_id=locked.pk, key=submission_key)) is not None:
            return done
        source = GenerationJob.objects.filter(pk=job.pk, user_id=locked.pk).first()
        if source is None:
            raise JobError("That job does not exist or is not yours.")
        if not (source.production_brief or {}).get("review_plan"):
            raise JobError("Only a plan-review job has a plan to draft from.")
        if source.status != JobStatus.COMPLETED:
            raise JobError("The plan is not ready yet: the planning job has not completed.")
        if source.project_id is None:
            raise JobError("The planning job's project no longer exists.")
        brief_data = {**source.production_brief, "review_plan": False}
        if codex is not None:
            world = dict(brief_data.get("world") or {}) or {"world": plan_dict["world"], "characters": []}
            brief_data["world"] = {**world, "codex": codex}
        brief = brief_validate(brief_data)
        plan_check_bounds(plan_dict, brief.production_type)
        source_runtime = JobRuntime.objects.filter(pk=source.pk).first()
        draft = _new_job(
            user=locked,
            project=source.project,
            brief=brief,
            kind=JobRuntime.Kind.DRAFT,
            plan=plan_dict,
            world_mode=source_runtime.world_mode if source_runtime else "",
            connection=_what_will_write(locked, connection)
            if connection
            else _inherited_connection(locked, source),
        )
        submission_record(user_id=locked.pk, key=submission_key, job=draft)
        return draft


def job_create_revision(
    *,
    user: User,
    narrative: Narrative,
    instructions: str,
    submission_key: str | None = None,
    connection: str | None = None,
) -> GenerationJob:
    """Start a job that redrafts a narrative from its plan with the writer's instructions.

    Its result is the next version (``parent_narrative`` = this one). Raises
    JobError for another user's narrative, empty or over-long instructions,
    or a narrative without a stored plan; nothing is written then.
    """
    found = (
        Narrative.objects.filter(pk=narrative.pk, user_id=user.pk).select_related("project", "job").first()
    )
    if found is None:
        raise JobError("That narrative does not exist or is not yours.")
    text = strip_control_chars(instructions or "").strip()
    if not text:
        raise JobError("Say what the revision should change.", field="revision_instructions")
    if len(text) > MAX_NOTES:
        raise JobError(
            f"The revision instructions are {len(text)} characters long; at most {MAX_NOTES} are allowed.",
            field="revision_instructions",
        )
    if found.project is None:
        raise JobError("This narrative's project no longer exists.")
    metadata = found.metadata or {}
    plan = metadata.get("plan")
    if not plan:
        raise JobError("This narrative has no stored plan to revise from.")
    base = dict(found.job.production_brief) if found.job is not None else dict(metadata.get("brief") or {})
    base.setdefault("production_type", found.production_type)
    base.setdefault("genre", found.genre)
    base.update({"revision_instructions": text, "review_plan": False})
    brief = brief_validate(base)
    plan_dict = plan_validate(plan)
    with transaction.atomic():
        locked = _lock_user(user)
        if (done := submission_replay(user_id=locked.pk, key=submission_key)) is not None:
            return done
        project_obj = _check_project(locked, found.project)
        job = _new_job(
            user=locked,
            project=project_obj,
            brief=brief,
            kind=JobRuntime.Kind.REVISION,
            plan=plan_dict,
            parent_narrative_id=found.pk,
            world_mode="revision",
            connection=connection,
        )
        submission_record(user_id=locked.pk, key=submission_key, job=job)
        return job
