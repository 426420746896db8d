"""Edit one chapter in place (issue 16 §1): the writer's text becomes the next version.

The editor opens on one version and carries a signed *base* token: which
narrative, which chapter, a hash of the chapter's text and when it was opened.
Saving makes a child version (``version`` + 1, ``parent_narrative``) whose text
is the parent's with only that chapter's span replaced (``narratives.chapters``),
so every other chapter is byte-identical. Two editors opened on the same
version are never merged: the save that comes second finds a version made
from the same base after it opened, and is refused with its text kept on the
page for the writer to copy.
"""

from __future__ import annotations

import copy
import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.core import signing
from django.db import transaction
from django.db.models import F, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from jobs.pipeline.text import HEADING_PREFIX, count_words
from narraforge.errors import UserFacingError
from narraforge.textclean import strip_control_chars
from narratives.chapters import chapter_span, chapter_spans, replace_chapter
from narratives.models import Narrative
from narratives.services import narrative_search_enqueue_lemmatise
from narratives.text import chapters_from_text
from projects.models import Project

CHAPTER_TITLE_MAX = 300
# A chapter is a few thousand words; 200,000 characters (~35k words) is far past any chapter.
CHAPTER_TEXT_MAX = 200_000
NOTE_MAX = 500
_SALT = "narratives.edit-chapter"


class EditConflict(UserFacingError):
    """The chapter (or the narrative) changed since the editor opened: nothing is saved."""


@dataclass(frozen=True)
class ChapterDraft:
    """What the editor opens with."""

    number: int
    title: str
    body: str
    base: str  # the signed base token
    chapter_count: int


def _digest(piece: str) -> str:
    return hashlib.sha256(piece.encode("utf-8")).hexdigest()[:32]


def chapter_for_edit(*, narrative: Narrative, number: int) -> ChapterDraft:
    """The chapter's title and text, and the base token a save must bring back.

    Raises UserFacingError for a chapter that does not exist.
    """
    text = narrative.narrative_text or ""
    span = chapter_span(text, number)
    if span is None:
        raise UserFacingError(f"This narrative has no chapter {number}.", field="chapter")
    base = signing.dumps(
        {"n": narrative.pk, "c": number, "h": _digest(span.slice(text)), "t": timezone.now().timestamp()},
        salt=_SALT,
    )
    return ChapterDraft(
        number=number,
        title=span.title,
        body=span.body(text),
        base=base,
        chapter_count=len(chapter_spans(text)),
    )


def _clean_body(body: str) -> str:
    body = strip_control_chars(body or "")
    # Trailing spaces are invisible in a textarea; leading/trailing blank lines carry nothing.
    return "\n".join(line.rstrip() for line in body.split("\n")).strip()


def _check_input(*, title: str, body: str, note: str) -> None:
    if not body:
        raise UserFacingError("The chapter is empty: write its text, or keep the old version.", field="body")
    if not any(ch.isalnum() for ch in body):
        raise UserFacingError("The chapter has no words: write its text.", field="body")
    if len(body) > CHAPTER_TEXT_MAX:
        raise UserFacingError(
            f"A chapter can be at most {CHAPTER_TEXT_MAX:,} characters; split it in two.", field="body"
        )
    if any(line.startswith(HEADING_PREFIX) for line in body.split("\n")):
        raise UserFacingError(
            "A line starting with “## ” would start a new chapter. Use a single “#” or remove it.",
            field="body",
        )
    if len(title) > CHAPTER_TITLE_MAX:
        raise UserFacingError(
            f"A chapter title can be at most {CHAPTER_TITLE_MAX} characters.", field="title"
        )
    if len(note) > NOTE_MAX:
        raise UserFacingError(f"A note can be at most {NOTE_MAX} characters.", field="note")


def _read_base(base: str, *, narrative: Narrative, number: int) -> dict[str, Any]:
    try:
        data = signing.loads(base or "", salt=_SALT)
    except signing.BadSignature:
        raise EditConflict("This editor is out of date: open the chapter again.") from None
    if not isinstance(data, dict) or data.get("n") != narrative.pk or data.get("c") != number:
        raise EditConflict("This editor belongs to another chapter or version: open the chapter again.")
    return data


def chapter_metadata(metadata: dict[str, Any], text: str) -> dict[str, Any]:
    """``metadata`` with its ``chapters`` list (index, title, word count) rebuilt from ``text``.

    Entries keep whatever else the engine stored on them; chapters beyond the old list are added.
    """
    old = {c.get("index"): c for c in metadata.get("chapters") or [] if isinstance(c, dict)}
    chapters = []
    for i, chapter in enumerate(chapters_from_text(text), start=1):
        entry = dict(old.get(i) or {})
        entry.update({"index": i, "title": chapter.title, "word_count": count_words(chapter.body)})
        chapters.append(entry)
    metadata["chapters"] = chapters
    return metadata


