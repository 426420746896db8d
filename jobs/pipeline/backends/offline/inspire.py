"""Reading the writer's inspiration: who, doing what, with what, where.

A deterministic, language-aware heuristic (no model, no tagger) over the
first sentences of the inspiration, driven by the word lists in
``data/<lang>/inspiration.json``:

* the leading noun phrase before a verb or a relative pronoun is the
  protagonist's role ("A lighthouse keeper who …" → "lighthouse keeper",
  "Latarnik, który …" → "latarnik");
* the verb after it (its past form is derived by rule or from a small table)
  and the noun phrase it governs are the central motif ("collects storms in
  jars", "zbiera burze do słoików");
* a setting word anywhere in the text ("lighthouse", "latarn-") becomes a
  location; other noun phrases after determiners or prepositions are kept as
  secondary objects.

``world_notes`` get a lighter reading: each sentence can become a law of the
world and capitalised names inside it become locations.

Polish cases are not re-inflected: the motif keeps the case it had after its
verb (accusative, usually), so the templates only use it in object position.
"""

from __future__ import annotations

import re
from dataclasses import replace
from functools import cache

from . import morph_pl
from .inspire_en import _analyse_en
from .inspire_pl import _analyse_pl
from .lang import capitalise
from .motif import _SENT_RE, Motif, _data, _is_word, _tokens
from .people import mask, not_objects, read_names

__all__ = ["Motif", "analyse", "fill", "read_notes", "slots"]


def _written_in(text: str, language: str) -> bool:
    """False when the text reads as the other language (an English idea in a Polish brief)."""
    toks = [t.lower() for t in _tokens(text) if _is_word(t)]
    own = sum(t in frozenset(_data(language)["stopwords"]) for t in toks)
    other = "en" if language == "pl" else "pl"
    return own >= sum(t in frozenset(_data(other)["stopwords"]) for t in toks)


@cache
def analyse(inspiration: str, language: str) -> Motif:
    """The motif of an inspiration (cached: every segment asks again).

    An inspiration written in another language than the brief's gives an empty
    motif: its words cannot be woven into the prose grammatically.
    """
    if not _written_in(inspiration, language):
        return Motif(language)
    named = read_names(inspiration, language)
    text = mask(inspiration, named, language)  # people and places are the cast and the map, not the motif
    try:
        found = _analyse_pl(text) if language == "pl" else _analyse_en(text)
    except (IndexError, KeyError, ValueError):  # a heuristic must never break a run
        return Motif(language)
    if language == "pl" and found.role:  # "Dwie siostry dziedziczą…": one protagonist, "siostra"
        role = " ".join(morph_pl.singular(w) for w in found.role.split())
        found = replace(found, role=role, gender="f" if role.endswith("a") else found.gender)
    names = frozenset(w.lower() for n in named for f in n.forms | {n.name} for w in f.split())
    return _scrub(found, not_objects(named, language), names)


def _scrub(m: Motif, banned: frozenset[str], names: frozenset[str]) -> Motif:
    """Drop a motif or object that is really a person ("the estranged brother"), rather than mis-cast it."""

    def clean(phrase: str) -> bool:
        return bool(phrase) and not any(w.lower() in banned for w in phrase.split())

    objects = tuple(o for o in m.objects if clean(o))
    role = "" if any(w.lower() in names for w in m.role.split()) else m.role
    if clean(m.motif):
        return replace(m, objects=objects, role=role)
    if not objects:
        return replace(m, motif="", head="", verb="", verb_past="", objects=(), role=role)
    first, rest = objects[0], objects[1:]
    motif = ("the " + first) if m.language == "en" else first
    plural = first.endswith("s") and not first.endswith("ss")
    return replace(m, motif=motif, head=motif, verb="", verb_past="", objects=rest, role=role, plural=plural)


# -- slot values for the planning and prose templates --------------------------------


def slots(m: Motif, *, tense: str = "present", gender: str = "m") -> dict[str, str]:
    """Values for ``{role}``, ``{motif}``, ``{mverb}`` … in templates."""
    d = _data(m.language)
    role = m.role or d["role_default"]
    motif = m.motif or (m.objects[0] if m.objects else "")
    head = m.head or motif
    out = {
        "role": role,
        "Role": " ".join(capitalise(w) for w in role.split()) if m.language == "en" else capitalise(role),
        "role_article": "an" if role[:1] in "aeiou" else "a",
        "motif": motif,
        "Motif": _title_case(motif) if m.language == "en" else capitalise(motif),
        "mhead": head,
        "mverb": m.verb_for(tense, gender) if m.verb else "",
        "are": "are" if m.plural else "is",
        "them": "them" if m.plural else "it",
        "they": "they" if m.plural else "it",
        "which": "która" if m.gender == "f" else "który",
        "setting": m.setting[0] if m.setting else "",
    }
    out["role_pl"] = role + ("s" if not role.endswith("s") else "es") if m.language == "en" else role
    return out


def _title_case(text: str) -> str:
    small = {"of", "in", "a", "an", "the", "and", "from", "with", "for", "to"}
    ws = text.split()
    if ws and ws[0] == "the":
        ws = ws[1:]
    return " ".join(w if (w in small and i) else capitalise(w) for i, w in enumerate(ws))


def fill(template: str, values: dict[str, str]) -> str:
    out = template
    for key, value in values.items():
        out = out.replace("{" + key + "}", value)
    return out


_NAME_RE = re.compile(
    r"(?<![.!?]\s)(?<!^)\b((?:the\s+)?[A-ZĄĆĘŁŃÓŚŹŻ][\w’'\-]+(?:\s+(?:of\s+|the\s+)?[A-ZĄĆĘŁŃÓŚŹŻ][\w’'\-]+)*)"
)


def _not_places() -> frozenset[str]:
    return frozenset(w for code in ("en", "pl") for w in _data(code).get("not_places", []))


def read_notes(notes: str) -> tuple[list[str], list[str]]:
    """Laws (whole sentences) and place names (capitalised runs not opening a sentence)."""
    laws, places = [], []
    for line in notes.splitlines():
        for sentence in _SENT_RE.split(line.strip()):
            sentence = sentence.strip(" -•*")
            if not sentence:
                continue
            if sentence[-1] not in ".!?…":
                sentence += "."
            laws.append(capitalise(sentence)[:400])
            for match in _NAME_RE.finditer(sentence):
                name = match.group(1)
                if match.start() == 0 or len(name) < 3 or name.lower() in _not_places():
                    continue
                places.append(name)
    return list(dict.fromkeys(laws)), list(dict.fromkeys(places))
