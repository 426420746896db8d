"""Polish lemmas for full-text search: Morfeusz 2 (as the offline engine), pystempel for unknown words.

PostgreSQL has no Polish text-search configuration, so the database parses
Polish with 'simple' (words as written, lower-cased). This module adds the
inflection: every distinct word of a Polish narrative is mapped to its lemmas
("zatoką" → "zatoka", "kotami" → "kot", "kota"), the lemmas go into
``narrative_search.lemmas`` next to the words as written, and each word of a
query becomes "the word or any of its lemmas", so any inflected form finds
any other.

Morfeusz (``morfeusz2``, the SGJP dictionary; ~0.3 s and ~50 MB to load) knows
most words but not every derived noun: "przewoźniczki" is unknown to it. Such
words go to pystempel's PoliMorf stemmer ("przewoźniczki", "przewoźniczkę" →
"przewoźniczka"), which needs ~6 s and ~180 MB, so it is loaded once per
process and only when a word Morfeusz does not know comes along (a worker
preloads it on a background thread, see ``jobs.worker.preload``).
"""

from __future__ import annotations

import os
import re
import threading
from functools import cache, lru_cache

# Words as PostgreSQL's parser sees them closely enough: letters and digits.
WORD = re.compile(r"[^\W_]+")
MAX_WORD = 40  # longer tokens are not words; the analysers' cost grows with length

_lock = threading.Lock()
_stemmer = None


@cache
def _morfeusz():
    # A C extension with a 50 MB dictionary: loaded on first use, not at import.
    import morfeusz2

    return morfeusz2.Morfeusz(generate=False, analyse=True)


def _load_stemmer():
    global _stemmer
    with _lock:
        if _stemmer is None:
            os.environ.setdefault("DISABLE_TQDM", "1")  # pystempel's load progress bar, read at import
            import importlib.resources

            if not hasattr(importlib.resources, "Resource"):
                # pystempel 2.0.0 imports this alias, removed in Python 3.13; it is only an annotation.
                importlib.resources.Resource = str
            from pystempel import Stemmer

            _stemmer = Stemmer.polimorf()
    return _stemmer


def _after_fork_in_child() -> None:
    # A fork during the background load would copy a held lock: the child starts afresh
    # (it shares the parent's table if the load had finished).
    global _lock
    _lock = threading.Lock()


os.register_at_fork(after_in_child=_after_fork_in_child)


def preload_in_background() -> threading.Thread:
    def load() -> None:
        _morfeusz()
        _load_stemmer()

    thread = threading.Thread(target=load, name="nf-polish-lemmas", daemon=True)
    thread.start()
    return thread


@lru_cache(maxsize=200_000)
def lemmas(word: str) -> tuple[str, ...]:
    """The lower-case lemmas of one lower-case word (empty when it has none but itself)."""
    if len(word) > MAX_WORD or word.isdigit():
        return ()
    found = set()
    for start, _end, (_orth, lemma, tag, _kinds, _labels) in _morfeusz().analyse(word):
        if start == 0 and tag not in ("ign", "interp"):
            found.add(lemma.split(":", 1)[0].lower())  # "kot:Sm1" → "kot"
    if not found:
        stem = _load_stemmer()(word)
        if stem:
            found.add(stem.lower())
    return tuple(sorted(w for w in found if w != word and WORD.fullmatch(w)))


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
            options = (word, *lemmas(word))
            parts.append("(" + " | ".join(f"'{w}'" for w in options) + ")")
        term = " & ".join(parts)
        term = f"!({term})" if negate else f"({term})"
        if pending_or and terms:
            terms[-1] = f"({terms[-1]} | {term})"
        else:
            terms.append(term)
        pending_or = False
    return " & ".join(terms)
