"""What every export format shares: the book's parts, read once from a narrative.

Everything is read through narraforge.textclean, so rows stored before inputs
were cleaned (control characters in a title, an author's name or the text)
export like any other.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from django.utils.text import slugify

from narraforge.textclean import strip_control_chars
from narratives.exports.frontmatter import FrontMatter, front_matter, label, subject
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

    @property
    def subject(self) -> str:
        return subject(self.language, genre=self.genre, production_type=self.production_type)

    @property
    def front(self) -> FrontMatter:
        return front_matter(self.language, author=self.author, words=self.word_count, engine=self.engine)


def _line(value) -> str:
    """A one-line field (title, author, genre): control characters gone, whitespace collapsed."""
    return " ".join(strip_control_chars(str(value or ""), multiline=False).split())


def book_from_narrative(narrative) -> Book:
    meta = narrative.metadata if isinstance(narrative.metadata, dict) else {}
    user = getattr(narrative, "user", None)
    author = ""
    if user is not None:
        author = _line(getattr(user, "full_name", "")) or _line(user.email.split("@")[0])
    plan = meta.get("plan") if isinstance(meta.get("plan"), dict) else {}
    interpretation = plan.get("interpretation") if isinstance(plan.get("interpretation"), dict) else {}
    language = _line(meta.get("language")) or "en"
    return Book(
        id=str(narrative.pk),
        title=_line(narrative.title) or _line(str(narrative)) or "NarraForge",
        author=author or "NarraForge",
        language=language,
        genre=label(language, narrative.genre, _line(narrative.get_genre_display())),
        production_type=label(
            language, narrative.production_type, _line(narrative.get_production_type_display())
        ),
        word_count=narrative.word_count or 0,
        chapters=chapters_from_text(strip_control_chars(narrative.narrative_text or "")),
        created_at=narrative.created_at,
        engine=_line(meta.get("engine")),
        version=narrative.version or 1,
        description=_line(interpretation.get("logline")),
    )


_FILENAME_SAFE = re.compile(r"[^a-z0-9-]+")


def export_filename(title: str, extension: str, *, fallback: str = "narrative") -> str:
    """An ASCII file name from the title's slug (Polish/German letters transliterated by slugify)."""
    slug = slugify(_transliterate(title or ""))[:80].strip("-")
    slug = _FILENAME_SAFE.sub("-", slug) or fallback
    return f"{slug}.{extension}"


_TRANSLIT = str.maketrans(
    {
        "ą": "a",
        "ć": "c",
        "ę": "e",
        "ł": "l",
        "ń": "n",
        "ó": "o",
        "ś": "s",
        "ź": "z",
        "ż": "z",
        "Ą": "A",
        "Ć": "C",
        "Ę": "E",
        "Ł": "L",
        "Ń": "N",
        "Ó": "O",
        "Ś": "S",
        "Ź": "Z",
        "Ż": "Z",
        "ß": "ss",
        "ä": "ae",
        "ö": "oe",
        "ü": "ue",
        "Ä": "Ae",
        "Ö": "Oe",
        "Ü": "Ue",
    }
)


def _transliterate(text: str) -> str:
    import unicodedata

    text = text.translate(_TRANSLIT)
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
