"""Writes that start chapter jobs: regenerate a chapter, continue the story, revise chosen chapters.

Each makes the next version of a narrative (``parent_narrative``) in which only
the chapters it names change (``jobs.pipeline.scoped`` writes them, the
narrative's completion splices them into the parent's text). Refusals are
``JobError``s in the writer's words, and nothing is written then. Views and the
``regenerate_chapter`` / ``continue_narrative`` / ``revise`` commands call these.

Money and limits are those of every job (``jobs.services._new_job``): the job
writes with ``connection`` (None: the writer's default, else the server's) and
reserves its estimate at that connection's prices — the words it will write,
not the book's — and is
admitted only when that and one generation fit what the user has left; a chapter
job counts as one generation (README, Billing).

A stale version (a later version was already made from it) is refused unless
the writer asks to branch (``branch=True``): then the result is a second child
of the same version, and the versions list shows both.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import transaction

from accounts.models import User
from jobs.briefs import brief_validate
from jobs.errors import JobError
from jobs.models import ACTIVE_STATUSES, CHAPTER_KINDS, GenerationJob, JobRuntime
from jobs.pipeline import Brief, Scope, chapters_from_text
from jobs.pipeline.brief import MAX_NOTES
from jobs.pipeline.scoped import MAX_ADD, average_words
from jobs.services import _check_project, _lock_user, _new_job
from jobs.submissions import submission_record, submission_replay
from narraforge.textclean import strip_control_chars
from narratives.models import Narrative
from projects.selectors import world_for_project

__all__ = [
    "MAX_ADD",
    "job_create_chapter_revision",
    "job_create_continuation",
    "job_create_regeneration",
    "narrative_brief",
    "narrative_chapter_count",
    "newer_version_of",
]

_KIND = {
    "regenerate": JobRuntime.Kind.REGENERATE,
    "continue": JobRuntime.Kind.CONTINUE,
    "revise": JobRuntime.Kind.REVISE_CHAPTERS,
}


def narrative_chapter_count(narrative: Narrative) -> int:
    return len(chapters_from_text(narrative.narrative_text or ""))


def newer_version_of(narrative: Narrative) -> Narrative | None:
    """The newest version made from this one, if any (then this one is stale)."""
    return narrative.children.only("id", "version", "title").order_by("-version", "-created_at").first()


def _clean_instructions(text: str | None, *, required: bool) -> str:
    text = strip_control_chars(text or "").strip()
    if required and not text:
        raise JobError("Say what the revision should change.", field="instructions")
    if len(text) > MAX_NOTES:
        raise JobError(
            f"The instructions are {len(text):,} characters long; at most {MAX_NOTES:,} are allowed.",
            field="instructions",
        )
    return text


def narrative_brief(narrative: Narrative) -> Brief:
    """The brief the narrative was written from: its job's (the world included), else its metadata's."""
    meta = narrative.metadata if isinstance(narrative.metadata, dict) else {}
    job = narrative.job
    base = dict(job.production_brief) if job is not None else dict(meta.get("brief") or {})
    base.setdefault("production_type", narrative.production_type)
    base.setdefault("genre", narrative.genre)
    base.setdefault("inspiration", narrative.title or "A story")
    base["review_plan"] = False
    if narrative.project_id:  # the project's codex as the writer keeps it now (projects.codex_services)
        current = world_for_project(narrative.project)
        if current is not None:
            base["world"] = {**(dict(base.get("world") or {}) or current), "codex": current["codex"]}
    return brief_validate(base)


def _check_fresh(locked: User, narrative: Narrative, *, branch: bool) -> None:
    """Refuse a stale version or one a chapter job is already working on, unless branching."""
    if branch:
        return
    newer = newer_version_of(narrative)
    if newer is not None:
        raise JobError(
            f"Version {newer.version} was already made from this version (v{narrative.version or 1}). "
            "Work on the newest version instead, or branch from this one on purpose "
            "(the result is then a second version made from it).",
            field="branch",
        )
    busy = (
        JobRuntime.objects.filter(
            parent_narrative_id=narrative.pk, kind__in=CHAPTER_KINDS, job__status__in=ACTIVE_STATUSES
        )
        .values_list("job_id", flat=True)
        .first()
    )
    if busy is not None:
        raise JobError(
            "A chapter job is already working on this version: wait for it to finish (its result is "
            "the next version) or cancel it, or branch from this version on purpose.",
            field="branch",
        )


def _words_to_write(scope: Scope, plan: dict[str, Any], words_each: int) -> dict[str, Any]:
    """The segments an estimate counts: the touched chapters' plan segments, or the new ones.

    Planning new chapters is one small stage-05 call: the reservation grows for it if needed
    (``jobs.ceiling``), within the same monthly limit.
    """
    segments = [s for s in plan.get("segments") or [] if isinstance(s, dict)]
    if scope.mode == "continue":
        return {"segments": [{"target_words": words_each} for _ in range(scope.add)]}
    return {
        "segments": [
            segments[n - 1] if n - 1 < len(segments) else {"target_words": words_each} for n in scope.chapters
        ]
    }


def _create(
    *,
    user: User,
    narrative: Narrative,
    scope_args: dict[str, Any],
    branch: bool,
    submission_key: str | None,
    connection: str | None = None,
) -> GenerationJob:
    found = (
        Narrative.objects.filter(pk=narrative.pk, user_id=user.pk).select_related("project", "job").first()
    )
    if found is None:
        raise JobError("That narrative does not exist or is not yours.")
    if found.project is None:
        raise JobError("This narrative's project no longer exists.")
    meta = found.metadata if isinstance(found.metadata, dict) else {}
    plan = meta.get("plan")
    if not isinstance(plan, dict) or not plan.get("segments"):
        raise JobError(
            "This narrative has no stored plan, so its chapters cannot be rewritten by the engine; "
            "edit them by hand instead."
        )
    chapters = chapters_from_text(found.narrative_text or "")
    scope = Scope(**scope_args, variant=(found.version or 1) + 1)
    try:
        scope.check(len(chapters))
    except Exception as exc:  # PipelineError: the same words, as a refusal on the form
        raise JobError(str(exc), field="chapters") from None
    brief = narrative_brief(found)
    words = _words_to_write(scope, plan, average_words(chapters))
    with transaction.atomic():
        locked = _lock_user(user)
        if (done := submission_replay(user_id=locked.pk, key=submission_key)) is not None:
            return done
        project_obj = _check_project(locked, found.project)
        _check_fresh(locked, found, branch=branch)
        job = _new_job(
            user=locked,
            project=project_obj,
            brief=brief,
            kind=_KIND[scope.mode],
            parent_narrative_id=found.pk,
            world_mode="revision",
            scope=scope.to_dict(),
            connection=connection,
            estimate_plan=words,
        )
        submission_record(user_id=locked.pk, key=submission_key, job=job)
        return job


def _numbers(chapters: Iterable[int | str] | None) -> tuple[int, ...]:
    out = []
    for value in chapters or ():
        try:
            out.append(int(value))
        except (TypeError, ValueError):
            raise JobError(f"“{value}” is not a chapter number.", field="chapters") from None
    return tuple(sorted(set(out)))


def job_create_regeneration(
    *,
    user: User,
    narrative: Narrative,
    chapter: int,
    instructions: str = "",
    branch: bool = False,
    submission_key: str | None = None,
    connection: str | None = None,
) -> GenerationJob:
    """Rewrite chapter ``chapter`` from its plan segment (optionally with instructions)."""
    return _create(
        user=user,
        narrative=narrative,
        scope_args={
            "mode": "regenerate",
            "chapters": _numbers([chapter]),
            "instructions": _clean_instructions(instructions, required=False),
        },
        branch=branch,
        submission_key=submission_key,
        connection=connection,
    )


def job_create_continuation(
    *,
    user: User,
    narrative: Narrative,
    chapters: int,
    instructions: str = "",
    new_segments: list[dict[str, Any]] | None = None,
    branch: bool = False,
    submission_key: str | None = None,
    connection: str | None = None,
) -> GenerationJob:
    """Add ``chapters`` chapters after the last one; ``new_segments`` is the writer's plan of them."""
    if isinstance(chapters, bool) or not isinstance(chapters, int) or not 1 <= chapters <= MAX_ADD:
        raise JobError(f"Add between 1 and {MAX_ADD} chapters.", field="count")
    return _create(
        user=user,
        narrative=narrative,
        scope_args={
            "mode": "continue",
            "add": chapters,
            "instructions": _clean_instructions(instructions, required=False),
            "new_segments": tuple(_plan_entries(new_segments or [])),
        },
        branch=branch,
        submission_key=submission_key,
        connection=connection,
    )


