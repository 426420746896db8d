"""The local wire-format server's prose: varied, deterministic, with a model's usual faults.

A drafting answer is composed from the offline engine's phrase data
(``data/en/prose.json``: scene lines, gestures, reactions, dialogue), with the
people, place and key events the prompt names, seeded by the prompt (the same
request always gets the same answer). Like a real model it slips now and then,
decided by the same seed: ``FLAW_RATES`` gives the share of passages that loop
(a run of sentences written again), lean on stock phrases, or leave a line of
dialogue unclosed. Those rates are a guess at a competent model, not a
measurement of one: the polish pass's cost on this server follows them.

A line-edit request (stage 08) gets the passage back with its faults fixed:
repeats and stock-phrase sentences replaced by fresh ones, unclosed dialogue
closed, the length kept. A clean passage comes back as it was sent.
"""

from __future__ import annotations

import random
import re
import zlib
from functools import cache
from typing import Any

from .backends.offline.lang import load_json
from .text import count_words, sentences, words

# Share of drafted passages with each fault (independent draws per passage).
FLAW_RATES: dict[str, float] = {"loop": 0.05, "cliches": 0.10, "unclosed": 0.05}
PEOPLE = ["Ava Stone", "Corin Vale", "Mira Holt", "Jonas Reed"]
PLACE = "the Salt Archive"
# Sentences a model reaches for; each holds a phrase from data/en/cliches.json.
STOCK = [
    "It was the calm before the storm.",
    "Time stood still.",
    "Little did she know how much would change.",
    "In the blink of an eye, the room was empty.",
    "Her blood ran cold.",
    "Only time will tell, {A} thought.",
    "A chill ran down {A}'s back.",
    "Against all odds, the door held.",
]
_SLOT = re.compile(r"\{([A-Za-z.,]+)\}")
_TENSE = re.compile(r"<([^<>|]*)\|([^<>]*)>")
_KNOWN = {"A", "B", "A.pos", "A.subj", "thing", "line", "line,"}
_SPLIT = re.compile(r'(?<=[.!?])\s+|(?<=[.!?]["”])\s+')
_FEW = {"reflect": 3, "reactions": 2, "tags": 2}
_TIMES = ["Later", "Before long", "That evening", "At last", "Soon after", "By nightfall"]


def _seed(text: str) -> random.Random:
    return random.Random(zlib.crc32(text.encode("utf-8")))


@cache
def _phrases() -> dict[str, Any]:
    data = load_json("en/prose.json")
    stock = [c.lower() for c in load_json("en/cliches.json")]

    def usable(items: list[str]) -> list[str]:
        # Only the slots this writer fills, and no stock phrase outside the scripted slips.
        def plain(t: str) -> bool:
            past, present = _TENSE.sub(r"\1", t).lower(), _TENSE.sub(r"\2", t).lower()
            return not any(c in past or c in present for c in stock)

        return [t for t in items if set(_SLOT.findall(t)) <= _KNOWN and plain(t)]

    return {k: usable(v) if isinstance(v, list) else v for k, v in data.items()}


def _listed(prompt: str, label: str) -> list[str]:
    m = re.search(rf"^{label}: (.+?)\.?$", prompt, re.MULTILINE)
    return [x.strip() for x in m.group(1).split(",") if x.strip()] if m else []


def _events(prompt: str) -> list[str]:
    m = re.search(r"Key events[^\n]*\n((?:- [^\n]+\n?)+)", prompt)
    return [line[2:].strip().rstrip(".") for line in m.group(1).splitlines()] if m else []


