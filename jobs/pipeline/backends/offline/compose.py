"""Sentences for one segment, drawn from narrative-wide decks (see ``decks``).

A sentence is a template from ``data/<lang>/prose.json`` — whole (a stock
line of description, a reaction) or composed of parts (opener × subject ×
place × tail; who × gesture × thing × where; a dialogue frame × a thing) —
rendered with the plan's people and places, in the narrative's tense and
point of view (``voice``). Whole templates are few, so each is spent once per
narrative; composed ones are many. ``None`` from a deck means "this segment's
share is spent": callers fall back to a composed sentence, and only when
those run out too (never at the planned lengths) may a sentence recur.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from functools import cache
from typing import Any

from .decks import ProductDeck, RangeDeck
from .inspire import Motif, slots
from .lang import _SLOT_RE, Deck, LangData, capitalise, lang_data, load_json, render
from .setting import allowed
from .voice import Voice

_DOUBLED = re.compile(r"\b(\w{2,}) \1\b", re.IGNORECASE)
WHOLE = (
    "desc",
    "act",
    "reflect",
    "core",
    "questions",
    "reactions",
    "closings",
    "openings",
    "sense",
    "tone",
    "motif",
    "event_frames",
    "first",
    "tags",
)


@dataclass
class Person:
    name: str
    gender: str
    goal: str
    contra: str
    voice: str
    arc: str
    narrator: bool = False


@cache
def _variants(code: str) -> tuple[re.Pattern[str] | None, dict[str, list[str]]]:
    """Phrase variants (``prose.json`` "variants"): one regex over all keys, longest first."""
    table = load_json(f"{code}/prose.json").get("variants", {})
    if not table:
        return None, {}
    keys = sorted(table, key=len, reverse=True)
    pattern = re.compile("(?<![\\w<|\\[~])(" + "|".join(re.escape(k) for k in keys) + ")(?![\\w>~\\]|])")
    return pattern, table


def _tone(brief: dict[str, Any], p: dict[str, Any]) -> str:
    """The brief's tone, unless revision instructions name another ("make it darker")."""
    text = str(brief.get("revision_instructions") or "").lower()
    for knob, keys in p.get("revision_keywords", {}).items():
        if knob in p["tones"] and text and any(k in text for k in keys):
            return knob
    return str(brief.get("tone") or "neutral")


@cache
def _material(
    code: str, genre_name: str, tone: str, features: frozenset[str], motif: tuple[bool, bool, bool]
) -> dict[str, dict[str, Any]]:
    """The phrase lists for one world, filtered once per process (every segment asks again)."""
    lang = lang_data(code)
    p, g = lang.patterns, lang.genre(genre_name)
    prose = load_json(f"{code}/prose.json")
    genre = prose["genres"].get(genre_name, {})
    keep = allowed(code, features)

    def kept(items: list[str]) -> tuple[str, ...]:
        return tuple(x for x in items if keep(x)) or tuple(items[:1])

    has_motif, has_verb, has_role = motif
    whole = {
        "desc": list(prose["desc"]) + list(genre.get("desc", [])),
        "act": ["{A} " + a for a in prose["act"]],
        "reflect": prose["reflect"],
        "core": [x.rstrip(".") for x in list(prose["line_core"]) + list(genre.get("lines") or g["lines"])],
        "questions": prose["questions"],
        "reactions": p["reactions"] + prose.get("reactions", []),
        "closings": p["closings"] + prose.get("closings", []),
        "openings": prose["openings"],
        "sense": g["senses"],
        "tone": p["tones"].get(tone) or [],
        "first": p.get("first_person", []),
        "event_frames": prose["event_frames"],
        "tags": prose["tags"],
        "slots": [t + "." for t in prose["reflect_slots"]],
        "motif": [
            t
            for t in prose["motif"]
            if has_motif and (has_verb or "{mverb}" not in t) and (has_role or "{role}" not in t)
        ],
    }
    wheres = list(prose["gesture_where"]) + [
        f"{pp} {w}" for pp in prose.get("where_prep", []) for w in prose.get("where_place", [])
    ]
    products = {
        "scene": (
            [""] + prose["openers"],
            prose["scene_subj"],
            prose["scene_where"],
            [""] + prose["desc_tails"],
        ),
        "gesture": ([""] + prose["openers"], prose["gesture_verb"], prose["things"], wheres),
        "deed": (prose["act"], prose["act_tails"]),  # no empty tail: that would be a stock "act" again
        "line": (prose["line_frames"], prose["things"]),
        "muse": (prose["reflect"], prose["reflect_tails"]),
    }
    parts = {
        "openers": prose["openers"],
        "line_open": prose["line_open"],
        "line_close": prose["line_close"],
        "time": p["time"],
        "obj": g["objects"],
        "things": prose["things"],
    }
    return {
        "whole": {k: kept(v) for k, v in whole.items() if v},
        "products": {k: tuple(kept(part) for part in v) for k, v in products.items()},
        "parts": {k: kept(v) for k, v in parts.items()},
    }


