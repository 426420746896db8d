"""The writer's people and places, read from the inspiration and the world notes.

Names are runs of capitalised words. Each is judged by its context, from the
word lists in ``data/<lang>/people.json``:

* a place after a place preposition ("on Ketha", "nad Wisłą"), after a place
  noun ("the island of Ketha", "miasto zwane …"), or with a place head word
  ("Ketha Island");
* a person after "called"/"named"/"nazywa się" when what is named is a person
  ("the keeper is called Mira Vell"), after a kinship or role word ("her
  brother Tomas", "syn Kazimierz"), before a verb ("Tomas smuggles"), or when
  the name is a known first name.

For Polish, Morfeusz's dictionary also tells first names, surnames and
geographical names apart, brings inflected names back to the nominative
("nad Wisłą" → "Wisła", "do Gdańska" → "Gdańsk") and gives first names their
gender. Gender otherwise comes from a kinship word or a pronoun after the name.
A run the reader cannot place is left out, not guessed into the cast.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from . import morph_pl
from .lang import load_json

_TOKEN_RE = re.compile(r"[^\W\d_]+(?:['’\-][^\W\d_]+)*|[.,;:!?—–()\"“”„]")
_SENT_END = frozenset('.!?;:—–()"“”„')


@dataclass
class Named:
    name: str
    kind: str  # "person" or "place"
    gender: str = ""  # "f", "m" or ""
    role: str = ""
    protagonist: bool = False
    mentions: list[int] = field(default_factory=list)
    forms: set[str] = field(default_factory=set)  # as written: "Wisłę", "Mira Vell"


@cache
def _lists(language: str) -> dict[str, Any]:
    d = load_json(f"{language}/people.json")
    return {k: (frozenset(v) if isinstance(v, list) else v) for k, v in d.items()}


def _runs(tokens: list[str]) -> list[tuple[int, int]]:
    """(start, end) of capitalised runs; the first word of a sentence counts only with more evidence."""
    out, i = [], 0
    while i < len(tokens):
        if tokens[i][:1].isupper() and tokens[i][:1].isalpha():
            j = i
            while j < len(tokens) and tokens[j][:1].isupper() and tokens[j][:1].isalpha() and j - i < 3:
                j += 1
            out.append((i, j))
            i = j
        else:
            i += 1
    return out


def named_in_brief(brief: dict[str, Any]) -> list[Named]:
    """People and places of the inspiration, then of the world notes."""
    text = brief.get("inspiration", "") + "\n" + brief.get("world_notes", "")
    return _read_cached(" ".join(text.split()), brief["language"])


@cache
def _read_cached(text: str, language: str) -> list[Named]:
    return read_names(text, language)


def read_names(text: str, language: str) -> list[Named]:
    """People and places named in ``text``, in order of first mention."""
    L = _lists(language)
    tokens = _TOKEN_RE.findall(" ".join(text.split()))
    low = [t.lower() for t in tokens]
    found: dict[str, Named] = {}
    for start, end in _runs(tokens):
        words = tokens[start:end]
        initial = start == 0 or tokens[start - 1] in _SENT_END
        if initial and language == "en" and words[0].lower() in L["common"]:
            words, start = words[1:], start + 1  # "The", "Her", "When" opening a sentence
        lead_role = ""
        while (
            language == "pl"
            and words
            and (
                _pl_common(words[0])
                or (len(words) > 1 and not _pl_proper(words[0]) and morph_pl.name_kind(words[1]) == "person")
            )
        ):
            lead_role = words[0].lower()  # "Latarniczka Jadwiga Żmuda": a common noun before the name
            words, start = words[1:], start + 1
        if not words or any(w.lower() in L["not_names"] for w in words):
            continue
        if len(words) == 1 and (words[0].lower() in L["roles"] or words[0].lower() in L["kin"]):
            continue  # "the Duke", "Mother": a title or a kinship word, not a name
        kind, gender, role = _judge(tokens, low, start, start + len(words), language, L, initial)
        if not kind:
            continue
        if lead_role and kind == "person":
            role = role or lead_role
            gender = gender or _gender_of(words, [lead_role], language, L)
        if language == "pl" and kind == "place" and len(words) > 1:
            name = " ".join(morph_pl.nominative_phrase(words, kind="nazwa_geograficzna"))
        else:
            name = " ".join(_nominative(w, kind, language) for w in words)
        entry = found.setdefault(name, Named(name, kind, gender, role))
        entry.mentions.append(start)
        entry.forms.add(" ".join(words))
        entry.gender = entry.gender or gender
        entry.role = entry.role or role
    people = [n for n in found.values() if n.kind == "person"]
    _genders_from_pronouns(people, low, L)
    lead = _named_lead(low, tokens, people, L)
    if people:
        (lead or people[0]).protagonist = True
    return sorted(found.values(), key=lambda n: n.mentions[0])


def _pl_proper(word: str) -> bool:
    return any(r.lemma[:1].isupper() for r in morph_pl.readings(word))


def _pl_common(word: str) -> bool:
    rs = morph_pl.readings(word) or morph_pl.readings(word.lower())
    proper = [
        r for r in rs if r.lemma[:1].isupper() and ("imię" in r.kinds or "nazwa_geograficzna" in r.kinds)
    ]
    return bool(rs) and not proper


def _judge(
    tokens: list[str], low: list[str], start: int, end: int, language: str, L: dict[str, Any], initial: bool
) -> tuple[str, str, str]:
    before = low[max(0, start - 3) : start]
    prev = before[-1] if before else ""
    nxt = low[end] if end < len(low) else ""
    words = tokens[start:end]
    role_after = _role_after(low, end, L)
    naming = [i for i in range(max(0, start - 3), start) if low[i] in L["naming"]]
    if naming:
        # "The lighthouse keeper is called Mira Vell" / "Wyspa nazywa się Ketha": what is named?
        window = low[max(0, naming[-1] - 4) : naming[-1]]
        cut = max((k + 1 for k, w in enumerate(window) if w in _SENT_END), default=0)
        subject = [w for w in window[cut:] if w not in L["copulas"]]
        head = subject[-1] if subject else ""
        if head in L["place_nouns"] or (L["place_stems"] and head.startswith(tuple(L["place_stems"]))):
            return "place", "", ""
        return (
            "person",
            _gender_of(words, [*subject, prev], language, L),
            role_after or _role_before(subject, L),
        )
    if prev in L["place_nouns"] or (
        len(before) >= 2 and before[-1] == "of" and before[-2] in L["place_nouns"]
    ):
        return "place", "", ""
    if words[-1].lower() in L["place_heads"] or prev == "the":
        return "place", "", ""
    # Person evidence.
    if prev in L["kin"] or prev in L["roles"]:
        return "person", _gender_of(words, before, language, L), role_after or prev
    if words[0] in L["names_f"] or words[0] in L["names_m"]:
        return "person", _gender_of(words, before, language, L), role_after
    if language == "pl":
        kind = morph_pl.name_kind(words[0])
        if kind:
            return kind, (_gender_of(words, before, language, L) if kind == "person" else ""), role_after
    if prev in L["place_preps"] and prev not in L["person_preps"]:
        return "place", "", ""
    kind = ""
    first = words[0]
    if initial and language == "en" and first.lower() in _vocabulary("en"):
        return "", "", ""  # "Rain falls…": an ordinary word opening a sentence
    if not kind and (
        nxt in L["verbs"] or nxt in ("is", "was", "has", "'s", "’s") or _looks_verb(nxt, language)
    ):
        kind = "person"
    if not kind and language == "en" and not initial:
        kind = "person" if len(words) <= 2 else ""
    if not kind and language == "pl" and not morph_pl.is_known(first) and not initial:
        kind = "person"
    if kind == "person":
        return kind, _gender_of(words, before, language, L), role_after
    return kind, "", ""


def _role_after(low: list[str], end: int, L: dict[str, Any]) -> str:
    """ "Tomas is a smuggler" → "smuggler"; "Jan jest przewoźnikiem" is left to the plan."""
    if end + 2 < len(low) and low[end] in L["copulas"] and low[end + 1] in ("a", "an"):
        words = []
        for w in low[end + 2 : end + 5]:
            if not w[:1].isalpha() or w in L["common"]:
                break
            words.append(w)
        return " ".join(words[:2])
    return ""


@cache
def _vocabulary(language: str) -> frozenset[str]:
    """Every lowercase word in the engine's own phrase data: a proxy for "an ordinary word"."""
    out: set[str] = set()
    for name in ("prose", "patterns", "genres", "inspiration"):
        out.update(re.findall(r"\b[a-z][a-z'’]+\b", str(load_json(f"{language}/{name}.json"))))
    return frozenset(out)