class Composer:
    """Sentences for one answer: the prompt's people and place, its tense, a seeded choice of phrases."""

    def __init__(self, prompt: str, rng: random.Random) -> None:
        self.rng = rng
        self.cast = _listed(prompt, "Characters on stage") or _listed(prompt, "Cast") or PEOPLE
        place = re.search(r"^Location: ([^.\n]+)", prompt, re.MULTILINE)
        self.place = place.group(1).strip() if place else PLACE
        self.present = "present tense" in prompt
        # A continuation's events were told in the passage it continues.
        self.events = [] if "THE PASSAGE SO FAR ENDS" in prompt else _events(prompt)
        self.p = _phrases()
        self.decks: dict[str, list[str]] = {}
        self.used: set[str] = set()
        self.spent: dict[str, int] = {}

    def pick(self, key: str) -> str:
        """The next phrase of ``key``'s shuffled deck: none comes again before the deck is spent."""
        deck = self.decks.get(key)
        if not deck:
            deck = self.decks[key] = self.rng.sample(self.p[key], len(self.p[key]))
        return deck.pop()

    def tail(self, key: str) -> str:
        return self.pick(key) if self.rng.random() < 0.5 else ""

    def _render(self, template: str) -> str:
        a, b = self.rng.sample(self.cast, 2) if len(self.cast) > 1 else (self.cast[0], "someone")
        she = self.cast.index(a) % 2 == 0 if a in self.cast else True
        values = {
            "A": a,
            "B": b,
            "A.subj": "she" if she else "he",
            "A.pos": "her" if she else "his",
            "thing": self.pick("things"),
        }
        line = self._line()
        values["line"], values["line,"] = line, line if line.endswith(("?", "!")) else line[:-1] + ","
        text = _SLOT.sub(lambda m: values.get(m.group(1), m.group(0)), template)
        text = _TENSE.sub(lambda m: m.group(2) if self.present else m.group(1), text)
        return text[0].upper() + text[1:]

    def _line(self) -> str:
        core = self.pick("line_core") if self.rng.random() < 0.15 else self.pick("line_frames")
        core = core.replace("{thing}", self.pick("things"))
        opener = self.pick("line_open") + " " if self.rng.random() < 0.4 else ""
        if opener.endswith(", ") and not core.startswith(("I ", "I'")):
            core = core[0].lower() + core[1:]
        close = " " + self.pick("line_close") if self.rng.random() < 0.3 else ""
        return f"{opener}{core}.{close}".replace("?.", "?").replace("!.", "!")

    def sentence(self) -> str:
        """A sentence not yet used in this answer (a model does not repeat itself unless it slips)."""
        for _ in range(12):
            s = self._sentence()
            # As the checks read it: a tagged line is two sentences ("Go home," she said. → two).
            keys = {" ".join(words(x.lower())) for x in sentences(s)}
            keys = {k for k in keys if len(k.split()) >= 5}
            if not keys & self.used:
                break
        self.used.update(keys)
        return s

    def _few(self, kind: str) -> bool:
        """Whole stock sentences (few of them) at most ``_FEW[kind]`` times an answer: they would recur."""
        self.spent[kind] = self.spent.get(kind, 0) + 1
        return self.spent[kind] <= _FEW[kind]

    def _sentence(self) -> str:
        r = self.rng
        kind = r.random()
        if 0.60 <= kind < 0.66 and self._few("reflect"):
            return self._render(self.pick("reflect") + self.tail("reflect_tails") + ".")
        if 0.66 <= kind < 0.70 and self._few("reactions"):
            return self._render(self.pick("reactions"))
        if 0.70 <= kind < 0.78:
            return self._render(
                "{A} " + f"{self.pick('gesture_verb')} {{thing}} {self.pick('gesture_where')}."
            )
        if kind < 0.24:
            return self._render(
                f"{self.pick('openers')} {self.pick('scene_subj')} {self.pick('scene_where')}."
            )
        if kind < 0.38:
            # Set in a time or place ("Outside, ..."), so a stock line of description seldom comes twice.
            return self._render(f"{self.pick('openers')} {self.pick('desc')}{self.tail('desc_tails')}.")
        if kind < 0.52:
            return self._render("{A} " + self.pick("act") + self.tail("act_tails") + ".")
        tag = self.pick("tags")
        while not tag.startswith('"{line,}"') and not (self._few("tags") and r.random() < 0.3):
            tag = self.pick("tags")  # mostly a line with its tag in one sentence, a few set pieces
        if tag.startswith('"{line,}"') and self.rng.random() < 0.5:
            line = self._line()  # a question is asked, not told
            verb = (
                "asked" if line.endswith("?") else self.rng.choice(["said", "murmured", "added", "went on"])
            )
            return self._render(
                '"' + (line if line.endswith("?") else line[:-1] + ",") + '" {A} ' + verb + "."
            )
        return self._render(tag)

    def event(self, event: str) -> str:
        return f"{self.rng.choice(_TIMES)}, {event}."

    def paragraphs(self, n_words: int) -> list[str]:
        out: list[str] = []
        count = 0
        while count < n_words:  # ends on the sentence that reaches the length, as a model stops
            para: list[str] = []
            for _ in range(self.rng.randint(2, 5)):
                para.append(self.sentence())
                count += len(para[-1].split())
                if count >= n_words:
                    break
            out.append(" ".join(para))
        # Every key event on the page, spread through the passage as the prompt asks.
        for k, e in reversed(list(enumerate(self.events))):
            at = min(len(out) - 1, round((k + 0.5) * len(out) / len(self.events)))
            out[at] = out[at] + " " + self.event(e)
        return out


