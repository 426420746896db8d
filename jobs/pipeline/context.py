"""Bounded prompts for long-form drafting.

A segment prompt is: compact story bible + the style to write in (the
interpretation's style notes and, where the writer gave one, a short sample of
their voice: ``style_section``) + this segment's plan + the codex entries
relevant to it (``codex``) + what the story actually said so far (summaries of
the written segments and the story
facts ledger, see ``memory``) + the tail of the previous segment. Each part
has its own token budget, so the prompt for segment 200 is no bigger than the
prompt for segment 5 and cost grows linearly with length. ``PromptBudget``
scales the parts down for a small context window.
"""

from __future__ import annotations

from dataclasses import dataclass

from .codex import CODEX_TOKENS
from .plan import Character, SegmentPlan, WorldBible
from .text import sentences, tail_words, truncate_to_tokens

BIBLE_TOKENS = 450
PLAN_TOKENS = 250
SUMMARY_TOKENS = 160  # summaries of what was written, newest first
LEDGER_TOKENS = 100  # story facts
TAIL_TOKENS = 350
TAIL_WORDS = 250
STYLE_TOKENS = 110  # style notes + a voice sample of about 60 words
SEGMENT_PROMPT_OVERHEAD = 200  # instructions around the parts
SEGMENT_PROMPT_TOKENS = (
    BIBLE_TOKENS
    + PLAN_TOKENS
    + SUMMARY_TOKENS
    + LEDGER_TOKENS
    + TAIL_TOKENS
    + STYLE_TOKENS
    + CODEX_TOKENS  # the codex entries relevant to the segment (codex.py)
    + SEGMENT_PROMPT_OVERHEAD
)
VOICE_SAMPLE_WORDS = 60
_VOICE_MIN_WORDS = 30  # shorter writer's text is a premise, not a sample of a voice


@dataclass(frozen=True)
class PromptBudget:
    """Token budgets of the parts of a drafting prompt."""

    bible: int = BIBLE_TOKENS
    plan: int = PLAN_TOKENS
    summary: int = SUMMARY_TOKENS
    ledger: int = LEDGER_TOKENS
    tail: int = TAIL_TOKENS
    style: int = STYLE_TOKENS
    codex: int = CODEX_TOKENS

    @classmethod
    def scaled(cls, total: int) -> PromptBudget:
        """The default budgets, shrunk in proportion so the parts add up to at most ``total``."""
        full = SEGMENT_PROMPT_TOKENS - SEGMENT_PROMPT_OVERHEAD
        f = min(1.0, max(0.15, total / full))
        return cls(
            *(
                max(24, int(v * f))
                for v in (
                    BIBLE_TOKENS,
                    PLAN_TOKENS,
                    SUMMARY_TOKENS,
                    LEDGER_TOKENS,
                    TAIL_TOKENS,
                    STYLE_TOKENS,
                    CODEX_TOKENS,
                )
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


def voice_sample(*texts: str, limit: int = VOICE_SAMPLE_WORDS) -> str:
    """A short passage of the writer's own prose (inspiration, world notes), or "" when they gave none.

    A one-line premise is not a voice: only a paragraph of at least two sentences and
    ``_VOICE_MIN_WORDS`` words counts. The sample ends on a sentence within ``limit`` words.
    """
    for text in texts:
        for para in sorted((p.strip() for p in (text or "").split("\n\n")), key=len, reverse=True):
            said = sentences(para)
            if len(said) < 2 or len(para.split()) < _VOICE_MIN_WORDS:
                continue
            out: list[str] = []
            for s in said:
                if out and len(" ".join([*out, s]).split()) > limit:
                    break
                out.append(s)
            return " ".join(" ".join(out).split()[: limit * 2])
    return ""


def style_section(style_notes: str, sample: str, budget: int = STYLE_TOKENS) -> str:
    """How to write: the style notes and the writer's voice, so the draft needs no second pass."""
    lines = [
        f"Style notes (write in them from the first line): {style_notes.strip() or 'plain, concrete prose'}"
    ]
    if sample:
        lines.append(f"The writer's own voice (match its diction and rhythm; do not copy it): “{sample}”")
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
