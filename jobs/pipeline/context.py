"""Bounded prompts for long-form drafting.

A segment prompt is: compact story bible + this segment's plan + the codex
entries relevant to it (``codex``) + what the
story actually said so far (summaries of the written segments and the story
facts ledger, see ``memory``) + the tail of the previous segment. Each part
has its own token budget, so the prompt for segment 200 is no bigger than the
prompt for segment 5 and cost grows linearly with length. ``PromptBudget``
scales the parts down for a small context window.
"""

from __future__ import annotations

from dataclasses import dataclass

from .codex import CODEX_TOKENS
from .plan import Character, SegmentPlan, WorldBible
from .text import tail_words, truncate_to_tokens

BIBLE_TOKENS = 450
PLAN_TOKENS = 250
SUMMARY_TOKENS = 160  # summaries of what was written, newest first
LEDGER_TOKENS = 100  # story facts
TAIL_TOKENS = 350
TAIL_WORDS = 250
SEGMENT_PROMPT_OVERHEAD = 200  # instructions around the parts
SEGMENT_PROMPT_TOKENS = (
    BIBLE_TOKENS
    + PLAN_TOKENS
    + SUMMARY_TOKENS
    + LEDGER_TOKENS
    + TAIL_TOKENS
    + CODEX_TOKENS  # the codex entries relevant to the segment (codex.py)
    + SEGMENT_PROMPT_OVERHEAD
)


@dataclass(frozen=True)
class PromptBudget:
    """Token budgets of the parts of a drafting prompt."""

    bible: int = BIBLE_TOKENS
    plan: int = PLAN_TOKENS
    summary: int = SUMMARY_TOKENS
    ledger: int = LEDGER_TOKENS
    tail: int = TAIL_TOKENS
    codex: int = CODEX_TOKENS

    @classmethod
    def scaled(cls, total: int) -> PromptBudget:
        """The default budgets, shrunk in proportion so the parts add up to at most ``total``."""
        full = SEGMENT_PROMPT_TOKENS - SEGMENT_PROMPT_OVERHEAD
        f = min(1.0, max(0.15, total / full))
        return cls(
            *(
                max(24, int(v * f))
                for v in (BIBLE_TOKENS, PLAN_TOKENS, SUMMARY_TOKENS, LEDGER_TOKENS, TAIL_TOKENS, CODEX_TOKENS)
            )
        )


def story_bible(world: WorldBible, cast: list[Character], budget: int = BIBLE_TOKENS) -> str:
    lines = [
        f"World: {world.name}. Theme: {world.theme}. Core conflict: {world.core_conflict}.",
        "Laws: " + " ".join(world.laws),
        "Boundaries: " + " ".join(world.boundaries),
        "Places: " + "; ".join(loc.name for loc in world.locations) + ".",
        "Cast:",
    ]
    lines += [f"- {c.name} ({c.role}): wants {c.goal}; voice: {c.voice}." for c in cast]
    return truncate_to_tokens("\n".join(lines), budget)


def segment_brief(seg: SegmentPlan, location_description: str, budget: int = PLAN_TOKENS) -> str:
    text = (
        f"Segment {seg.index} — “{seg.title}” (act {seg.act}).\n"
        f"Location: {seg.location}. {location_description}\n"
        f"Characters on stage: {', '.join(seg.characters)}.\n"
        f"Summary: {seg.summary}\n"
        "Key events (all must happen on the page):\n" + "\n".join(f"- {e}" for e in seg.key_events)
    )
    return truncate_to_tokens(text, budget)


def rolling_summary(done: list[SegmentPlan]) -> str:
    """The story so far, newest first until the budget is used.

    Walks backwards and stops as soon as the budget is full, so building it
    costs the same for segment 3 and segment 300.
    """
    if not done:
        return "(This is the opening segment.)"
    budget_chars = SUMMARY_TOKENS * 4
    parts: list[str] = []
    used = 0
    for seg in reversed(done):
        line = f"{seg.index}. {seg.title}: {seg.summary}"
        if used + len(line) > budget_chars and parts:
            break
        parts.append(line)
        used += len(line) + 1
    if len(parts) < len(done):
        first_kept = done[-len(parts)].index - 1
        opener = f"(Segments 1–{first_kept} come earlier; the story began with “{done[0].title}”.)"
        parts.append(opener)
    return truncate_to_tokens("\n".join(reversed(parts)), SUMMARY_TOKENS, keep="end")


def previous_tail(text: str, budget: int = TAIL_TOKENS) -> str:
    if not text:
        return "(none)"
    return truncate_to_tokens(tail_words(text, TAIL_WORDS), budget, keep="end")
