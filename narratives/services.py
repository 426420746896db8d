"""Writes for narratives.

``narrative_create_from_job`` runs inside a job's completion transaction
(``jobs.completion``); revisions are started by ``jobs.services.job_create_revision``
(jobs sit above narratives). Library writes (rename, delete, view/download
counters) follow.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from django.db import connection, transaction
from django.db.models import F, Value
from django.db.models.functions import Coalesce, Greatest

from jobs.pipeline.backends.offline.rename import rename_in_text
from narraforge.errors import UserFacingError
from narraforge.textclean import strip_control_chars
from narratives.chapters import append_chapters, replace_chapter
from narratives.models import Narrative, NarrativeSearch
from narratives.search import lemmas_of_text
from projects.models import Project

if TYPE_CHECKING:
    from accounts.models import User
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
    text = result.text or ""
    if result.changes is not None and parent is not None:
        # A chapter job: its chapters spliced into the parent's text, every other byte kept.
        text = narrative_text_with_changes(parent.narrative_text or "", result.changes)
    # A model's output can hold control characters too: stored clean, it shows and exports clean.
    title = strip_control_chars(result.title or brief.get("title") or "", multiline=False)
    if result.changes is not None and parent is not None:
        title = parent.title or title  # a chapter job keeps the version's title (the writer may have set it)
    narrative = Narrative.objects.create(
        user_id=job.user_id,
        project_id=job.project_id,
        job=job,
        title=title[:500] or None,
        production_type=brief.get("production_type"),
        genre=brief.get("genre"),
        narrative_text=text if result.changes is not None else strip_control_chars(text),
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
    if metadata.get("language") == "pl":
        narrative_search_enqueue_lemmatise(narrative_id=narrative.pk)
    return narrative


def narrative_text_with_changes(text: str, changes: list[dict[str, Any]]) -> str:
    """``text`` with a chapter job's chapters in place (``replace``) or after the last (``added``).

    Only the written chapters' bodies are cleaned of control characters (the rest is the
    stored text, clean already), so untouched chapters stay byte-identical.
    """
    for change in sorted((c for c in changes if not c.get("added")), key=lambda c: c["number"]):
        text = replace_chapter(
            text,
            int(change["number"]),
            title=strip_control_chars(str(change.get("title") or ""), multiline=False),
            body=strip_control_chars(str(change.get("body") or "")),
        )
    added = [c for c in changes if c.get("added")]
    if added:
        text = append_chapters(
            text,
            [
                (
                    strip_control_chars(str(c.get("title") or ""), multiline=False),
                    strip_control_chars(str(c.get("body") or "")),
                )
                for c in sorted(added, key=lambda c: c["number"])
            ],
        )
    return text


NAME_MAX_LENGTH = 80


def _renamed(value: Any, old: str, new: str, rename) -> Any:
    """The plan and metadata with the character renamed wherever their name is written."""
    if isinstance(value, str):
        return rename(value)
    if isinstance(value, list):
        return [_renamed(v, old, new, rename) for v in value]
    if isinstance(value, dict):
        return {k: _renamed(v, old, new, rename) for k, v in value.items()}
    return value


@transaction.atomic
def narrative_rename_character(*, narrative: Narrative, old_name: str, new_name: str) -> Narrative:
    """A new version with one character renamed throughout (text, cast, plan). No model, no cost.

    Raises UserFacingError for a name not in the cast, an empty, over-long or
    already-taken new name.
    """
    meta = narrative.metadata if isinstance(narrative.metadata, dict) else {}
    cast = [c.get("name", "") for c in meta.get("characters") or [] if isinstance(c, dict)]
    new_name = " ".join(strip_control_chars(new_name or "", multiline=False).split())
    if old_name not in cast:
        raise UserFacingError("Choose a character of this narrative.", field="old_name")
    if not new_name:
        raise UserFacingError("Write the new name.", field="new_name")
    if len(new_name) > NAME_MAX_LENGTH:
        raise UserFacingError(f"A name can be at most {NAME_MAX_LENGTH} characters.", field="new_name")
    if not any(ch.isalpha() for ch in new_name) or any(ch in new_name for ch in "{}<>[]~|#"):
        raise UserFacingError(
            "A name is made of letters (and spaces, hyphens or apostrophes).", field="new_name"
        )
    if new_name in cast:
        raise UserFacingError(f"{new_name} is already a character of this narrative.", field="new_name")
    language = str(meta.get("language") or "en")
    first = old_name.split()[0]
    unique = sum(1 for c in cast if c.split()[:1] == [first]) == 1

    def rename(text: str) -> str:
        return rename_in_text(text, old_name, new_name, language=language, first_name_unique=unique)[0]

    text, inflected = rename_in_text(
        narrative.narrative_text or "", old_name, new_name, language=language, first_name_unique=unique
    )
    metadata = _renamed(meta, old_name, new_name, rename)
    metadata["revision"] = {
        "kind": "rename_character",
        "old_name": old_name,
        "new_name": new_name,
        "inflected_forms": inflected,
    }
    child = Narrative.objects.create(
        user_id=narrative.user_id,
        project_id=narrative.project_id,
        job=None,
        title=narrative.title,
        production_type=narrative.production_type,
        genre=narrative.genre,
        narrative_text=text,
        word_count=narrative.word_count,
        metadata=metadata,
        quality_metrics=narrative.quality_metrics,
        overall_quality_score=narrative.overall_quality_score,
        generation_cost_usd=0.0,
        tokens_used=0,
        version=(narrative.version or 1) + 1,
        parent_narrative=narrative,
    )
    if narrative.project_id:
        Project.objects.filter(pk=narrative.project_id).update(
            narrative_count=Coalesce(F("narrative_count"), 0) + 1,
            total_word_count=Coalesce(F("total_word_count"), Value(0)) + (narrative.word_count or 0),
        )
    return child


# --- Library writes (narratives UI, issue 6) ----------------------------------

TITLE_MAX_LENGTH = 500


@transaction.atomic
def narrative_rename(*, narrative: Narrative, title: str) -> Narrative:
    """Set a new title (whitespace collapsed). Raises UserFacingError for an empty or over-long one."""
    title = " ".join(strip_control_chars(title or "", multiline=False).split())
    if not title:
        raise UserFacingError("A title cannot be empty.", field="title")
    if len(title) > TITLE_MAX_LENGTH:
        raise UserFacingError(f"A title can be at most {TITLE_MAX_LENGTH} characters.", field="title")
    Narrative.objects.filter(pk=narrative.pk).update(title=title)
    narrative.title = title
    if (narrative.metadata or {}).get("language") == "pl":
        narrative_search_enqueue_lemmatise(narrative_id=narrative.pk)
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


def narrative_record_view(*, narrative: Narrative, viewer: User | None, method: str) -> bool:
    """Count a reader view by someone other than the owner; True if it was counted.

    The owner's own reads and HEAD requests (link checkers, prefetchers) are
    not views. A counted view is one UPDATE that SETs only ``view_count``: no
    read-modify-write, ``updated_at`` kept (its trigger watches content columns
    only) and, with the table's fillfactor, a HOT update that writes no index.
    """
    if method != "GET" or viewer is None or viewer.pk == narrative.user_id:
        return False
    with connection.cursor() as cursor:
        cursor.execute(_RECORD_VIEW_SQL, {"id": narrative.pk})
    return True


# A counter is not worth waiting for the WAL flush (~10 ms on a busy disk): its statement
# commits asynchronously (set_config(..., true) lasts until this statement's transaction
# ends). A PostgreSQL crash may lose the last fraction of a second of counts, nothing else.
_ASYNC_COMMIT = "WITH async_commit AS (SELECT set_config('synchronous_commit', 'off', true))"

_RECORD_VIEW_SQL = f"""
{_ASYNC_COMMIT}
UPDATE narratives SET view_count = COALESCE(view_count, 0) + 1 FROM async_commit WHERE id = %(id)s
"""  # noqa: S608 - constant SQL; the id is a bound parameter

_RECORD_DOWNLOAD_SQL = f"""
{_ASYNC_COMMIT}
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
  FROM async_commit
 WHERE id = %(id)s
