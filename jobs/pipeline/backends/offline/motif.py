"""What the offline engine takes from an inspiration (``Motif``) and the helpers its readers share."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from .lang import load_json

_TOKEN_RE = re.compile(r"[^\W\d_]+(?:['’\-][^\W\d_]+)*|[.,;:!?—–()\"“”„]")
_SENT_RE = re.compile(r"(?<=[.!?…])\s+")


@dataclass(frozen=True)
class Motif:
    """What the offline engine took from the inspiration."""

    language: str
    role: str = ""  # "lighthouse keeper" / "latarnik"
    gender: str = ""  # "f", "m" or "" when the text does not say
    verb: str = ""  # present, third person: "collects" / "zbiera"
    verb_past: str = ""  # "collected" / "zbierał~zbierała"
    motif: str = ""  # the central object phrase: "storms in jars"
    head: str = ""  # its first noun, with its determiner in English: "the storms"
    plural: bool = True
    objects: tuple[str, ...] = ()  # secondary noun phrases
    setting: tuple[str, str] | None = None  # (location name, description)
    keywords: tuple[str, ...] = field(default=())

    @property
    def has_motif(self) -> bool:
        return bool(self.motif)

    def verb_for(self, tense: str, gender: str) -> str:
        if tense != "past" or not self.verb_past:
            return self.verb
        forms = self.verb_past.split("~")
        return forms[1] if gender == "f" and len(forms) > 1 else forms[0]


def _data(language: str) -> dict[str, Any]:
    return load_json(f"{language}/inspiration.json")


def _tokens(text: str, limit: int = 80) -> list[str]:
    sentences = _SENT_RE.split(" ".join(text.split()))
    out: list[str] = []
    for s in sentences[:3]:
        out += _TOKEN_RE.findall(s) + ["."]
        if len(out) >= limit:
            break
    return out[:limit]


def _is_word(tok: str) -> bool:
    return tok[:1].isalpha()


def _setting(low: list[str], settings: dict[str, list[str]], *, exact: bool) -> tuple[str, str] | None:
    for w in low:
        if not _is_word(w):
            continue
        for key, (name, desc) in settings.items():
            if exact:
                hit = w == key or w == key + "s" or (len(key) >= 6 and w.startswith(key))
            else:
                hit = w.startswith(key) and (len(key) >= 5 or len(w) <= len(key) + 3)
            if hit:
                return name, desc
    return None


def _keywords(candidates: list[str], stop: frozenset[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(w.lower() for w in candidates if len(w) >= 3 and w.lower() not in stop))