def _looks_verb(word: str, language: str) -> bool:
    if not word or not word[:1].isalpha():
        return False
    if language == "pl":
        return morph_pl.is_verb(word)
    return word.endswith("s") and not word.endswith(("ss", "us", "is"))


def _role_before(subject: list[str], L: dict[str, Any]) -> str:
    words = [w for w in subject if w not in L["common"] and w[:1].isalpha()]
    return " ".join(words[-2:])


def _gender_of(words: list[str], context: list[str], language: str, L: dict[str, Any]) -> str:
    for w in reversed(context):
        if w in L["feminine"]:
            return "f"
        if w in L["masculine"]:
            return "m"
    first = words[0]
    if first in L["names_f"]:
        return "f"
    if first in L["names_m"]:
        return "m"
    if language == "pl":
        g = morph_pl.first_name_gender(first)
        if g:
            return g
        if words[-1].endswith(("ska", "cka", "dzka")):
            return "f"
    return ""


def _genders_from_pronouns(people: list[Named], low: list[str], L: dict[str, Any]) -> None:
    """ "Mira Vell; her brother …": the first gendered pronoun after a name, before the next name."""
    starts = sorted((m, p) for p in people for m in p.mentions)
    for k, (at, person) in enumerate(starts):
        if person.gender:
            continue
        stop = starts[k + 1][0] if k + 1 < len(starts) else len(low)
        for w in low[at + 1 : min(stop, at + 12)]:
            if w in L["pron_f"]:
                person.gender = "f"
                break
            if w in L["pron_m"]:
                person.gender = "m"
                break


