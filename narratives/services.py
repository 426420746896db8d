"""Writes for narratives.

``narrative_create_from_job`` runs inside a job's completion transaction
(``jobs.completion``); revisions are started by ``jobs.services.job_create_revision``
(jobs sit above narratives). Library writes (rename, delete, view/download
counters) follow.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db import connection, transaction
from django.db.models import F, Value
from django.db.models.functions import Coalesce, Greatest

from narraforge.errors import UserFacingError
from narratives.models import Narrative
from projects.models import Project

if TYPE_CHECKING:
    from jobs.models import GenerationJob
    from jobs.pipeline import PipelineResult


def narrative_create_from_job(
    *,
    job: GenerationJob,
    result: PipelineResult,
    parent_narrative_id: str | None = None,
    revision_instructions: str | None = None,
) -> Narrative:
    """The narrative row of a finished job, plus the project's statistics (F() updates).

    Version 1, or the parent's version + 1 with ``parent_narrative`` for a
    revision (``revision_instructions`` are then kept in the metadata). Call
    inside the job's completion transaction (``jobs.completion``).
    """
    parent = None
    if parent_narrative_id:
        parent = Narrative.objects.filter(pk=parent_narrative_id).first()
    brief = job.production_brief or {}
    metadata = dict(result.metadata or {})
    if result.plan is not None and "plan" not in metadata:
        metadata["plan"] = result.plan
    metadata.setdefault("language", result.language or brief.get("language", "en"))
    metadata["brief"] = {k: v for k, v in brief.items() if k != "world"}
    metadata["job_id"] = job.pk
    if revision_instructions is not None:
        metadata["revision_instructions"] = revision_instructions
    word_count = int(result.word_count or 0)
    narrative = Narrative.objects.create(
        user_id=job.user_id,
        project_id=job.project_id,
        job=job,
        title=(result.title or brief.get("title") or "")[:500] or None,
        production_type=brief.get("production_type"),
        genre=brief.get("genre"),
        narrative_text=result.text,
        word_count=word_count,
        metadata=metadata,
        quality_metrics=result.quality_metrics,
        overall_quality_score=result.overall_quality_score,
        generation_cost_usd=float(result.cost_usd or 0.0),
        tokens_used=int(result.tokens_used or 0),
        version=(parent.version or 1) + 1 if parent is not None else 1,
        parent_narrative=parent,
    )
    if job.project_id:
        Project.objects.filter(pk=job.project_id).update(
            narrative_count=Coalesce(F("narrative_count"), 0) + 1,
            total_word_count=Coalesce(F("total_word_count"), Value(0)) + word_count,
        )
    return narrative


# --- Library writes (narratives UI, issue 6) ----------------------------------

TITLE_MAX_LENGTH = 500


@transaction.atomic
def narrative_rename(*, narrative: Narrative, title: str) -> Narrative:
    """Set a new title (whitespace collapsed). Raises UserFacingError for an empty or over-long one."""
    title = " ".join((title or "").split())
    if not title:
        raise UserFacingError("A title cannot be empty.", field="title")
    if len(title) > TITLE_MAX_LENGTH:
        raise UserFacingError(f"A title can be at most {TITLE_MAX_LENGTH} characters.", field="title")
    Narrative.objects.filter(pk=narrative.pk).update(title=title)
    narrative.title = title
    return narrative


def narrative_delete_effects(*, narrative: Narrative) -> dict[str, Any]:
    """What deleting this narrative takes with it or changes, for the confirmation page."""
    return {
        "word_count": narrative.word_count or 0,
        "exported_formats": list(narrative.exported_formats or []),
        "children": list(narrative.children.only("id", "title", "version").order_by("version", "created_at")),
        "project": narrative.project,
    }


@transaction.atomic
def narrative_delete(*, narrative: Narrative) -> int:
    """Delete one version; returns how many later versions lost their parent link.

    Later versions stay (PostgreSQL sets their parent to NULL); the generation
    job and usage logs stay (billing history); the project's narrative and word
    totals go down, never below zero (its total cost does not: that was spent).
    """
    orphaned = narrative.children.count()
    deleted, _ = Narrative.objects.filter(pk=narrative.pk).delete()
    if deleted and narrative.project_id:
        Project.objects.filter(pk=narrative.project_id).update(
            narrative_count=Greatest(Coalesce(F("narrative_count"), 0) - 1, Value(0)),
            total_word_count=Greatest(
                Coalesce(F("total_word_count"), 0) - (narrative.word_count or 0), Value(0)
            ),
        )
    return orphaned


def narrative_record_view(*, narrative: Narrative) -> None:
    """One more reader view, as a single atomic UPDATE (no read-modify-write)."""
    Narrative.objects.filter(pk=narrative.pk).update(view_count=Coalesce(F("view_count"), 0) + 1)


_RECORD_DOWNLOAD_SQL = """
UPDATE narratives
   SET download_count = COALESCE(download_count, 0) + 1,
       exported_formats = CASE
           WHEN jsonb_typeof(exported_formats) = 'array'
                AND exported_formats @> jsonb_build_array(%(fmt)s::text)
               THEN exported_formats
           WHEN jsonb_typeof(exported_formats) = 'array'
               THEN exported_formats || jsonb_build_array(%(fmt)s::text)
           ELSE jsonb_build_array(%(fmt)s::text)
       END
 WHERE id = %(id)s
"""


def narrative_record_download(*, narrative: Narrative, fmt: str) -> None:
    """Count a download and add ``fmt`` to exported_formats once.

    One UPDATE, no read-modify-write: concurrent downloads lock the row in turn
    and PostgreSQL re-evaluates the CASE on the newest row version, so the
    count is exact and the format is never added twice.
    """
    with connection.cursor() as cursor:
        cursor.execute(_RECORD_DOWNLOAD_SQL, {"fmt": fmt, "id": narrative.pk})