"""  # noqa: S608 - constant SQL; values are bound parameters


def narrative_record_download(*, narrative: Narrative, fmt: str) -> None:
    """Count a download and add ``fmt`` to exported_formats once.

    One UPDATE, no read-modify-write: concurrent downloads lock the row in turn
    and PostgreSQL re-evaluates the CASE on the newest row version, so the
    count is exact and the format is never added twice.
    """
    with connection.cursor() as cursor:
        cursor.execute(_RECORD_DOWNLOAD_SQL, {"fmt": fmt, "id": narrative.pk})


# --- Search lemmas (issue 18 §1, issue 19 "Polish matches inflected forms") ----

LEMMATISE_TASK = "narratives.tasks.lemmatise_narrative"


def narrative_search_lemmatise(*, narrative_id: str) -> bool:
    """Store the Polish lemmas of one narrative in its search row; True if they were written.

    The trigger of migration 0004 keeps the words as written; this adds their
    lemmas (``narratives.search``). ``revision`` fences a text or title change
    made while the lemmas were computed: then nothing is written and the row
    stays pending for the next run. Non-Polish rows are only marked done.
    """
    row = NarrativeSearch.objects.filter(narrative_id=narrative_id).values("language", "revision").first()
    if row is None:
        return False
    if row["language"] != "pl":
        NarrativeSearch.objects.filter(narrative_id=narrative_id, revision=row["revision"]).update(
            lemmatised=True
        )
        return False
    source = Narrative.objects.filter(pk=narrative_id).values("title", "narrative_text").first()
    if source is None:
        return False
    lemmas = lemmas_of_text(source["title"] or "", source["narrative_text"] or "")
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE narrative_search SET lemmas = array_to_tsvector(%s::text[]), lemmatised = true"
            " WHERE narrative_id = %s AND revision = %s",
            [lemmas, narrative_id, row["revision"]],
        )
        return cursor.rowcount == 1


def narrative_search_lemmatise_pending(*, limit: int = 1000) -> int:
    """Lemmatise rows whose lemmas are not current (e.g. narratives written by plain SQL)."""
    ids = list(
        NarrativeSearch.objects.filter(lemmatised=False).values_list("narrative_id", flat=True)[:limit]
    )
    return sum(narrative_search_lemmatise(narrative_id=pk) for pk in ids)


def narrative_search_enqueue_lemmatise(*, narrative_id: str) -> None:
    """After the surrounding transaction commits, have a worker lemmatise this narrative."""

    def enqueue() -> None:
        import django_rq

        try:
            django_rq.get_queue("default", commit_mode="auto").enqueue(
                LEMMATISE_TASK, narrative_id, job_id=f"nf-lemmas-{narrative_id}", result_ttl=0
            )
        except Exception:  # Redis down: the row stays pending for `manage.py search_lemmatise`
            logging.getLogger(__name__).warning("Could not enqueue lemmatising %s", narrative_id)

    transaction.on_commit(enqueue)