class Composer:
    def __init__(self, lang: LangData, payload: dict[str, Any], motif: Motif, features: set[str]) -> None:
        brief = payload["brief"]
        seg = payload["segment"]
        self.lang, self.p = lang, lang.patterns
        self.g = lang.genre(brief["genre"])
        self.prose = load_json(f"{lang.code}/prose.json")
        self.tense = brief.get("tense", "past")
        self.voice = Voice(lang.code, brief.get("pov", "third_limited"), self.tense)
        # A regenerated chapter (``variant``) composes anew from the same decks: its own slice of
        # the narrative's sentences, so it changes without repeating the chapters around it.
        self.rng = random.Random(
            payload["seed"] + 7919 * seg["index"] + 104729 * int(payload.get("variant") or 0)
        )
        seed, index = int(payload["seed"]) % (2**31), int(seg["index"])
        # Segments of this narrative: its target over this segment's size (they are equal-sized).
        segments = max(
            1, round(int(brief.get("target_words") or seg["target_words"]) / max(1, seg["target_words"]))
        )
        material = _material(
            lang.code,
            brief["genre"],
            _tone(brief, self.p),
            frozenset(features),
            (bool(motif.motif), bool(motif.verb), bool(motif.role)),
        )
        self.whole = {
            k: RangeDeck(v, key=k, seed=seed, index=index, segments=segments)
            for k, v in material["whole"].items()
        }
        self.products = {
            k: ProductDeck(v, key=k, seed=seed, index=index, segments=segments)
            for k, v in material["products"].items()
        }
        # Parts that may recur freely: short and never a sentence of their own.
        self.parts = {k: Deck(v, self.rng) for k, v in material["parts"].items()}
        self.laws = Deck(payload["world"].get("laws") or [""], self.rng)
        self.theme = payload["world"].get("theme", "")
        self.motif_slots = {g: slots(motif, tense=self.tense, gender=g) for g in ("f", "m")}
        self.location: dict[str, str] = {}
        self.last_subject: Person | None = None

    # -- drawing ------------------------------------------------------------------
    def take(self, key: str) -> str | None:
        deck = self.whole.get(key)
        return deck.draw() if deck is not None else None

    def composed(self, key: str) -> list[str] | None:
        return self.products[key].draw()

    def part(self, key: str) -> str:
        return self.parts[key].draw()

    def line(self) -> str:
        """A line of dialogue: a stock line once per narrative, else a framed one."""
        core = self.take("questions") if self.rng.random() < 0.2 else self.take("core")
        if core is None:
            framed = self.composed("line")
            core = framed[0].replace("{thing}", framed[1]) if framed else self.part("line_open").rstrip(",")
        if core[-1:] not in "?!.":
            core += "."
        opener = self.part("line_open") if self.rng.random() < 0.2 else ""
        if opener and opener[-1] not in ".?!" and not core.startswith(("I ", "I'", "I’")):
            core = core[:1].lower() + core[1:]
        closer = self.part("line_close") if self.rng.random() < 0.15 else ""
        return " ".join(x for x in (opener, core, closer) if x)

    def _data(self, name: str) -> str:
        if name == "line":
            return self.line()
        if name in self.parts:
            return self.part(name)
        return self.take(name) or ""

    # -- rendering ----------------------------------------------------------------
    def sentence(self, template: str, a: Person, b: Person | None = None, **extra: str) -> str:
        b = b or a
        pattern, table = _variants(self.lang.code)
        if pattern is not None:
            template = pattern.sub(lambda m: self.rng.choice(table[m.group(1)]), template)
        pron = self.p["pronouns"]
        own = pron.get(a.gender, pron["x"])
        free = {
            "A": a.name,
            "B": b.name,
            "L": self.location.get("name", ""),
            "Ldesc": self.location.get("description", ""),
            "obj": self.part("obj"),
            "law": self.laws.draw(),
            "goal": a.goal,
            "contra": a.contra,
            "theme": self.theme,
            "voice": a.voice,
            "arc": a.arc,
            "A.pos": own["pos"],
            "A.subj": own.get("subj", ""),
            "thing": self.part("things"),
        }
        extra_pron = self.prose.get("pronouns", {})
        if extra_pron:
            mine = extra_pron.get(a.gender, extra_pron["x"])
            free["A.obj"], free["A.self"] = mine["obj"], mine["self"]
        for key in ("law", "goal", "contra", "theme", "voice", "arc", "Ldesc"):
            free[key] = free[key].strip().rstrip(".!?;:,").strip()  # the template supplies its own stop
        free.update(self.motif_slots["f" if a.gender == "f" else "m"])
        free.update(extra)
        if a.narrator or b.narrator:
            template = self.voice.adapt(
                template, a=a.narrator, b=b.narrator, gender_a=a.gender, gender_b=b.gender
            )
            if a.narrator:
                free.update(self.voice.pronoun_slots(a.gender))
        if any(not free.get(name, "x") for name in _SLOT_RE.findall(template)):
            return ""  # a slot with nothing to put in it: leave the sentence out, never print a gap
        starts_with_a = template.startswith("{A} ")
        if starts_with_a and a is self.last_subject and not a.narrator and self.rng.random() < 0.75:
            # Same subject as the sentence before: a pronoun (English) or no
            # subject at all (Polish drops it; the verb's ending carries it).
            subject = own.get("subj", "")
            template = (subject + " " if subject else "") + template[4:]
            if a.gender == "x" and self.lang.code == "en":
                template = template.replace("<was|", "<were|")
        self.last_subject = a if starts_with_a else b if template.startswith("{B} ") else None
        text = render(
            template,
            data=self._data,
            free=free,
            tense=self.tense,
            gender_a=a.gender,
            gender_b=b.gender,
        )
        text = " ".join(text.split())
        if _DOUBLED.search(text):
            return ""  # two parts met on the same word ("for a while while…"): leave the sentence out
        return capitalise(text)
