"""Polish lemmas for full-text search, from Morfeusz 2 (the library the offline engine uses).

PostgreSQL has no Polish text-search configuration, so the database parses
Polish with 'simple' (words as written, lower-cased). This module adds the
inflection: every distinct word of a Polish narrative is mapped to its lemmas
("zatoką" → "zatoka", "kotami" → "kot", "kota"), the lemmas go into
``narrative_search.lemmas`` next to the words as written, and each word of a
query becomes "the word or any of its lemmas", so any inflected form finds
any other.

Morfeusz (``morfeusz2``, the SGJP dictionary; ~0.3 s and ~50 MB to load, once
per process) knows most words but not every derived noun: "przewoźniczki" is
unknown to it. A query word it does not know matches by its stem as a prefix
(the word without its inflectional ending: "przewoźniczkę" → przewoźniczk:*),
so it still finds "przewoźniczka" and "przewoźniczki" as written in the text.
"""

from __future__ import annotations

import re
from functools import cache, lru_cache

# Words as PostgreSQL's parser sees them closely enough: letters and digits.
WORD = re.compile(r"[^\W_]+")
MAX_WORD = 40  # longer tokens are not words; the analyser's cost grows with length
# Polish inflectional endings, longest first, for words the dictionary does not know.
ENDINGS = sorted(
    [
        "ościami",
        "ami",
        "ach",
        "om",
        "ów",
        "owi",
        "ego",
        "emu",
        "ych",
        "ymi",
        "ich",
        "imi",
        "iem",
        "em",
        "ej",
        "ie",
        "ią",
        "ę",
        "ą",
        "y",
        "i",
        "a",
        "e",
        "o",
        "u",
    ],
    key=len,
    reverse=True,
)
MIN_STEM = 4  # a shorter prefix would match too much


@cache
def _morfeusz():
    # A C extension with a 50 MB dictionary: loaded on first use, not at import.
    import morfeusz2

    return morfeusz2.Morfeusz(generate=False, analyse=True)


@lru_cache(maxsize=200_000)
def analyse(word: str) -> tuple[bool, tuple[str, ...]]:
    """(known to the dictionary, its lower-case lemmas other than the word itself) for a lower-case word."""
    if len(word) > MAX_WORD or word.isdigit():
        return False, ()
    found = set()
    for start, _end, (_orth, lemma, tag, _kinds, _labels) in _morfeusz().analyse(word):
        if start == 0 and tag not in ("ign", "interp"):
            found.add(lemma.split(":", 1)[0].lower())  # "kot:Sm1" → "kot"
    return bool(found), tuple(sorted(w for w in found if w != word and WORD.fullmatch(w)))


def lemmas(word: str) -> tuple[str, ...]:
    return analyse(word)[1]


def stem_prefix(word: str) -> str | None:
    """The word without its inflectional ending, if at least MIN_STEM letters remain."""
    for ending in ENDINGS:
        if word.endswith(ending) and len(word) - len(ending) >= MIN_STEM:
            return word[: -len(ending)]
    return None


def lemmas_of_text(*parts: str) -> list[str]:
    """The distinct lemmas of a text that differ from its words (the words are in the vector already)."""
    words = set()
    for part in parts:
        words.update(WORD.findall((part or "").lower()))
    out: set[str] = set()
    for word in words:
        out.update(lemmas(word))
    return sorted(out)


_QUERY_TOKEN = re.compile(r'(-?)"([^"]*)"?|(-?)([^\s"]+)')


def lemma_tsquery(query: str) -> str:
    """A ``to_tsquery('simple', …)`` text for a websearch query: each word becomes (word | lemmas).

    A word the dictionary does not know becomes (word | stem:*) instead.

    Words are ANDed, ``or`` between two terms ORs them, ``-term`` negates and a
    quoted phrase contributes its words (the phrase itself is checked by the
    caller). Only ``WORD`` characters reach the output, each lexeme quoted, so
    no input can produce a syntax error or an operator of its own.
    """
    terms: list[str] = []
    pending_or = False
    for match in _QUERY_TOKEN.finditer(query):
        negate = bool(match.group(1) or match.group(3))
        text = match.group(2) if match.group(2) is not None else match.group(4)
        if match.group(4) is not None and text.lower() == "or" and not negate:
            pending_or = bool(terms)
            continue
        words = WORD.findall(text.lower())
        if not words:
            continue
        parts = []
        for word in words:
            known, found = analyse(word)
            options = [f"'{w}'" for w in (word, *found)]
            if not known and (stem := stem_prefix(word)):
                options.append(f"'{stem}':*")
            parts.append("(" + " | ".join(options) + ")")
        term = " & ".join(parts)
        term = f"!({term})" if negate else f"({term})"
        if pending_or and terms:
            terms[-1] = f"({terms[-1]} | {term})"
        else:
            terms.append(term)
        pending_or = False
    return " & ".join(terms)
