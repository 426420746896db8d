"""Setting vocabulary that follows the world: no gulls on the Vistula, no buses in 1946.

``features`` reads the writer's inspiration and world notes for cues
(``data/<lang>/setting.json``): the sea, an earlier era (a year before
``old_before_year``, or a genre such as fantasy), the country. ``allowed``
then keeps a phrase only if every feature its words need is present — sea
vocabulary needs the sea, modern objects need a modern world.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache

from .lang import load_json

_YEAR_RE = re.compile(r"\b(1[5-9]\d\d|20\d\d)\b")


def _cue(word: str, cue: str, language: str) -> bool:
    # Polish cues are stems ("morz" → morze, morzem); a short one must match whole ("hel", not "Helena").
    if language == "pl" and len(cue) >= 4:
        return word.startswith(cue)
    return word == cue or word == cue + "s"


def features(language: str, genre: str, *texts: str) -> frozenset[str]:
    d = load_json(f"{language}/setting.json")
    low = " ".join(texts).lower()
    words = re.findall(r"[^\W\d_]+", low)
    found = set()
    for feature, cues in d["cues"].items():
        if any(_cue(w, c, language) for w in words for c in cues):
            found.add(feature)
    if "river" in found and "sea" in found:
        strong = [c for c in d["cues"]["sea"] if c not in d.get("weak_sea", [])]
        if not any(_cue(w, c, language) for w in words for c in strong):
            found.discard("sea")  # a lighthouse on the Vistula: still a river world
    years = [int(y) for y in _YEAR_RE.findall(low)]
    if genre in d["old_genres"] or (years and min(years) < d["old_before_year"]):
        found.add("old")
    if "old" not in found:
        found.add("modern")
    return frozenset(found)


@cache
def _needs(language: str) -> tuple[tuple[str, re.Pattern[str]], ...]:
    d = load_json(f"{language}/setting.json")["needs"]
    return tuple(
        (feature, re.compile(r"\b(?:" + "|".join(re.escape(w.strip()) for w in words) + r")", re.I))
        for feature, words in d.items()
    )


def allowed(language: str, found: frozenset[str] | set[str]) -> Callable[[str], bool]:
    checks = [pattern for feature, pattern in _needs(language) if feature not in found]

    def keep(text: str) -> bool:
        return not any(p.search(text) for p in checks)

    return keep
