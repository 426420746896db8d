"""The offline writer's prose: one segment at a time, true to its plan.

A segment is assembled from blocks: an opening at the planned location, a
paragraph that puts every planned character on stage, one block per key event
(the event itself, a reaction and an exchange of dialogue), filler paragraphs
(description, action, reflection, dialogue) until the planned length is
reached, and a closing hook. Required blocks are written first so trimming to
length can never drop a planned character or event.

Sentences are composed, not picked whole: an optional opener, a clause and an
optional tail, each drawn from its own deck (``data/<lang>/prose.json``), with
slots filled from the plan (cast, location, objects) and from the writer's
inspiration (role, central motif, its verb). Decks never repeat an item until
they are exhausted, and a window of recently used items is skipped on top, so
no clause recurs within a segment of ordinary length. Sentences naming long
plan values (goal, arc, laws…) are used at most once per segment.
"""

from __future__ import annotations

import random
import re
from collections import deque
from dataclasses import dataclass
from functools import cache
from typing import Any

from ...text import count_words
from .inspire import analyse, slots
from .lang import Deck, LangData, capitalise, load_json, render


@cache
def _variants(code: str) -> tuple[re.Pattern[str] | None, dict[str, list[str]]]:
    """Phrase variants (``prose.json`` "variants"): one regex over all keys, longest first."""
    table = load_json(f"{code}/prose.json").get("variants", {})
    if not table:
        return None, {}
    keys = sorted(table, key=len, reverse=True)
    pattern = re.compile("(?<![\\w<|\\[~])(" + "|".join(re.escape(k) for k in keys) + ")(?![\\w>~\\]|])")
    return pattern, table


@dataclass
class Person:
    name: str
    gender: str
    goal: str
    contra: str
    voice: str
    arc: str


def _gender(c: dict[str, Any], language: str) -> str:
    g = c.get("gender", "x")
    if g in ("f", "m"):
        return g
    # Polish needs a grammatical gender; names ending in -a are mostly feminine.
    return "f" if language == "pl" and c.get("name", "").lower().endswith("a") else "m"