def narrative_word_count(text: str) -> int:
    """Words of the chapters' bodies, headings left out (as the engine counts them)."""
    return sum(count_words(c.body) for c in chapters_from_text(text))


def narrative_create_version(
    *, parent: Narrative, text: str, metadata: dict[str, Any], title: str | None = None
) -> Narrative:
    """A child version of ``parent`` with this text and metadata, no model and no cost; project totals move.

    Call inside a transaction that holds the parent's row lock.
    """
    word_count = narrative_word_count(text)
    child = Narrative.objects.create(
        user_id=parent.user_id,
        project_id=parent.project_id,
        job=None,
        title=parent.title if title is None else title,
        production_type=parent.production_type,
        genre=parent.genre,
        narrative_text=text,
        word_count=word_count,
        metadata=metadata,
        quality_metrics=parent.quality_metrics,
        overall_quality_score=parent.overall_quality_score,
        generation_cost_usd=0.0,
        tokens_used=0,
        version=(parent.version or 1) + 1,
        parent_narrative=parent,
    )
    if parent.project_id:
        Project.objects.filter(pk=parent.project_id).update(
            narrative_count=Coalesce(F("narrative_count"), 0) + 1,
            total_word_count=Coalesce(F("total_word_count"), Value(0)) + word_count,
        )
    if (metadata or {}).get("language") == "pl":
        narrative_search_enqueue_lemmatise(narrative_id=child.pk)
    return child


def narrative_edit_chapter(
    *,
    narrative: Narrative,
    number: int,
    title: str,
    body: str,
    base: str,
    note: str = "",
) -> Narrative:
    """Save the writer's text of chapter ``number`` as the next version; returns the new version.

    Raises UserFacingError for a missing chapter or bad text, EditConflict when
    the base token is not this chapter's or another version was made from the
    same version after the editor opened (nothing is written either way).
    """
    title = " ".join(strip_control_chars(title or "", multiline=False).split())
    body = _clean_body(body)
    note = " ".join(strip_control_chars(note or "", multiline=False).split())
    _check_input(title=title, body=body, note=note)
    opened = _read_base(base, narrative=narrative, number=number)
    with transaction.atomic():
        # The row lock orders concurrent saves of this version: the second sees the first's child.
        parent = (
            Narrative.objects.select_for_update().filter(pk=narrative.pk, user_id=narrative.user_id).first()
        )
        if parent is None:
            raise UserFacingError("This narrative no longer exists.")
        text = parent.narrative_text or ""
        span = chapter_span(text, number)
        if span is None:
            raise UserFacingError(f"This narrative has no chapter {number}.", field="chapter")
        if _digest(span.slice(text)) != opened.get("h"):
            raise EditConflict(
                "This chapter changed since you opened it. Your text is below: copy it, then reopen."
            )
        opened_at = datetime.fromtimestamp(float(opened.get("t") or 0), tz=UTC)
        newer = (
            Narrative.objects.filter(parent_narrative_id=parent.pk, created_at__gt=opened_at)
            .order_by("created_at")
            .only("id", "version", "narrative_text")
            .first()
        )
        if newer is not None:
            theirs = chapter_span(newer.narrative_text or "", number)
            if theirs is None or theirs.slice(newer.narrative_text or "") != span.slice(text):
                raise EditConflict(
                    f"This chapter changed since you opened it: version {newer.version} was saved from the "
                    "same version meanwhile. Your text is below: copy it, open the newer version and edit "
                    "that one. Nothing was merged."
                )
            raise EditConflict(
                f"This narrative changed since you opened it: version {newer.version} was saved from the "
                "same version meanwhile. Your text is below: copy it, open the newer version and edit "
                "that one. Nothing was merged."
            )
        new_title = title or span.title or ""
        if new_title == span.title and body == span.body(text):
            raise UserFacingError(
                "Nothing changed: edit the text (or the title) before saving.", field="body"
            )
        new_text = replace_chapter(text, number, title=new_title, body=body)
        meta = copy.deepcopy(parent.metadata) if isinstance(parent.metadata, dict) else {}
        meta.pop("revision_instructions", None)
        meta["revision"] = {
            "kind": "edit",
            "chapters": [number],
            "note": note,
            "instructions": "",
            "engine": "manual",
        }
        chapter_metadata(meta, new_text)
        return narrative_create_version(parent=parent, text=new_text, metadata=meta)
