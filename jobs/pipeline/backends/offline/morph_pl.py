"""Polish morphology for the offline engine, from Morfeusz 2 and its SGJP dictionary.

Morfeusz (``morfeusz2`` on PyPI, BSD licence) analyses a word form into
lemma + tag (``subst:sg:acc:f``, ``praet:sg:f:perf``, ``fin:sg:ter:imperf``)
with name qualifiers (``imię``, ``nazwisko``, ``nazwa_geograficzna``), and
generates every form of a lemma. The engine uses it to tell people from
places, to bring names back to the nominative ("przez Wisłę" → "Wisła"), and
to put verbs in the first or second person. One analyser per process, built
on first use (~0.1 s, ~50 MB).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any


@cache
def _morfeusz() -> Any:
    import morfeusz2  # noqa: PLC0415 — a C extension with a 50 MB dictionary: only when Polish is written

    return morfeusz2.Morfeusz(generate=True, analyse=True)


@dataclass(frozen=True)
class Reading:
    lemma: str  # without Morfeusz's ":Sf"-style homonym marks
    tag: str
    kinds: tuple[str, ...]  # "imię", "nazwisko", "nazwa_geograficzna", "nazwa_pospolita"…

    @property
    def pos(self) -> str:
        return self.tag.split(":", 1)[0]

    def has(self, value: str) -> bool:
        return any(value in part.split(".") for part in self.tag.split(":"))


@cache
def readings(word: str) -> tuple[Reading, ...]:
    out = []
    for _start, _end, (_orth, lemma, tag, kinds, _labels) in _morfeusz().analyse(word):
        if tag == "ign":
            continue
        out.append(Reading(lemma.split(":", 1)[0], tag, tuple(kinds)))
    return tuple(out)


def is_known(word: str) -> bool:
    return bool(readings(word))


@cache
def name_kind(word: str) -> str:
    """'person', 'place' or '' for a capitalised word, from the dictionary's qualifiers."""
    rs = [r for r in readings(word) if r.pos == "subst" and r.lemma[:1].isupper()]
    if any("imię" in r.kinds for r in rs):
        return "person"
    if any("nazwa_geograficzna" in r.kinds for r in rs):
        return "place"
    if any("nazwisko" in r.kinds for r in rs):
        return "person"
    return ""


@cache
def first_name_gender(word: str) -> str:
    """'f' or 'm' for a known first name (Jadwiga, Kazimierz), else ''."""
    for r in readings(word):
        if "imię" in r.kinds and r.lemma == word:
            if r.has("f"):
                return "f"
            if r.has("m1"):
                return "m"
    for r in readings(word):
        if "imię" in r.kinds:
            return "f" if r.has("f") else "m" if r.has("m1") else ""
    return ""


@cache
def nominative(word: str, *, kind: str = "") -> str:
    """The dictionary form of a (proper) noun: "Wisłę" → "Wisła", "Gdańska" → "Gdańsk"."""
    for r in readings(word):
        if r.pos == "subst" and (not kind or kind in r.kinds) and r.lemma[:1].isupper() == word[:1].isupper():
            return r.lemma
    return word


def is_verb(word: str) -> bool:
    return any(r.pos in ("fin", "praet", "bedzie", "impt", "inf") for r in readings(word))


def verb_reading(word: str) -> Reading | None:
    return next((r for r in readings(word) if r.pos in ("fin", "praet", "bedzie")), None)


@cache
def past_person(form: str, person: int) -> str | None:
    """Past third person → first or second: "zapaliła" → "zapaliłam", "zapalił" → "zapaliłeś"."""
    if person == 3:
        return form
    if not any(r.pos == "praet" for r in readings(form)):
        return None
    if form.endswith("ł"):
        return form + ("em" if person == 1 else "eś")
    if form.endswith("ła"):
        return form + ("m" if person == 1 else "ś")
    return None


@cache
def present_person(form: str, person: int) -> str | None:
    """Present (or "będzie") third person singular → first or second: "niesie" → "niosę"/"niesiesz"."""
    if person == 3:
        return form
    want = "pri" if person == 1 else "sec"
    for r in readings(form):
        if r.pos not in ("fin", "bedzie") or not r.has("ter") or not r.has("sg"):
            continue
        aspect = r.tag.rsplit(":", 1)[-1]
        for orth, _lemma, tag, *_ in (g[:3] for g in _morfeusz().generate(r.lemma)):
            parts = tag.split(":")
            if (
                parts[0] == r.pos
                and "sg" in parts[1].split(".")
                and want in tag.split(":")
                and tag.endswith(aspect)
            ):
                return orth
    return None


@cache
def past_form(form: str, gender: str) -> str | None:
    """Present third person → past with the subject's gender: "przewozi" → "przewoziła"."""
    for r in readings(form):
        if r.pos != "fin" or not r.has("ter"):
            continue
        want = "f" if gender == "f" else "m1"
        for g in _morfeusz().generate(r.lemma):
            orth, tag = g[0], g[2]
            parts = tag.split(":")
            if parts[0] == "praet" and "sg" in parts[1].split(".") and want in parts[2].split("."):
                return orth
    return None


def singular(word: str) -> str:
    """A plural noun in the nominative → its singular ("siostry" → "siostra"); anything else as it is."""
    rs = [r for r in readings(word) if r.pos == "subst"]
    plural_nom = [r for r in rs if r.has("pl") and r.has("nom")]
    if plural_nom and not any(r.has("sg") and r.has("nom") for r in rs):
        return plural_nom[0].lemma
    return word


def _gender_tag(r: Reading) -> str:
    return next((g for g in ("m1", "m2", "m3", "f", "n") if r.has(g)), "")


def nominative_phrase(words: list[str], *, kind: str = "") -> list[str]:
    """A name of several words in the nominative: "Rynku Staromiejskim" → "Rynek Staromiejski"."""
    out, gender = [], ""
    for word in words:
        rs = readings(word)
        nouns = [r for r in rs if r.pos == "subst"]
        adjectives = [r for r in rs if r.pos == "adj"]
        if adjectives and (gender or not nouns):
            lemma = adjectives[0].lemma
            want = gender or "m3"
            form = next(
                (
                    g[0]
                    for g in _morfeusz().generate(lemma)
                    if g[2].startswith("adj:sg:nom") and want in g[2].split(":")[3].split(".")
                ),
                word,
            )
            out.append(form[:1].upper() + form[1:] if word[:1].isupper() else form)
            continue
        base = nominative(word, kind=kind) if kind else word
        if base == word and nouns and not nouns[0].has("nom"):
            base = nominative(word)
        base = base[:1].upper() + base[1:] if word[:1].isupper() else base
        out.append(base)
        if not gender:
            head = next((r for r in readings(base) if r.pos == "subst" and r.has("nom")), None)
            gender = _gender_tag(head) if head else ""
    return out
