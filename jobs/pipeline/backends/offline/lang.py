"""Language data and the tiny template language of the offline writer.

Templates use ``{slot}`` for values, ``<past|present>`` for tense and
``[masculine~feminine]`` (or ``[B:…~…]`` for the second character) for
grammatical gender, which Polish past tense needs. Data slots (senses,
dialogue lines) are inserted before markers are resolved, free-text slots
(names, events, laws — possibly written by a user) after, so user text is
never mangled by the template syntax.
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, TypeVar

DATA_DIR = Path(__file__).resolve().parents[2] / "data"

_SLOT_RE = re.compile(r"\{([A-Za-z][A-Za-z.,\-]*)\}")
_TENSE_RE = re.compile(r"<([^<>|]*)\|([^<>]*)>")
_GENDER_RE = re.compile(r"\[(B:)?([^\[\]~]*)~([^\[\]]*)\]")
DATA_SLOTS = frozenset({"sense", "line", "line,", "line-", "time", "tone"})

T = TypeVar("T")


@cache
def load_json(relative: str) -> Any:
    with open(DATA_DIR / relative, encoding="utf-8") as fh:
        return json.load(fh)


@dataclass(frozen=True)
class LangData:
    code: str
    patterns: dict[str, Any]
    genres: dict[str, Any]
    cliches: list[str]

    def genre(self, name: str) -> dict[str, Any]:
        return self.genres[name]


@cache
def lang_data(code: str) -> LangData:
    return LangData(
        code,
        load_json(f"{code}/patterns.json"),
        load_json(f"{code}/genres.json"),
        load_json(f"{code}/cliches.json"),
    )


def cliches(code: str) -> list[str]:
    try:
        return lang_data(code).cliches
    except FileNotFoundError:
        return []


class Deck:
    """Draw items in a shuffled order without repeats until all are used.

    Cycling through a deck instead of sampling independently keeps the same
    sentence from showing up twice in a row.
    """

    def __init__(self, items: Sequence[T], rng: random.Random) -> None:
        self._items = list(items)
        self._rng = rng
        self._pile: list[T] = []
        self._last: T | None = None

    def draw(self) -> T:
        if not self._pile:
            self._pile = list(self._items)
            self._rng.shuffle(self._pile)
            # Never the same item twice in a row across a reshuffle.
            if len(self._pile) > 1 and self._pile[-1] == self._last:
                self._pile[0], self._pile[-1] = self._pile[-1], self._pile[0]
        self._last = self._pile.pop()
        return self._last


def _final(line: str, mode: str) -> str:
    # English "Line," he said / Polish "— Line — powiedział": a closing full
    # stop turns into a comma or disappears; ? and ! stay.
    if line.endswith(".") and not line.endswith("..."):
        return line[:-1] + ("," if mode == "," else "")
    return line


def render(
    template: str,
    *,
    data: Callable[[str], str],
    free: dict[str, str],
    tense: str,
    gender_a: str,
    gender_b: str = "m",
) -> str:
    def data_slot(m: re.Match[str]) -> str:
        name = m.group(1)
        if name in DATA_SLOTS:
            if name.startswith("line"):
                text = data("line")
                return _final(text, name[-1]) if name != "line" else text
            return data(name)
        return m.group(0)

    out = _SLOT_RE.sub(data_slot, template)
    index = 1 if tense == "past" else 2
    out = _TENSE_RE.sub(lambda m: m.group(index), out)
    out = _GENDER_RE.sub(
        lambda m: m.group(3) if (gender_b if m.group(1) else gender_a) == "f" else m.group(2), out
    )
    return _SLOT_RE.sub(lambda m: free.get(m.group(1), m.group(0)), out)


def capitalise(text: str) -> str:
    return text[:1].upper() + text[1:] if text else text