class SegmentWriter:
    def __init__(self, lang: LangData, payload: dict[str, Any], seed: int) -> None:
        brief = payload["brief"]
        self.lang = lang
        self.p = lang.patterns
        self.g = lang.genre(brief["genre"])
        self.tense = brief.get("tense", "past")
        self.first_person = brief.get("pov") == "first"
        self.world = payload["world"]
        self.seg = payload["segment"]
        self.rng = random.Random(seed)
        cast = {c["name"]: c for c in payload.get("characters", [])}
        self.people = [
            self._person(cast.get(n, {"name": n}), brief["language"]) for n in self.seg["characters"]
        ]
        if not self.people:
            self.people = [self._person({"name": "—"}, brief["language"])]
        locations = {loc["name"]: loc for loc in self.world.get("locations", [])}
        self.location = locations.get(self.seg["location"], {"name": self.seg["location"], "description": ""})
        tone = brief.get("tone", "neutral")
        self.weights = {"description": 3, "action": 3, "reflection": 1, "dialogue": 3}
        self.tone = tone
        self._apply_revision(brief.get("revision_instructions", ""))
        rng = self.rng
        prose = self.prose = load_json(f"{lang.code}/prose.json")
        genre = prose["genres"].get(brief["genre"], {})
        self.decks = {key: Deck(self.p[key], rng) for key in ("time", "reactions", "closings")}
        for key in (
            "openers",
            "desc_tails",
            "act",
            "act_tails",
            "reflect",
            "line_open",
            "line_close",
            "tags",
            "event_frames",
            "openings",
            "scene_subj",
            "scene_where",
            "gesture_verb",
            "gesture_where",
            "questions",
        ):
            self.decks[key] = Deck(prose[key], rng)
        self.decks["desc"] = Deck(list(prose["desc"]) + list(genre.get("desc", [])), rng)
        self.decks["things"] = Deck(prose["things"], rng)
        for key in ("where_prep", "where_place"):
            if key in prose:
                self.decks[key] = Deck(prose[key], rng)
        self.decks["sense"] = Deck(self.g["senses"], rng)
        self.decks["core"] = Deck(
            [x.rstrip(".") for x in list(prose["line_core"]) + list(genre.get("lines") or self.g["lines"])],
            rng,
        )
        self.decks["law"] = Deck(self.world.get("laws") or [""], rng)
        self.decks["obj"] = Deck(self.g["objects"], rng)
        self.decks["tone"] = Deck(self.p["tones"].get(self.tone) or [""], rng)
        self.decks["first"] = Deck(self.p.get("first_person", [""]), rng)
        # The writer's inspiration: its motif sentences and slot values.
        self.motif = analyse(brief.get("inspiration", ""), lang.code)
        self.motif_slots = {g: slots(self.motif, tense=self.tense, gender=g) for g in ("f", "m")}
        usable = [
            t
            for t in prose["motif"]
            if (self.motif.motif or "{motif}" not in t and "{mhead}" not in t)
            and (self.motif.verb or "{mverb}" not in t)
            and (self.motif.role or "{role}" not in t)
        ]
        if not self.motif.motif:
            usable = []
        self.decks["motif"] = Deck(usable or [""], rng)
        self.slot_sentences = list(prose["reflect_slots"])
        rng.shuffle(self.slot_sentences)
        # The protagonist (the inspiration's "who"), if on stage in this segment.
        hero_names = [c["name"] for c in payload.get("characters", []) if self._is_hero(c)]
        self.hero = next((p for p in self.people if p.name in hero_names), None)
        self.quote = '"{line}"' if lang.code == "en" else "— {line}"
        self.theme = self.world.get("theme", "")
        verbs = self.p["verbs"]
        self.verbs = {v["present"]: v["past"] for v in verbs}
        if self.motif.verb and self.motif.verb_past:
            self.verbs.setdefault(self.motif.verb, self.motif.verb_past)
        self.last_subject: Person | None = None
        self.recent: deque[str] = deque(maxlen=24)

    def _is_hero(self, c: dict[str, Any]) -> bool:
        role = str(c.get("role", "")).lower()
        first_role = str(self.p["roles"][0]).lower()
        return bool(role) and (role == first_role or role.endswith(f"({first_role})"))

    def _person(self, c: dict[str, Any], language: str) -> Person:
        contras = c.get("contradictions") or [""]
        return Person(
            c["name"],
            _gender(c, language),
            c.get("goal", ""),
            contras[0],
            c.get("voice", ""),
            c.get("arc", ""),
        )

    def _apply_revision(self, instructions: str) -> None:
        """Revision instructions steer the mix: more dialogue, darker tone..."""
        text = instructions.lower()
        if not text:
            return
        for knob, keys in self.p.get("revision_keywords", {}).items():
            if any(k in text for k in keys):
                if knob in self.weights:
                    self.weights[knob] *= 4
                else:
                    self.tone = knob

    # -- sentence rendering -------------------------------------------------
    def _data(self, name: str) -> str:
        if name == "line":
            return self.line()
        return self.draw(name)

    def line(self) -> str:
        """A line of dialogue: an optional opener, a core, an optional closer."""
        core = self.draw("questions") if self.rng.random() < 0.2 else self.draw("core")
        if core[-1:] not in "?!":
            core += "."
        opener = self._tail("line_open", 0.25)
        if opener and opener[-1] not in ".?!" and not core.startswith(("I ", "I'", "I’")):
            core = core[:1].lower() + core[1:]  # "Well, we're out of time" / "No to zapytaj mnie jutro"
        parts = [opener, core, self._tail("line_close", 0.2)]
        return " ".join(x for x in parts if x)

    def draw(self, key: str) -> str:
        """Draw from a deck, avoiding anything used in the last few sentences."""
        item = self.decks[key].draw()
        for _ in range(3):
            if item not in self.recent:
                break
            item = self.decks[key].draw()
        self.recent.append(item)
        return item

    def sentence(self, template: str, a: Person, b: Person | None = None, **extra: str) -> str:
        b = b or a
        pattern, table = _variants(self.lang.code)
        if pattern is not None:
            template = pattern.sub(lambda m: self.rng.choice(table[m.group(1)]), template)
        free = {
            "A": a.name,
            "B": b.name,
            "L": self.location["name"],
            "Ldesc": self.location.get("description", ""),
            "obj": self.decks["obj"].draw(),
            "law": self.decks["law"].draw(),
            "goal": a.goal,
            "contra": a.contra,
            "theme": self.theme,
            "voice": a.voice,
            "arc": a.arc,
            "A.pos": self.p["pronouns"].get(a.gender, self.p["pronouns"]["x"])["pos"],
            "A.subj": self.p["pronouns"].get(a.gender, self.p["pronouns"]["x"]).get("subj", ""),
            "thing": self.decks["things"].draw(),
        }
        pron = self.prose.get("pronouns", {})
        if pron:
            own = pron.get(a.gender, pron["x"])
            free["A.obj"], free["A.self"] = own["obj"], own["self"]
        free.update(self.motif_slots["f" if a.gender == "f" else "m"])
        free.update(extra)
        starts_with_a = template.startswith("{A} ")
        if starts_with_a and a is self.last_subject and self.rng.random() < 0.75:
            # Same subject as the sentence before: a pronoun (English) or no
            # subject at all (Polish drops it; the verb's ending carries it).
            subject = self.p["pronouns"].get(a.gender, self.p["pronouns"]["x"]).get("subj", "")
            template = (subject + " " if subject else "") + template[4:]
            if a.gender == "x" and self.lang.code == "en":
                template = template.replace("<was|", "<were|")
        self.last_subject = a if starts_with_a else b if template.startswith("{B} ") else None
        text = render(
            template, data=self._data, free=free, tense=self.tense, gender_a=a.gender, gender_b=b.gender
        )
        return capitalise(text.strip())

    def _pair(self) -> tuple[Person, Person]:
        a = self.rng.choice(self.people)
        others = [p for p in self.people if p is not a] or [a]
        return a, self.rng.choice(others)

    # -- composed sentences -------------------------------------------------
    def _opener(self, chance: float) -> str:
        return self.draw("openers") + " " if self.rng.random() < chance else ""

    def _tail(self, key: str, chance: float) -> str:
        return self.draw(key) if self.rng.random() < chance else ""

    def desc_sentence(self, a: Person, b: Person) -> str:
        if self.rng.random() < 0.06:
            return self.sentence(self.draw("sense"), a, b)
        if self.rng.random() < 0.6:  # composed: something, somewhere
            return self.sentence(
                self._opener(0.25) + self.draw("scene_subj") + " " + self.draw("scene_where") + ".", a, b
            )
        clause = self._opener(0.3) + self.draw("desc") + self._tail("desc_tails", 0.25) + "."
        return self.sentence(clause, a, b)

    def act_sentence(self, a: Person, b: Person) -> str:
        if self.rng.random() < 0.4:  # composed: someone does something with a thing, somewhere
            verb = self.draw("gesture_verb")
            if "where_prep" in self.decks and self.rng.random() < 0.6:
                where = self.draw("where_prep") + " " + self.draw("where_place")
            else:
                where = self.draw("gesture_where")
            return self.sentence(self._opener(0.15) + "{A} " + verb + " {thing} " + where + ".", a, b)
        return self.sentence(
            self._opener(0.2) + "{A} " + self.draw("act") + self._tail("act_tails", 0.25) + ".", a, b
        )

    def motif_sentence(self, a: Person, b: Person) -> str | None:
        """A sentence about the inspiration's motif; its verb and role belong to the protagonist."""
        for _ in range(4):
            template = self.draw("motif")
            if not template:
                return None
            if "{mverb}" not in template and "{role}" not in template:
                return self.sentence(template + ".", a, b)
            if self.hero is not None:
                other = next((p for p in self.people if p is not self.hero), self.hero)
                return self.sentence(template + ".", self.hero, other)
        return None

    def slot_sentence(self, a: Person, b: Person) -> str | None:
        """A sentence naming a long plan value (goal, arc, a law…): each once per segment."""
        if not self.slot_sentences:
            return None
        return self.sentence(self.slot_sentences.pop() + ".", a, b)

    # -- paragraphs (lists of sentences) -----------------------------------
    def description(self) -> list[str]:
        a, b = self._pair()
        out = [self.desc_sentence(a, b) for _ in range(self.rng.randint(2, 4))]
        if self.rng.random() < 0.35:
            extra = self.motif_sentence(a, b)
            if extra:
                out.insert(self.rng.randint(0, len(out)), extra)
        if self.tone != "neutral" and self.rng.random() < 0.3:
            out.insert(self.rng.randint(0, len(out)), self.sentence(self.draw("tone"), a))
        return out

    def action(self) -> list[str]:
        out = []
        for _ in range(self.rng.randint(3, 5)):
            a, b = self._pair()
            out.append(self.act_sentence(a, b))
        return out

    def reflection(self) -> list[str]:
        a = self.people[0] if self.rng.random() < 0.6 else self.rng.choice(self.people)
        b = self._pair()[1]
        out = [self.sentence(self.draw("reflect") + ".", a, b)]
        extra = self.motif_sentence(a, b) if self.rng.random() < 0.5 else self.slot_sentence(a, b)
        if extra:
            out.insert(self.rng.randint(0, len(out)), extra)
        if self.first_person and self.rng.random() < 0.3:
            out.append(self.sentence(self.draw("first"), self.people[0]))
        return out

    def dialogue(self, a: Person | None = None, b: Person | None = None, lines: int = 0) -> list[list[str]]:
        """A dialogue exchange: one paragraph per line, speakers alternating."""
        if a is None or b is None:
            a, b = self._pair()
        paragraphs = []
        for i in range(lines or self.rng.randint(2, 5)):
            speaker, listener = (a, b) if i % 2 == 0 else (b, a)
            if self.rng.random() < 0.35:  # the line, then what the speaker does
                beat = self.act_sentence(speaker, listener)
                paragraphs.append([self.sentence(self.quote, speaker, listener), beat])
            else:
                paragraphs.append([self.sentence(self.draw("tags"), speaker, listener)])
        return paragraphs

    def filler(self) -> list[list[str]]:
        kinds = list(self.weights)
        kind = self.rng.choices(kinds, weights=[self.weights[k] for k in kinds])[0]
        if kind == "dialogue":
            return self.dialogue()
        return [getattr(self, kind)()]

    # -- required blocks ----------------------------------------------------
    def event_clause(self, event: str) -> tuple[str, Person | None]:
        """Turn a planned event into a clause in the narrative tense."""
        for person in sorted(self.people, key=lambda p: -len(p.name)):
            prefix = person.name + " "
            if event.startswith(prefix):
                rest = event[len(prefix) :]
                if self.tense == "past":
                    for present, past in self.verbs.items():
                        if rest.startswith(present + " "):
                            forms = past.split("~")
                            form = forms[1] if person.gender == "f" and len(forms) > 1 else forms[0]
                            return f"{person.name} {form}{rest[len(present) :]}", person
                    return "", person
                return event, person
        return "", None

    def event_block(self, event: str) -> list[list[str]]:
        clause, actor = self.event_clause(event.rstrip(". "))
        a = actor or self.people[0]
        others = [p for p in self.people if p is not a] or [a]
        b = self.rng.choice(others)
        if clause:
            framed = self.sentence(self.draw("event_frames"), a, b, event=clause)
        else:  # free text a writer typed into the plan: quote it faithfully
            framed = self.sentence(self.p["event_fallback"], a, b, event=event.rstrip(". "))
        lead = self.act_sentence(a, b)
        react = self.sentence(self.draw("reactions"), a, b)
        return [[lead, framed, react], *self.dialogue(a, b, lines=self.rng.randint(2, 3))]

    def write(self) -> str:
        target = int(self.seg["target_words"])
        lead = self.people[0]
        second = self.people[1] if len(self.people) > 1 else lead
        opening = [self.sentence(self.draw("openings"), lead)]
        if self.location.get("description"):
            opening.append(self.location["description"])
        # The writer's idea is on the page from the first paragraph of every segment.
        motif = self.motif_sentence(lead, second)
        if motif:
            opening.append(motif)
        opening += [self.desc_sentence(lead, second) for _ in range(2)]
        blocks: list[list[list[str]]] = [[opening]]
        presence = [self.act_sentence(p, self._pair()[1]) for p in self.people[1:]]
        if presence:
            blocks.append([presence])
        events = [self.event_block(e) for e in self.seg.get("key_events", [])]
        closing = [[self.sentence(self.draw("closings"), lead)]]
        required = blocks + events + [closing]
        used = sum(count_words(s) for block in required for par in block for s in par)
        budget = target - used
        fillers: list[list[str]] = []
        while budget > 0:
            pieces = self.filler()
            for par in pieces:
                kept: list[str] = []
                for s in par:
                    n = count_words(s)
                    # Stop at the sentence that would overshoot by more than half its length.
                    if n - budget > n // 2:
                        budget = 0
                        break
                    kept.append(s)
                    budget -= n
                if kept:
                    fillers.append(kept)
                if budget <= 0:
                    break
        # Spread fillers evenly between the required blocks.
        gaps = len(events) + 1
        per_gap = -(-len(fillers) // gaps) if fillers else 0
        body: list[list[str]] = [par for block in blocks for par in block]
        for i in range(gaps):
            body.extend(fillers[i * per_gap : (i + 1) * per_gap])
            if i < len(events):
                body.extend(events[i])
        body.extend(closing)
        return "\n\n".join(" ".join(par) for par in body)


_SPACES_RE = re.compile(r"[ \t]+")
_PL_ORPHAN_RE = re.compile(r"(?<![\w])([aiouwzAIOUWZ]) ")


def stylise(text: str, language: str) -> str:
    """Typography per language: curly quotes and dashes for English, „…”
    quotes and no one-letter words at line ends (non-breaking space) for Polish."""
    text = _SPACES_RE.sub(" ", text).replace(" --", " —").replace("...", "…")
    if language == "pl":
        text = re.sub(r'"([^"\n]*)"', "„\\1”", text)
        return _PL_ORPHAN_RE.sub("\\1\u00a0", text)
    text = re.sub(r'(^|[\s(—])"', "\\1“", text)
    text = text.replace('"', "”")
    return text.replace("'", "’")
