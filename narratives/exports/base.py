"""What every export format shares: the book's parts, read once from a narrative."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from django.utils.text import slugify

from narratives.text import Chapter, chapters_from_text, paragraphs

LANGUAGE_NAMES = {"en": "English", "pl": "Polski"}


@dataclass(frozen=True)
class Book:
    """A narrative as an export sees it: plain data, no ORM."""

    id: str
    title: str
    author: str
    language: str
    genre: str
    production_type: str
    word_count: int
    chapters: list[Chapter]
    created_at: datetime | None = None
    engine: str = ""
    version: int = 1
    description: str = ""
    extra: dict = field(default_factory=dict)

    @property
    def chapter_paragraphs(self) -> list[tuple[str, list[str]]]:
        return [(c.title, paragraphs(c.body)) for c in self.chapters]


def book_from_narrative(narrative) -> Book:
    meta = narrative.metadata if isinstance(narrative.metadata, dict) else {}
    user = getattr(narrative, "user", None)
    author = ""
    if user is not None:
        author = (getattr(user, "full_name", "") or "").strip() or user.email.split("@")[0]
    interpretation = (meta.get("plan") or {}).get("interpretation") or {}
    return Book(
        id=str(narrative.pk),
        title=narrative.title or str(narrative),
        author=author or "NarraForge",
        language=meta.get("language") or "en",
        genre=narrative.get_genre_display(),
        production_type=narrative.get_production_type_display(),
        word_count=narrative.word_count or 0,
        chapters=chapters_from_text(narrative.narrative_text or ""),
        created_at=narrative.created_at,
        engine=meta.get("engine") or "",
        version=narrative.version or 1,
        description=str(interpretation.get("logline") or ""),
    )


_FILENAME_SAFE = re.compile(r"[^a-z0-9-]+")


def export_filename(title: str, extension: str, *, fallback: str = "narrative") -> str:
    """An ASCII file name from the title's slug (Polish/German letters transliterated by slugify)."""
    slug = slugify(_transliterate(title or ""))[:80].strip("-")
    slug = _FILENAME_SAFE.sub("-", slug) or fallback
    return f"{slug}.{extension}"


_TRANSLIT = str.maketrans({
    "ą": "a", "ć": "c", "ę": "e", "ł": "l", "ń": "n", "ó": "o", "ś": "s", "ź": "z", "ż": "z",
    "Ą": "A", "Ć": "C", "Ę": "E", "Ł": "L", "Ń": "N", "Ó": "O", "Ś": "S", "Ź": "Z", "Ż": "Z",
    "ß": "ss", "ä": "ae", "ö": "oe", "ü": "ue", "Ä": "Ae", "Ö": "Oe", "Ü": "Ue",
})


def _transliterate(text: str) -> str:
    import unicodedata

    text = text.translate(_TRANSLIT)
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
