"""What the story actually says so far: a summary per written segment and a ledger of facts.

Both are read from the text that was written (not from the plan), so a
model's changes are remembered, and both are bounded, so segment 300 costs
what segment 3 does:

* ``summarise`` keeps at most ``SUMMARY_WORDS`` words per segment: the
  sentences that carry the most of the segment's cast and planned events,
  in story order, plus where it ended.
* ``Ledger`` keeps at most ``LEDGER_FACTS`` facts, newest first: where each
  character was last seen, who is dead, what objects are in play and who
  holds them, what was promised and who learnt what.

The memory is extracted locally — no model call, so it adds no tokens and the
offline engine gets it too — for English and Polish.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Any

from .plan import SegmentPlan
from .text import sentences, truncate_to_tokens, words

SUMMARY_WORDS = 60
LEDGER_FACTS = 16
FACT_CHARS = 160

_VERBS = {
    "en": {
        "object": r"(?:took|takes|found|finds|picked up|picks up|held|holds|carried|carries|gave|gives|"
        r"hid|hides|stole|steals|lost|loses|dropped|drops|pocketed|pockets|kept|keeps|opened|opens)",
        # Whole words: "studied" and "tidied" end in "died".
        "death": r"\b(?:died|dies|was killed|is killed|was slain|lay dead|lies dead|is dead|was dead|"
        r"perished)\b",
        "promise": r"\b(?:promised|promises|swore|swears|vowed|vows|gave (?:her|his|their) word)\b",
        "learn": r"\b(?:learned|learnt|learns|discovered|discovers|realised|realized|realises|realizes|"
        r"found out|finds out|knew|knows) that\b",
        "article": r"(?:the|a|an|his|her|their)",
    },
    "pl": {
        "object": r"(?:wziął|wzięła|znalazł|znalazła|trzymał|trzymała|niósł|niosła|dał|dała|ukrył|ukryła|"
        r"ukradł|ukradła|zgubił|zgubiła|schował|schowała|otworzył|otworzyła)",
        "death": r"\b(?:zginął|zginęła|umarł|umarła|nie żył|nie żyła|został zabity|została zabita)\b",
        "promise": r"\b(?:obiecał|obiecała|przysiągł|przysięgła|ślubował|ślubowała)\b",
        "learn": r"\b(?:dowiedział się|dowiedziała się|odkrył|odkryła|zrozumiał|zrozumiała|"
        r"wiedział|wiedziała),? że\b",
        "article": r"(?:)",
    },
}


@dataclass
class Ledger:
    """Story facts by key, newest last; ``render`` gives the bounded prompt text."""

    facts: dict[str, str] = field(default_factory=dict)
    dead: list[str] = field(default_factory=list)

    def note(self, key: str, fact: str) -> None:
        self.facts.pop(key, None)  # re-inserting moves it to the newest end
        self.facts[key] = fact[:FACT_CHARS]
        while len(self.facts) > LEDGER_FACTS:  # drop the oldest fact; deaths are kept longest
            victim = next((k for k in self.facts if not k.startswith("dead:")), next(iter(self.facts)))
            self.facts.pop(victim)

    def render(self, budget_tokens: int) -> str:
        if not self.facts:
            return "(nothing established yet)"
        lines = [f"- {fact}" for fact in reversed(list(self.facts.values()))]
        return truncate_to_tokens("\n".join(lines), budget_tokens)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Any) -> Ledger:
        if not isinstance(data, dict):
            return cls()
        return cls(dict(data.get("facts") or {}), list(data.get("dead") or []))


def _mentions(sentence: str, name: str) -> bool:
    first = name.split()[0]
    return name in sentence or (len(first) > 2 and re.search(rf"\b{re.escape(first)}", sentence) is not None)


def _first_name(name: str) -> str:
    return name.split()[0]


def summarise(text: str, seg: SegmentPlan, language: str = "en") -> str:
    """At most SUMMARY_WORDS words of what segment ``seg`` actually says."""
    found = sentences(text)
    if not found:
        return f"{seg.index}. (nothing was written)"
    cues = {w.lower() for e in seg.key_events for w in words(e) if len(w) > 4}
    scored = []
    for i, s in enumerate(found):
        low = s.lower()
        score = sum(2 for n in seg.characters if _mentions(s, n)) + sum(1 for c in cues if c in low)
        scored.append((score, i, s))
    best = sorted(scored, key=lambda t: (-t[0], t[1]))[:3]
    chosen = sorted({i for _, i, _ in best} | {len(found) - 1})
    parts: list[str] = []
    used = 0
    for i in chosen:
        n = len(found[i].split())
        if used + n > SUMMARY_WORDS and parts:
            continue
        parts.append(found[i].strip())
        used += n
    summary = " ".join(parts)
    cut = summary.split()
    if len(cut) > SUMMARY_WORDS:
        summary = " ".join(cut[:SUMMARY_WORDS]) + "…"
    return f"{seg.index}. {summary}"


def update_ledger(ledger: Ledger, text: str, seg: SegmentPlan, cast: list[str], language: str = "en") -> None:
    """Record what segment ``seg`` established (bounded; later facts replace earlier ones)."""
    verbs = _VERBS.get(language, _VERBS["en"])
    found = sentences(text)
    present = [n for n in cast if any(_mentions(s, n) for s in found)]
    for name in present:
        ledger.note(f"where:{name}", f"{name} was last seen in segment {seg.index}, at {seg.location}.")
    object_re = re.compile(
        rf"\b{verbs['object']}\s+{verbs['article']}\s*((?:[^\W\d_]+\s+){{0,2}}[^\W\d_]{{3,}})", re.IGNORECASE
    )
    death_re = re.compile(verbs["death"], re.IGNORECASE)
    promise_re = re.compile(verbs["promise"], re.IGNORECASE)
    learn_re = re.compile(verbs["learn"], re.IGNORECASE)
    for s in found:
        who = next((n for n in cast if _mentions(s, n)), None)
        if who is None:
            continue
        m = object_re.search(s)
        if m:
            thing = m.group(1).strip().lower()
            ledger.note(
                f"object:{thing}", f"{_first_name(who)} and {thing} (segment {seg.index}): {s.strip()}"
            )
        if death_re.search(s) and re.search(
            rf"\b{re.escape(_first_name(who))}\b[^.!?]{{0,40}}{verbs['death']}", s, re.IGNORECASE
        ):
            if who not in ledger.dead:
                ledger.dead.append(who)
            ledger.note(f"dead:{who}", f"{who} died in segment {seg.index}.")
        if promise_re.search(s):
            ledger.note(f"promise:{who}:{seg.index}", f"Promise (segment {seg.index}): {s.strip()}")
        if learn_re.search(s):
            ledger.note(f"knows:{who}:{seg.index}", f"Knowledge (segment {seg.index}): {s.strip()}")


def contradictions(ledger: Ledger, text: str, seg: SegmentPlan) -> list[str]:
    """What segment ``seg`` says against the ledger: a dead character on stage, acting or speaking."""
    problems = []
    for name in ledger.dead:
        first = _first_name(name)
        acts = re.search(
            rf"\b{re.escape(first)}\b\s+(?:said|says|asked|asks|walked|walks|ran|runs|smiled|smiles|nodded|nods)",
            text,
        )
        if name in seg.characters or acts:
            problems.append(f"{name} died earlier but acts in segment {seg.index}")
    return problems


def story_so_far(summaries: list[str], budget_tokens: int) -> str:
    """The newest actual summaries that fit, oldest first, with a pointer to what came before."""
    if not summaries:
        return "(This is the opening segment.)"
    kept: list[str] = []
    used = 0
    for line in reversed(summaries):
        cost = len(line) // 4 + 1
        if used + cost > budget_tokens and kept:
            break
        kept.append(line)
        used += cost
    if len(kept) < len(summaries):
        kept.append(f"(Segments 1–{len(summaries) - len(kept)} come earlier.)")
    return truncate_to_tokens("\n".join(reversed(kept)), budget_tokens, keep="end")
