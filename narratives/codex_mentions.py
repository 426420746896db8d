"""Which chapters of a narrative mention each entry of its project's codex (the reader's codex panel).

A chapter mentions an entry when it has the entry's name or one of its aliases
as whole words (case-insensitive for lower-case aliases such as "the keeper",
exact for names), possessives included. In Polish an inflected form counts
too: every word of the chapter is looked up in the Morfeusz dictionary
(``narratives.search.lemmas``, the lemma tooling of the library search), so
"Mirze" and "Mirą" are mentions of Mira.

Each chapter is read once into a set of its words (and lemmas); an entry is
then a few set look-ups, and only a chapter that has every word of a
multi-word name is searched for the phrase itself. The answer is cached per
version and codex: the text of a version never changes, and a codex edit
changes the key.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

from django.core.cache import cache

from narratives.chapters import chapter_spans
from narratives.models import Narrative
from narratives.search import WORD, lemmas
from projects.models import CodexEntry

CACHE_SECONDS = 24 * 3600


def _phrase(label: str) -> re.Pattern[str]:
    body = r"\s+".join(re.escape(w) for w in label.split()) + r"(?:['’]s?)?"
    flags = 0 if label[:1].isupper() else re.IGNORECASE
    return re.compile(rf"(?<![\w-]){body}(?![\w-])", flags)


def mentions_by_chapter(
    text: str, entries: list[tuple[str, list[str]]], language: str
) -> dict[str, list[int]]:
    """{entry key: [chapter numbers that mention it]} for (key, names and aliases) pairs."""
    found: dict[str, list[int]] = {key: [] for key, _ in entries}
    for span in chapter_spans(text):
        body = span.slice(text)
        words = set(WORD.findall(body.lower()))
        forms = set(words)
        if language == "pl":
            for word in words:
                forms.update(lemmas(word))
        for key, labels in entries:
            for label in labels:
                parts = [p for p in WORD.findall(label.lower()) if p]
                if not parts:
                    continue
                if all(p in words for p in parts) and _phrase(label).search(body):
                    found[key].append(span.number)
                    break
                if language == "pl" and all(p in forms for p in parts):
                    found[key].append(span.number)  # an inflected form ("Mirze" → mira)
                    break
    return found


def _fingerprint(entries: list[CodexEntry]) -> str:
    raw = "\n".join(f"{e.pk}:{e.name}:{'|'.join(e.aliases or [])}" for e in entries)
    return hashlib.sha1(raw.encode(), usedforsecurity=False).hexdigest()[:16]


def narrative_codex_mentions(*, narrative: Narrative) -> list[dict[str, Any]]:
    """The project's codex entries this version mentions: ``[{"entry", "chapters": [numbers]}]``.

    Entries it never mentions are left out. Reads the text only on a cache miss.
    """
    if not narrative.project_id:
        return []
    entries = list(
        CodexEntry.objects.filter(project_id=narrative.project_id).order_by("position", "created_at")
    )
    if not entries:
        return []
    # A version's text never changes (every edit is a new version); the word count guards anyway.
    key = f"codex-mentions:{narrative.pk}:{narrative.word_count}:{_fingerprint(entries)}"
    found = cache.get(key)
    if found is None:
        text = (
            Narrative.objects.filter(pk=narrative.pk).values_list("narrative_text", flat=True).first() or ""
        )
        meta = narrative.metadata if isinstance(narrative.metadata, dict) else {}
        language = str(meta.get("language") or "en")
        found = mentions_by_chapter(text, [(e.pk, e.names) for e in entries], language)
        cache.set(key, found, CACHE_SECONDS)
    return [{"entry": e, "chapters": found.get(e.pk, [])} for e in entries if found.get(e.pk)]
