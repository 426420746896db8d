"""The offline writer's prose: one segment at a time, true to its plan.

A segment is assembled from blocks: an opening at the planned location (with
the plan's own summary, when it can be told as a sentence), a paragraph that
puts every planned character on stage, one block per key event (the event, a
reaction and an exchange of dialogue), filler paragraphs (description,
action, reflection, dialogue) until the planned length is reached, and a
closing hook. Required blocks are written first so trimming to length can
never drop a planned character or event. Sentences come from ``compose``;
in first or second person the protagonist is the narrator (``voice``).
"""

from __future__ import annotations

import re
from typing import Any

from .clauses import adapt_clause, clean_value
from .compose import Composer, Person
from .inspire import analyse
from .lang import LangData
from .setting import features


def _words(sentence: str) -> int:
    # Budgeting only: spaces are a close, much cheaper count than the word regex.
    return sentence.count(" ") + 1 - sentence.count("— ") if sentence else 0


def _gender(c: dict[str, Any], language: str) -> str:
    g = c.get("gender", "x")
    if g in ("f", "m"):
        return g
    # Polish needs a grammatical gender; names ending in -a are mostly feminine.
    return "f" if language == "pl" and c.get("name", "").lower().endswith("a") else "m"


class SegmentWriter:
    def __init__(self, lang: LangData, payload: dict[str, Any], seed: int) -> None:
        brief = payload["brief"]
        self.lang, self.p = lang, lang.patterns
        self.code = lang.code
        self.tense = brief.get("tense", "past")
        self.world = payload["world"]
        self.seg = payload["segment"]
        self.motif = analyse(brief.get("inspiration", ""), lang.code)
        found = features(
            lang.code, brief["genre"], brief.get("inspiration", ""), brief.get("world_notes", "")
        )
        self.c = Composer(lang, payload, self.motif, set(found))
        self.rng = self.c.rng
        first_person = brief.get("pov") in ("first", "second")
        heroes = [c["name"] for c in payload.get("characters", []) if self._is_hero(c)]
        cast = {c["name"]: c for c in payload.get("characters", [])}
        self.people = [
            self._person(cast.get(n, {"name": n}), first_person and n in heroes[:1])
            for n in self.seg["characters"]
        ]
        if not self.people:
            self.people = [self._person({"name": "—"}, False)]
        locations = {loc["name"]: loc for loc in self.world.get("locations", [])}
        self.location = locations.get(self.seg["location"], {"name": self.seg["location"], "description": ""})
        self.c.location = self.location
        self.weights = {"description": 3, "action": 3, "reflection": 1, "dialogue": 3}
        self.first_person = brief.get("pov") == "first"
        self._apply_revision(brief.get("revision_instructions", ""))
        self.hero = next((p for p in self.people if p.name in heroes), None)
        self.codex = [e for e in payload.get("codex") or [] if isinstance(e, dict)]
        self.quote = '"{line}"' if lang.code == "en" else "— {line}"

    def _is_hero(self, c: dict[str, Any]) -> bool:
        role = str(c.get("role", "")).lower()
        first_role = str(self.p["roles"][0]).lower()
        return bool(role) and (role == first_role or role.endswith(f"({first_role})"))

    def _person(self, c: dict[str, Any], narrator: bool) -> Person:
        contras = c.get("contradictions") or [""]
        return Person(
            c["name"],
            _gender(c, self.code),
            clean_value(c.get("goal", ""), self.code, "goal"),
            clean_value(contras[0], self.code),
            clean_value(c.get("voice", ""), self.code),
            clean_value(c.get("arc", ""), self.code),
            narrator,
        )

    def _apply_revision(self, instructions: str) -> None:
        """Revision instructions steer the mix: more dialogue, darker tone..."""
        text = instructions.lower()
        for knob, keys in self.p.get("revision_keywords", {}).items():
            if text and any(k in text for k in keys) and knob in self.weights:
                self.weights[knob] *= 4

    # -- sentences ------------------------------------------------------------------
    def say(
        self, template: str | None, a: Person, b: Person | None = None, *, own: bool = False, **extra: str
    ) -> str | None:
        """Render ``template``; a narrator it cannot voice hands the sentence to someone else.

        ``own``: the sentence belongs to ``a`` (the protagonist's motif): then it is left out instead.
        """
        if template is None:
            return None
        b = b or a
        if (a.narrator or b.narrator) and self.c.voice.adapt(
            template, a=a.narrator, b=b.narrator, gender_a=a.gender, gender_b=b.gender
        ) is None:
            if own:
                return None
            others = [p for p in self.people if not p.narrator]
            if not others:
                return None
            a = others[0] if a.narrator else a
            b = self.rng.choice(others) if b.narrator else b
        return self.c.sentence(template, a, b, **extra)

    def _pair(self) -> tuple[Person, Person]:
        a = self.rng.choice(self.people)
        others = [p for p in self.people if p is not a] or [a]
        return a, self.rng.choice(others)

    def desc_sentence(self, a: Person, b: Person) -> str:
        r = self.rng.random()
        whole = self.c.take("sense" if r < 0.06 else "desc") if r < 0.35 else None
        if whole is not None:
            return self.say(whole + ("" if whole.endswith(".") else "."), a, b) or self.scene(a, b)
        return self.scene(a, b)

    def scene(self, a: Person, b: Person) -> str:
        parts = self.c.composed("scene")
        if parts is None:
            parts = [self.c.part("openers"), "{thing} <lay|lies>", "where it had always been", ""]
        opener, subj, where, tail = parts
        text = (opener + " " if opener else "") + subj + " " + where + tail + "."
        return self.say(text, a, b) or ""

    def act_sentence(self, a: Person, b: Person) -> str:
        r = self.rng.random()
        if r < 0.25:
            whole = self.c.take("act")
            if whole:
                return self.say(whole + ".", a, b) or self.gesture(a, b)
        if r < 0.5:
            deed = self.c.composed("deed")
            if deed:
                return self.say("{A} " + deed[0] + deed[1] + ".", a, b) or self.gesture(a, b)
        return self.gesture(a, b)

    def gesture(self, a: Person, b: Person) -> str:
        parts = self.c.composed("gesture") or ["", self.c.prose["gesture_verb"][0], "{thing}", "again"]
        opener, verb, thing, where = parts
        return (
            self.say((opener + " " if opener else "") + "{A} " + verb + " " + thing + " " + where + ".", a, b)
            or ""
        )

    def motif_sentence(self, a: Person, b: Person) -> str | None:
        """A sentence about the inspiration's motif; its verb and role belong to the protagonist."""
        template = self.c.take("motif")
        if not template:
            return None
        if ("{mverb}" in template or "{role}" in template) and self.hero is not None:
            other = next((p for p in self.people if p is not self.hero), self.hero)
            a, b = self.hero, other
        elif "{mverb}" in template or "{role}" in template:
            return None
        return self.say(template + ".", a, b, own=True)

    def reflect_sentence(self, a: Person, b: Person) -> str:
        whole = self.c.take("reflect") if self.rng.random() < 0.4 else None
        if whole is None:
            muse = self.c.composed("muse")
            if muse is None:
                return self.act_sentence(a, b)
            whole = muse[0] + muse[1]
        return self.say(whole + ".", a, b) or self.act_sentence(a, b)

    # -- paragraphs -------------------------------------------------------------------
    def description(self) -> list[str]:
        a, b = self._pair()
        out = [self.desc_sentence(a, b) for _ in range(self.rng.randint(2, 4))]
        if self.rng.random() < 0.35:
            extra = self.motif_sentence(a, b)
            if extra:
                out.insert(self.rng.randint(0, len(out)), extra)
        if self.rng.random() < 0.3:
            tone = self.say(self.c.take("tone"), a)
            if tone:
                out.insert(self.rng.randint(0, len(out)), tone)
        return out

    def action(self) -> list[str]:
        return [self.act_sentence(*self._pair()) for _ in range(self.rng.randint(3, 5))]

    def reflection(self) -> list[str]:
        a = self.people[0] if self.rng.random() < 0.6 else self.rng.choice(self.people)
        b = self._pair()[1]
        out = [self.reflect_sentence(a, b)]
        extra = self.motif_sentence(a, b) if self.rng.random() < 0.5 else self.say(self.c.take("slots"), a, b)
        if extra:
            out.insert(self.rng.randint(0, len(out)), extra)
        if self.first_person and self.rng.random() < 0.3:
            aside = self.say(self.c.take("first"), self.hero or self.people[0])
            if aside:
                out.append(aside)
        return out

    def dialogue(self, a: Person | None = None, b: Person | None = None, lines: int = 0) -> list[list[str]]:
        """A dialogue exchange: one paragraph per line, speakers alternating."""
        if a is None or b is None:
            a, b = self._pair()
        paragraphs = []
        for i in range(lines or self.rng.randint(2, 5)):
            speaker, listener = (a, b) if i % 2 == 0 else (b, a)
            tag = self.c.take("tags") if self.rng.random() < 0.5 else None
            if tag is None:
                line = self.say(self.quote, speaker, listener) or ""
                beat = self.act_sentence(speaker, listener)
                if self.code == "pl" and beat:
                    beat = "— " + beat  # Polish narration after a spoken line opens with its own dash
                paragraphs.append([line, beat])
            else:
                paragraphs.append(
                    [self.say(tag, speaker, listener) or self.say(self.quote, speaker, listener) or ""]
                )
        return paragraphs

    def filler(self) -> list[list[str]]:
        kinds = list(self.weights)
        kind = self.rng.choices(kinds, weights=[self.weights[k] for k in kinds])[0]
        if kind == "dialogue":
            return self.dialogue()
        return [getattr(self, kind)()]

    # -- required blocks ----------------------------------------------------
    def event_sentence(self, event: str, a: Person, b: Person) -> str | None:
        clause = adapt_clause(event, self.code, self.tense, self.people, self.c.voice.person)
        if clause is None:
            return None
        frame = self.c.take("event_frames") or "{event}."
        return self.say(frame, a, b, event=clause)

    def event_block(self, event: str) -> list[list[str]]:
        actor = next(
            (p for p in sorted(self.people, key=lambda p: -len(p.name)) if event.startswith(p.name)), None
        )
        a = actor or self.people[0]
        others = [p for p in self.people if p is not a] or [a]
        b = self.rng.choice(others)
        framed = self.event_sentence(event, a, b)
        react = self.say(self.c.take("reactions"), a, b) or self.act_sentence(b, a)
        first = [s for s in (self.act_sentence(a, b), framed, react) if s]
        return [first, *self.dialogue(a, b, lines=self.rng.randint(2, 3))]

    def summary_sentence(self) -> str | None:
        """The plan's summary, told in the narrative's tense, when it reads as a clause of its own."""
        summary = (self.seg.get("summary") or "").strip()
        if not summary or summary.count(";") >= 1 and ":" in summary:
            return None  # the planner's own listing of events: the events block tells them
        first = re.split(r"(?<=[.!?])\s+", summary)[0]
        clause = adapt_clause(first, self.code, self.tense, self.people, self.c.voice.person)
        return (clause[:1].upper() + clause[1:] + ".") if clause else None

    def codex_sentences(self) -> list[str]:
        """The writer's codex in the prose: who a character is where the plan first puts them on
        stage, and the lore the segment's plan names (jobs/pipeline/codex.py picks the entries)."""
        out = []
        for entry in self.codex:
            text = clean_value(entry.get("description", ""), self.code, "sentence")
            if not text:
                continue
            if entry.get("kind") == "character" and entry.get("first"):
                name = entry["name"]
                if not text.startswith(name.split()[0]):
                    text = f"{name} — {text[:1].lower() + text[1:] if text[1:2].islower() else text}"
                out.append(text)
            elif entry.get("kind") == "lore" and entry.get("why") == "mention":
                out.append(text)
        return out

    def write(self) -> str:
        target = int(self.seg["target_words"])
        lead = self.people[0]
        second = self.people[1] if len(self.people) > 1 else lead
        opening = [self.say(self.c.take("openings"), lead) or self.scene(lead, second)]
        places, index = self.world.get("locations", []), int(self.seg["index"])
        if index <= len(places) and places[index - 1]["name"] == self.location["name"]:
            # Described once: where the plan first visits its places in order, not on every return.
            opening.append(clean_value(self.location["description"], self.code, "sentence"))
        summary = self.summary_sentence()
        if summary:
            opening.append(summary)
        motif = self.motif_sentence(lead, second)
        if motif:
            opening.append(motif)
        opening += [self.desc_sentence(lead, second) for _ in range(2)]
        blocks: list[list[list[str]]] = [[[s for s in opening if s]]]
        presence = [self.act_sentence(p, self._pair()[1]) for p in self.people[1:]]
        presence += self.codex_sentences()
        if presence:
            blocks.append([presence])
        events = [self.event_block(e) for e in self.seg.get("key_events", [])]
        closing = [[self.say(self.c.take("closings"), lead) or self.scene(lead, second)]]
        required = blocks + events + [closing]
        used = sum(_words(s) for block in required for par in block for s in par)
        budget = target - used
        fillers: list[list[str]] = []
        while budget > 0:
            for par in self.filler():
                kept: list[str] = []
                for s in par:
                    n = _words(s)
                    if n - budget > n // 2:  # stop at the sentence that would overshoot by half its length
                        budget = 0
                        break
                    if s:
                        kept.append(s)
                        budget -= n
                if kept:
                    fillers.append(kept)
                if budget <= 0:
                    break
        gaps = len(events) + 1  # spread fillers evenly between the required blocks
        per_gap = -(-len(fillers) // gaps) if fillers else 0
        body: list[list[str]] = [par for block in blocks for par in block]
        for i in range(gaps):
            body.extend(fillers[i * per_gap : (i + 1) * per_gap])
            if i < len(events):
                body.extend(events[i])
        body.extend(closing)
        return "\n\n".join(" ".join(s for s in par if s) for par in body if any(par))