def job_create_chapter_revision(
    *,
    user: User,
    narrative: Narrative,
    instructions: str,
    chapters: Iterable[int | str] | None = None,
    branch: bool = False,
    submission_key: str | None = None,
    connection: str | None = None,
) -> GenerationJob:
    """Revise the chosen chapters (``None``: all of them) with the writer's instructions."""
    text = _clean_instructions(instructions, required=True)
    numbers = _numbers(chapters)
    if chapters is None:
        numbers = tuple(range(1, narrative_chapter_count(narrative) + 1))
    if not numbers:
        raise JobError("Tick the chapters to revise (or all of them).", field="chapters")
    return _create(
        user=user,
        narrative=narrative,
        scope_args={"mode": "revise", "chapters": numbers, "instructions": text},
        branch=branch,
        submission_key=submission_key,
        connection=connection,
    )


def _plan_entries(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The writer's plan of new chapters: a title and a summary each (events optional), cleaned."""
    out = []
    for i, entry in enumerate(entries, start=1):
        title = " ".join(strip_control_chars(str(entry.get("title") or ""), multiline=False).split())[:200]
        summary = " ".join(strip_control_chars(str(entry.get("summary") or "")).split())[:1000]
        if not title or not summary:
            raise JobError(f"New chapter {i} needs a title and a summary.", field="plan")
        events = [
            " ".join(strip_control_chars(str(e)).split())[:300]
            for e in entry.get("key_events") or []
            if str(e).strip()
        ][:5]
        out.append({"title": title, "summary": summary, "key_events": events or [summary[:300]]})
    return out
