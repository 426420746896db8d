"""The offline writer's prose: one segment at a time, true to its plan.

A segment is assembled from blocks: an opening at the planned location, a
paragraph that puts every planned character on stage, one block per key event
(the event itself, a reaction and an exchange of dialogue), filler paragraphs
(description, action, reflection, dialogue) until the planned length is
reached, and a closing hook. Required blocks are written first so trimming to
length can never drop a planned character or event.
"""

from __future__ import annotations

import random
import re
from collections import deque
from dataclasses import dataclass
from typing import Any

from ..text import count_words
from .offline_lang import Deck, LangData, capitalise, render


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
        self.weights = {"description": 3, "action": 3, "reflection": 2, "dialogue": 3}
        self.tone = tone
        self._apply_revision(brief.get("revision_instructions", ""))
        rng = self.rng
        self.decks = {
            key: Deck(self.p[key], rng)
            for key in (
                "descriptions",
                "actions",
                "reflections",
                "tags",
                "event_frames",
                "reactions",
                "closings",
                "time",
                "openings",
            )
        }
        self.decks["sense"] = Deck(self.g["senses"], rng)
        self.decks["line"] = Deck(list(self.g["lines"]) + list(self.p["lines"]), rng)
        self.decks["law"] = Deck(self.world.get("laws") or [""], rng)
        self.decks["obj"] = Deck(self.g["objects"], rng)
        self.decks["tone"] = Deck(self.p["tones"].get(self.tone) or [""], rng)
        self.decks["first"] = Deck(self.p.get("first_person", [""]), rng)
        self.theme = self.world.get("theme", "")
        verbs = self.p["verbs"]
        self.verbs = {v["present"]: v["past"] for v in verbs}
        self.last_subject: Person | None = None
        self.recent: deque[str] = deque(maxlen=12)

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
        return self.draw(name)

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
        }
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

    # -- paragraphs (lists of sentences) -----------------------------------
    def description(self) -> list[str]:
        a, b = self._pair()
        out = [self.sentence(self.draw("descriptions"), a, b) for _ in range(self.rng.randint(2, 4))]
        if self.tone != "neutral" and self.rng.random() < 0.5:
            out.insert(self.rng.randint(0, len(out)), self.sentence(self.draw("tone"), a))
        return out

    def action(self) -> list[str]:
        out = []
        for _ in range(self.rng.randint(3, 5)):
            a, b = self._pair()
            out.append(self.sentence(self.draw("actions"), a, b))
        return out

    def reflection(self) -> list[str]:
        a = self.people[0] if self.rng.random() < 0.6 else self.rng.choice(self.people)
        out = [self.sentence(self.draw("reflections"), a) for _ in range(self.rng.randint(2, 3))]
        if self.first_person and self.rng.random() < 0.5:
            out.append(self.sentence(self.draw("first"), self.people[0]))
        return out

    def dialogue(self, a: Person | None = None, b: Person | None = None, lines: int = 0) -> list[list[str]]:
        """A dialogue exchange: one paragraph per line, speakers alternating."""
        if a is None or b is None:
            a, b = self._pair()
        paragraphs = []
        for i in range(lines or self.rng.randint(2, 5)):
            speaker, listener = (a, b) if i % 2 == 0 else (b, a)
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
        lead = self.sentence(self.draw("actions"), a, b)
        react = self.sentence(self.draw("reactions"), a, b)
        return [[lead, framed, react], *self.dialogue(a, b, lines=self.rng.randint(2, 3))]

    def write(self) -> str:
        target = int(self.seg["target_words"])
        lead = self.people[0]
        opening = [self.sentence(self.draw("openings"), lead)]
        opening += self.description()[:2]
        blocks: list[list[list[str]]] = [[opening]]
        presence = [self.sentence(self.draw("actions"), p, self._pair()[1]) for p in self.people[1:]]
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