def _named_lead(low: list[str], tokens: list[str], people: list[Named], L: dict[str, Any]) -> Named | None:
    for i, w in enumerate(low):
        if w in L["lead_words"]:
            after = " ".join(tokens[i + 1 : i + 6])
            for person in people:
                if person.name.split()[0] in after:
                    return person
    return None


def _nominative(word: str, kind: str, language: str) -> str:
    if language != "pl":
        return word
    if kind == "place":
        return morph_pl.nominative(word, kind="nazwa_geograficzna")
    for qualifier in ("imię", "nazwisko"):
        form = morph_pl.nominative(word, kind=qualifier)
        if form != word or any(qualifier in r.kinds for r in morph_pl.readings(word)):
            return form
    return word


def split(named: list[Named]) -> tuple[list[Named], list[Named]]:
    """(people with the protagonist first, places)."""
    people = [n for n in named if n.kind == "person"]
    people.sort(key=lambda n: not n.protagonist)
    return people, [n for n in named if n.kind == "place"]


def mask(text: str, named: list[Named], language: str) -> str:
    """``text`` without the names (and "is called …" around them), for the motif reader."""
    L = _lists(language)
    forms = sorted({f for n in named for f in n.forms}, key=len, reverse=True)
    if not forms:
        return text
    alt = "|".join(re.escape(f) for f in forms)
    naming = "|".join(re.escape(w) for w in sorted(L["naming"], key=len, reverse=True))
    copulas = "|".join(re.escape(w) for w in L["copulas"])
    text = re.sub(rf"(?:\b(?:{copulas})\s+)?\b(?:{naming})(?:\s+się)?\s+(?:{alt})\b", "", text)
    text = re.sub(rf"\b(?:{alt})\b", "", text)
    return re.sub(r"\s+([,.;:])", r"\1", " ".join(text.split()))


def not_objects(named: list[Named], language: str) -> frozenset[str]:
    """Words that must not become the story's object: names, kinship and role words."""
    L = _lists(language)
    words = {w.lower() for n in named for f in n.forms | {n.name} for w in f.split()}
    return frozenset(words | set(L["kin"]) | set(L["roles"]) | set(L["place_nouns"]))