def draft(prompt: str, n_words: int, flaw_rates: dict[str, float] | None = None) -> str:
    """A passage of about ``n_words`` for ``prompt``; may carry a seeded slip (see ``FLAW_RATES``)."""
    rng = _seed(prompt)
    rates = FLAW_RATES if flaw_rates is None else flaw_rates
    slips = {k for k, rate in rates.items() if rng.random() < rate}
    c = Composer(prompt, rng)
    paras = c.paragraphs(n_words)
    if "loop" in slips and len(paras) > 4:  # a model stuck in a groove: a run of sentences written again
        start = rng.randrange(0, len(paras) - 3)
        run = paras[start : start + 2]
        for k in range(3):
            paras.insert(min(len(paras), start + 3 + 2 * k), run[k % 2])
    if "cliches" in slips:
        for _ in range(max(2, n_words // 400)):
            i = rng.randrange(len(paras))
            paras[i] = paras[i] + " " + c._render(rng.choice(STOCK))
    if "unclosed" in slips:
        i = rng.randrange(len(paras))
        paras[i] = paras[i] + ' "' + c._line()  # a line of dialogue never closed
    return "\n\n".join(paras)


def line_edit(prompt: str, passage: str, n_words: int) -> str:
    """Stage 08's answer: ``passage`` with its faults fixed and its length kept."""
    c = Composer(prompt, _seed("edit\n" + prompt))
    stock = [x.lower() for x in load_json("en/cliches.json")]
    seen: set[str] = set()
    out: list[str] = []
    paras: list[str] = []
    for para in passage.split("\n\n"):
        if para.strip() and para.strip() in paras:
            continue  # a paragraph written twice (the model looped): cut the repeat
        paras.append(para.strip())
    for para in paras:
        kept: list[str] = []
        for s in _SPLIT.split(para):  # lossless, unlike text.sentences: the passage comes back intact
            key = " ".join(words(s.lower()))
            quoted = '"' in s or "“" in s
            if not quoted and ((len(key.split()) >= 5 and key in seen) or any(x in s.lower() for x in stock)):
                s = c.sentence()  # a repeat or a stock phrase: a fresh line instead
            seen.add(key)
            kept.append(s)
        para = " ".join(kept)
        if para.count('"') % 2:  # a line of dialogue left open: close it
            para = para.rstrip() + '"'
        if para:
            out.append(para)
    text = "\n\n".join(out)
    while count_words(text) < n_words * 0.97:
        text += "\n\n" + " ".join(c.sentence() for _ in range(3))
    return text
