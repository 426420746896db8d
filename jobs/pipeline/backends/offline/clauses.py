"""Plan text (events, summaries, goals — possibly typed by the writer) made fit for a sentence.

``adapt_clause`` turns "Mira confronts Tomas at the pier" into the
narrative's tense and person ("Mira confronted Tomas at the pier", "I
confronted Tomas…"; Polish through Morfeusz: "Jadwiga przewozi listy" →
"Jadwiga przewoziła listy", "przewoziłam listy"). It answers ``None`` when
it finds no verb it can put in that tense: the writer then leaves the clause
out rather than print a present-tense fragment in a past-tense story.
``clean_value`` strips what would double up or dangle when a value is
slotted into a template: end punctuation, a leading "wants to" in a goal
used after "wanted", a word typed twice.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from . import morph_pl
from .lang import load_json

_WORD_RE = re.compile(r"[^\W\d_]+(?:['’\-][^\W\d_]+)*")
_DOUBLE_RE = re.compile(r"\b(\w+)(\s+\1\b)+", re.IGNORECASE)


@cache
def _en_verbs() -> tuple[frozenset[str], dict[str, str]]:
    d = load_json("en/inspiration.json")
    irregular = dict(d["irregular"])
    for v in load_json("en/patterns.json")["verbs"]:  # the planner's own verbs, with their past forms
        present, past = v["present"].split()[0], v["past"].split()[0]
        base = _strip_s(present)
        irregular.setdefault(base, past)
    return frozenset(d["verbs"]) | frozenset(irregular), irregular


@cache
def _en_stop() -> frozenset[str]:
    d = load_json("en/inspiration.json")
    return frozenset(d["stopwords"]) | frozenset(d["determiners"])


def _strip_s(word: str) -> str:
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("sses", "shes", "ches", "xes", "zes", "oes")):
        return word[:-2]
    return word[:-1] if word.endswith("s") and not word.endswith("ss") else word


def _en_base(word: str, lexicon: frozenset[str]) -> str | None:
    for cand in (
        word[:-3] + "y" if word.endswith("ies") else "",
        word[:-2] if word.endswith("es") else "",
        word[:-1],
    ):
        if word.endswith("s") and cand and cand in lexicon:
            return cand
    return None


def _en_past(base: str, irregular: dict[str, str]) -> str:
    if base in irregular:
        return irregular[base]
    if base.endswith("e"):
        return base + "d"
    if base.endswith("y") and base[-2:-1] not in "aeiou":
        return base[:-1] + "ied"
    return base + "ed"


def clean_value(value: str, language: str, kind: str = "") -> str:
    text = " ".join(str(value or "").split())
    text = _DOUBLE_RE.sub(r"\1", text)
    if kind == "goal":
        lead = load_json(f"{language}/voice.json").get("goal_lead", [])
        low = text.lower()
        for phrase in sorted(lead, key=len, reverse=True):
            if low.startswith(phrase + " "):
                text = text[len(phrase) + 1 :]
                break
    text = text.strip(" ;,:-—–")
    if kind == "sentence":
        text = text.rstrip(".!?…") + "." if text else ""
        return text[:1].upper() + text[1:]
    return text.rstrip(".!?…;,:").strip()


def adapt_clause(text: str, language: str, tense: str, people: list[Any], person: int = 3) -> str | None:
    """``text`` in ``tense``, with its subject as narrator if it is one; ``None`` if not possible."""
    clause = clean_value(text, language)
    if not clause:
        return None
    actor = next(
        (p for p in sorted(people, key=lambda p: -len(p.name)) if clause.startswith(p.name + " ")), None
    )
    narrator = person if actor is not None and getattr(actor, "narrator", False) else 0
    if language == "pl":
        return _pl(clause, tense, actor, narrator)
    return _en(clause, tense, actor, narrator)


def _en(clause: str, tense: str, actor: Any, narrator: int) -> str | None:
    lexicon, irregular = _en_verbs()
    words = clause.split(" ")
    start = len(actor.name.split()) if actor else 0
    stop = _en_stop()
    for i in range(start, min(len(words), start + 8)):
        w = words[i].lower().strip(",;:")
        if w in stop and w not in lexicon:
            continue
        base = _en_base(w, lexicon)
        if base is None and w in irregular.values():
            return _en_person(words, start, i, w, narrator) if tense == "past" else None
        prev = words[i - 1].lower() if i else ""
        after_noun = i > start and prev not in stop and not prev.endswith("s")
        if (
            base is None
            and (i == start and actor or after_noun)
            and w.endswith("s")
            and not w.endswith(("ss", "us", "is"))
        ):
            base = _strip_s(
                w
            )  # after a name or a noun, an -s word is the verb ("Nerisa trades…", "the bridge collapses")
        if base is None:
            continue
        form = _en_past(base, irregular) if tense == "past" else (w if not narrator else base)
        if narrator == 2 and form == "was":
            form = "were"
        words[i] = form
        return _en_person(words, start, i, form, narrator)
    return None


def _en_person(words: list[str], start: int, i: int, form: str, narrator: int) -> str:
    if narrator:
        return " ".join(["I" if narrator == 1 else "you", *words[start:]])
    return " ".join(words)


def _pl(clause: str, tense: str, actor: Any, narrator: int) -> str | None:
    words = clause.split(" ")
    start = len(actor.name.split()) if actor else 0
    gender = actor.gender if actor else "m"
    person = narrator or 3
    for i in range(start, min(len(words), start + 4)):
        w = words[i].strip(",;:")
        r = morph_pl.verb_reading(w.lower())
        if r is None or r.pos != "fin":
            continue
        if tense == "past":
            form = morph_pl.past_form(w.lower(), gender)
            if form and narrator:
                form = morph_pl.past_person(form, person)
        else:
            form = morph_pl.present_person(w.lower(), person) if narrator else w
        if not form:
            return None
        words[i] = form
        return " ".join(words[start:] if narrator else words)
    return None
