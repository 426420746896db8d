"""Polish lemmas for full-text search (pystempel, the Stempel stemmer with the PoliMorf table).

PostgreSQL has no Polish text-search configuration, so the database parses
Polish with 'simple' (words as written, lower-cased). This module adds the
inflection: the lemmatiser maps every distinct word of a Polish narrative to
its lemma ("przewoźniczki", "przewoźniczkę" → "przewoźniczka"), the lemmas go
into ``narrative_search.lemmas`` next to the words as written, and a query's
words are mapped the same way, so any inflected form finds any other.

The PoliMorf table takes ~6 s and ~180 MB to load, so it is loaded once per
process, lazily (web: only when a user with Polish narratives searches;
worker: on a background thread at start, see ``jobs.worker.preload``).
"""

from __future__ import annotations

import os
import re
import threading
from functools import lru_cache

# Words as PostgreSQL's parser sees them closely enough: letters and digits.
WORD = re.compile(r"[^\W_]+")
MAX_WORD = 40  # longer tokens are not words; the stemmer's cost grows with length

_lock = threading.Lock()
_stemmer = None


def _load():
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
    thread = threading.Thread(target=_load, name="nf-polish-lemmas", daemon=True)
    thread.start()
    return thread


@lru_cache(maxsize=200_000)
def lemma(word: str) -> str:
    """The lemma of one lower-case word, or the word itself when the stemmer has none."""
    if len(word) > MAX_WORD or word.isdigit():
        return word
    stem = _load()(word)
    return stem.lower() if stem else word


def lemmas_of_text(*parts: str) -> list[str]:
    """The distinct lemmas of a text that differ from its words (the words are in the vector already)."""
    words = set()
    for part in parts:
        words.update(WORD.findall((part or "").lower()))
    out = set()
    for word in words:
        found = lemma(word)
        if found != word:
            out.add(found)
    return sorted(out)


_OPERATORS = {"or"}


def lemmatise_query(query: str) -> str:
    """A websearch query with each word replaced by its lemma; quotes, "-" and "or" kept."""

    def swap(match: re.Match) -> str:
        word = match.group(0).lower()
        return word if word in _OPERATORS else lemma(word)

    return WORD.sub(swap, query)
