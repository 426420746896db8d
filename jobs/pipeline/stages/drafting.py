"""Stages 06 and 08: draft each segment, then stylise it (gpt4 tier).

Drafting is strictly sequential — each prompt carries the tail of the
previous segment — but every prompt is bounded (see ``context``).
"""

from __future__ import annotations

from dataclasses import asdict

from ..brief import Brief
from ..context import previous_tail, rolling_summary, segment_brief
from ..engine import Engine
from ..plan import Plan
from ..text import estimate_tokens

_LANGUAGE = {"en": "English", "pl": "Polish"}


def completion_budget(words: int, language: str) -> int:
    """max_tokens for a passage of ``words``: generous, since cutting prose mid-scene is worse."""
    per_word = 1.4 if language == "en" else 1.9
    return int(words * per_word * 1.5) + 200


def generate_segment(
    engine: Engine, brief: Brief, plan: Plan, bible: str, index: int, previous_text: str
) -> str:
    seg = plan.segments[index]
    location = plan.location(seg.location)
    pov = brief.pov.replace("_", " ")
    system = (
        f"You are NarraForge, a novelist writing {brief.genre} fiction in {_LANGUAGE[brief.language]}. "
        f"Write in the {pov} point of view, {brief.tense} tense, {brief.tone} tone. Output prose only: "
        "no headings, no notes, paragraphs separated by blank lines."
    )
    parts = [
        "STORY BIBLE\n" + bible,
        "THIS SEGMENT\n" + segment_brief(seg, location.description if location else ""),
        "STORY SO FAR\n" + rolling_summary(plan.segments[:index]),
        "PREVIOUS SEGMENT ENDED\n" + previous_tail(previous_text),
    ]
    if brief.revision_instructions:
        parts.append("REVISION INSTRUCTIONS (apply them)\n" + brief.revision_instructions[:1200])
    parts.append(
        f"Write segment {seg.index} now: about {seg.target_words} words. Every key event and every "
        "listed character must appear."
    )
    messages = [{"role": "system", "content": system}, {"role": "user", "content": "\n\n".join(parts)}]
    cast = {c.name: asdict(c) for c in plan.characters}
    payload = {
        "brief": brief.to_dict(),
        "seed": brief.seed,
        "segment": asdict(seg),
        "world": asdict(plan.world),
        "characters": [cast[n] for n in seg.characters if n in cast],
        "tension": plan.structure.pacing[index] if index < len(plan.structure.pacing) else 0.5,
    }
    text = engine.text(
        "sequential_generation",
        messages,
        payload=payload,
        segment=seg.index,
        max_tokens=completion_budget(seg.target_words, brief.language),
    )
    return text.strip()


def stylize_segment(engine: Engine, brief: Brief, plan: Plan, index: int, text: str) -> str:
    seg = plan.segments[index]
    words = len(text.split())
    language = _LANGUAGE[brief.language]
    system = (
        f"You are a {language} line editor. Polish the passage: idiomatic {language}, correct typography "
        "and punctuation for dialogue, smoother rhythm. Keep every event, name and the length; output the "
        "passage only."
    )
    user = f"Style notes: {plan.interpretation.style_notes}\nKeep about {words} words.\n\n{text}"
    messages = [{"role": "system", "content": system}, {"role": "user", "content": user}]
    styled = engine.text(
        "language_stylization",
        messages,
        segment=seg.index,
        payload={"text": text, "language": brief.language},
        max_tokens=max(completion_budget(words, brief.language), estimate_tokens(text) + 200),
    ).strip()
    # A stylist that returns almost nothing has failed; keep the draft rather than lose the segment.
    return styled if len(styled) >= 0.5 * len(text) else text
