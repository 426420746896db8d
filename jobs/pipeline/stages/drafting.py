"""Stages 06 and 08: draft each segment, then polish it (the tier and which segments: polish.py).

Drafting is strictly sequential — each prompt carries what the story actually
said so far and the tail of the previous segment — but every prompt is
bounded (see ``context``) and fitted to the connection's context window.

The first call asks for ``ASK_SHARE`` of the target, so a model that writes
a little short still reaches it. A passage cut off at the token limit
(``finish_reason: length``) is continued; one that stops under its target is
extended; both within ``MAX_EXTRA_CALLS`` calls per segment. Stylization works
on chunks that fit the window and keeps the draft of any chunk the stylist cut
off or shortened beyond the segment's slack over its target, so polishing
never takes a chapter below its planned length. What was asked and delivered
goes into ``notes``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from ..brief import Brief
from ..codex import codex_entries, codex_payload, codex_section
from ..context import (
    SEGMENT_PROMPT_TOKENS,
    PromptBudget,
    previous_tail,
    segment_brief,
    story_bible,
    style_section,
    voice_sample,
)
from ..engine import ContextTooSmall, Engine
from ..memory import Ledger, story_so_far
from ..plan import Plan
from ..polish import SHORT_SHARE, Flag
from ..text import count_words, estimate_tokens, tail_words, truncate_to_tokens

_LANGUAGE = {"en": "English", "pl": "Polish"}
ASK_SHARE = 1.06  # the first call asks for this share of the target
MAX_EXTRA_CALLS = 8  # continuations + extensions per segment
STYLE_KEEP_SHARE = 0.85  # a styled chunk shorter than this share of its draft is never used
_ENDS_SENTENCE = tuple(".!?…\"”»'")


def completion_budget(words: int, language: str) -> int:
    """max_tokens for a passage of ``words``: generous, since cutting prose mid-scene is worse."""
    per_word = 1.4 if language == "en" else 1.9
    return int(words * per_word * 1.5) + 200


def novelist_system(brief: Brief) -> str:
    pov = brief.pov.replace("_", " ")
    return (
        f"You are NarraForge, a novelist writing {brief.genre} fiction in {_LANGUAGE[brief.language]}. "
        f"Write in the {pov} point of view, {brief.tense} tense, {brief.tone} tone. Output prose only: "
        "no headings, no notes, paragraphs separated by blank lines."
    )


def strip_overlap(text: str, piece: str) -> str:
    """A continuation that starts by repeating the end of the text: drop the repeat."""
    end = text[-300:]
    for k in range(len(end), 19, -1):
        if piece.startswith(end[-k:]):
            return piece[k:].lstrip()
    return piece


def join_passage(text: str, piece: str) -> str:
    if not text:
        return piece
    sep = "\n\n" if text.rstrip().endswith(_ENDS_SENTENCE) else " "
    return text.rstrip() + sep + piece.lstrip()


def _trim_to_sentence(text: str) -> str:
    cut = max(text.rfind(c) for c in ".!?…")
    return text[: cut + 1] if cut > len(text) * 0.6 else text


def generate_segment(
    engine: Engine,
    brief: Brief,
    plan: Plan,
    index: int,
    previous_text: str,
    *,
    summaries: list[str] | None = None,
    ledger: Ledger | None = None,
    notes: dict[str, Any] | None = None,
    instructions: str = "",
    next_text: str = "",
    variant: int = 0,
) -> str:
    """Segment ``index`` at about its planned length; ``notes`` gets asked/delivered figures.

    A chapter job (``scoped``) rewrites one chapter between others: ``next_text`` is the
    chapter that follows (the passage must lead into it), ``instructions`` the writer's, and
    ``variant`` makes the offline writer compose it anew instead of repeating the old draft.
    """
    instructions = instructions or brief.revision_instructions
    seg = plan.segments[index]
    location = plan.location(seg.location)
    notes = notes if notes is not None else {}
    codex = codex_entries(brief.world, plan)
    share = 0.4  # of the window for the drafting prompt; the answer gets the rest
    for _ in range(3):
        budget = PromptBudget.scaled(engine.input_budget(share, SEGMENT_PROMPT_TOKENS) - 200)
        parts = [
            "STORY BIBLE\n" + story_bible(plan.world, plan.characters, budget.bible),
            "STYLE\n" + drafting_style(brief, plan, budget.style),
            "THIS SEGMENT\n" + segment_brief(seg, location.description if location else "", budget.plan),
            *codex_part(codex, seg, previous_text, budget.codex, brief.language),
            "STORY SO FAR (what was actually written)\n" + story_so_far(summaries or [], budget.summary),
            "STORY FACTS (keep them true)\n" + (ledger or Ledger()).render(budget.ledger),
            "PREVIOUS SEGMENT ENDED\n" + previous_tail(previous_text, budget.tail),
        ]
        if next_text:
            parts.append(
                "THE NEXT SEGMENT BEGINS (already written: lead into it, do not repeat it)\n"
                + truncate_to_tokens(next_text, max(24, budget.tail // 2))
            )
        if instructions:
            parts.append("REVISION INSTRUCTIONS (apply them)\n" + instructions[:1200])
        words = seg.target_words
        if not engine.capabilities.writes_to_length:
            words = round(words * ASK_SHARE)
        parts.append(
            f"Write segment {seg.index} now: about {words} words. Every key event and every "
            "listed character must appear."
        )
        messages = [
            {"role": "system", "content": novelist_system(brief)},
            {"role": "user", "content": "\n\n".join(parts)},
        ]
        try:
            payload = segment_payload(
                brief, plan, index, previous_text, instructions=instructions, variant=variant
            )
            return _write(engine, brief, plan, index, messages, notes, previous_text, payload=payload)
        except ContextTooSmall:
            share *= 0.6  # the prompt did not leave room for prose: send less of it
    raise ContextTooSmall(
        f"Segment {seg.index} cannot be drafted in a {engine.window}-token context window; "
        "configure a model with a larger window."
    )


def drafting_style(brief: Brief, plan: Plan, budget: int) -> str:
    """The STYLE part of a drafting prompt: style notes plus the writer's voice, where they gave one."""
    return style_section(
        plan.interpretation.style_notes, voice_sample(brief.inspiration, brief.world_notes), budget
    )


def codex_part(codex, seg, previous_text: str, budget: int, language: str) -> list[str]:
    """The prompt's codex section (jobs/pipeline/codex.py) as a list of zero or one part."""
    section = codex_section(codex, seg, previous_text, budget, language=language)
    return ["CODEX (what the writer keeps true about these; use these names)\n" + section] if section else []


def segment_payload(
    brief: Brief,
    plan: Plan,
    index: int,
    previous_text: str = "",
    *,
    instructions: str = "",
    variant: int = 0,
) -> dict[str, Any]:
    seg = plan.segments[index]
    cast = {c.name: asdict(c) for c in plan.characters}
    codex = codex_payload(codex_entries(brief.world, plan), plan, index, previous_text, brief.language)
    brief_dict = brief.to_dict()
    if instructions:  # the offline writer reads the keywords it knows; the seed stays the brief's
        brief_dict["revision_instructions"] = instructions
    return {
        "codex": codex,
        "brief": brief_dict,
        "seed": brief.seed,
        "variant": variant,
        "segment": asdict(seg),
        "world": asdict(plan.world),
        "characters": [cast[n] for n in seg.characters if n in cast],
        "tension": plan.structure.pacing[index] if index < len(plan.structure.pacing) else 0.5,
    }


def _write(
    engine: Engine,
    brief: Brief,
    plan: Plan,
    index: int,
    messages: list[dict[str, str]],
    notes: dict[str, Any],
    previous_text: str = "",
    *,
    payload: dict[str, Any] | None = None,
) -> str:
    seg = plan.segments[index]
    target = seg.target_words
    payload = payload or segment_payload(brief, plan, index, previous_text)
    answer = engine.passage(
        "sequential_generation",
        messages,
        payload=payload,
        segment=seg.index,
        max_tokens=completion_budget(round(target * ASK_SHARE), brief.language),
    )
    text = answer.text.strip()
    calls, continued, extended, empty = 1, 0, 0, 0
    finish = answer.finish_reason
    # A local writer writes to length by construction; a model may stop early or be cut off.
    while not engine.capabilities.writes_to_length and calls <= MAX_EXTRA_CALLS:
        have = count_words(text)
        if finish == "length" and count_words(_trim_to_sentence(text)) >= target:
            text = _trim_to_sentence(text)  # long enough: end on a full sentence instead
            break
        if finish == "length":
            # Cut off short of the target: continue from the last full sentence, so the segments —
            # and the story, whose target may be its type's minimum — reach their length.
            text = _trim_to_sentence(text)
            have = count_words(text)
        if finish != "length" and have >= target:
            break
        cut_off = finish == "length"
        more = max(round(target * ASK_SHARE) - have, 120)
        ask = (
            "Your passage was cut off. Continue it exactly where it stops, mid-sentence if need be; do "
            "not repeat anything."
            if cut_off
            else "The passage is too short. Continue the scene from where it ends with new action and "
            "dialogue; do not repeat or summarise anything, do not end the story."
        )
        user = (
            "THIS SEGMENT\n"
            + segment_brief(seg, "", engine.input_budget(0.1, 250))
            + "\n\nTHE PASSAGE SO FAR ENDS\n"
            + tail_words(text, min(250, engine.input_budget(0.15, 350) * 3 // 4))
            + f"\n\n{ask} Write about {more} more words."
        )
        more_messages = [
            {"role": "system", "content": novelist_system(brief)},
            {"role": "user", "content": user},
        ]
        answer = engine.passage(
            "sequential_generation",
            more_messages,
            payload=payload,
            segment=seg.index,
            max_tokens=completion_budget(more, brief.language),
            live_prefix=join_passage(text, ""),
        )
        calls += 1
        continued += cut_off
        extended += not cut_off
        finish = answer.finish_reason
        piece = strip_overlap(text, answer.text.strip())
        if not piece:
            empty += 1
            if empty >= 2:
                break
            continue
        text = join_passage(text, piece)
    notes.update(
        {
            "segment": seg.index,
            "asked_words": target,
            "delivered_words": count_words(text),
            "short": count_words(text) < SHORT_SHARE * target,
            "draft_calls": calls,
            "continued": continued,
            "extended": extended,
            "last_finish_reason": finish,
        }
    )
    return text.strip()


def _chunks(text: str, budget_tokens: int) -> list[str]:
    """Paragraph groups of at most ``budget_tokens`` (a longer paragraph is cut on sentences)."""
    out: list[str] = []
    current: list[str] = []
    size = 0
    for para in [p for p in text.split("\n\n") if p.strip()]:
        pieces = [para]
        if estimate_tokens(para) > budget_tokens:
            pieces, buf = [], ""
            for sentence in para.replace("! ", "!\n").replace("? ", "?\n").replace(". ", ".\n").split("\n"):
                if buf and estimate_tokens(buf + " " + sentence) > budget_tokens:
                    pieces.append(buf)
                    buf = sentence
                else:
                    buf = f"{buf} {sentence}".strip()
            if buf:
                pieces.append(buf)
        for piece in pieces:
            t = estimate_tokens(piece)
            if current and size + t > budget_tokens:
                out.append("\n\n".join(current))
                current, size = [], 0
            current.append(piece)
            size += t
    if current:
        out.append("\n\n".join(current))
    return out or [text]


def stylize_segment(
    engine: Engine,
    brief: Brief,
    plan: Plan,
    index: int,
    text: str,
    notes: dict[str, Any] | None = None,
    *,
    flags: list[Flag] | None = None,
    tier: str | None = None,
) -> str:
    """Polish segment ``index``; ``flags`` (the local checks' findings) aim the edit at them."""
    notes = notes if notes is not None else {}
    aim = _Aim(tuple(flags or ()), tier)
    # Words polishing may remove before the segment drops below its target (or below the draft).
    slack = [max(0, count_words(text) - plan.segments[index].target_words)]
    if engine.window is None:  # no window to fit (the offline engine): the whole segment at once
        styled, kept = _style(engine, brief, plan, index, text, slack=slack, aim=aim)
        notes.update({"style_chunks": 1, "style_kept_draft": int(kept)})
        return styled
    chunk_tokens = engine.input_budget(0.35, 4000)
    out: list[str] = []
    kept_total = 0
    chunks = _chunks(text, chunk_tokens)
    prefix = ""
    for chunk in chunks:
        styled, kept = _style_fitting(engine, brief, plan, index, chunk, prefix, slack, aim)
        out.append(styled)
        prefix = "\n\n".join(out) + "\n\n"
        kept_total += kept
    notes.update({"style_chunks": len(chunks), "style_kept_draft": kept_total})
    return "\n\n".join(out)


def _style_fitting(
    engine: Engine,
    brief: Brief,
    plan: Plan,
    index: int,
    chunk: str,
    prefix: str,
    slack: list[int],
    aim: _Aim,
    depth: int = 0,
) -> tuple[str, int]:
    """Style ``chunk``; halve it while the window refuses it (three times at most, then keep the draft)."""
    try:
        return _style(engine, brief, plan, index, chunk, prefix, slack=slack, aim=aim)
    except ContextTooSmall:
        if depth >= 3:
            return chunk, 1
        halves = _chunks(chunk, max(32, estimate_tokens(chunk) // 2))
        if len(halves) < 2:
            return chunk, 1
        parts, kept = [], 0
        for half in halves:
            styled, k = _style_fitting(engine, brief, plan, index, half, prefix, slack, aim, depth + 1)
            parts.append(styled)
            prefix += styled + "\n\n"
            kept += k
        return "\n\n".join(parts), kept


@dataclass(frozen=True)
class _Aim:
    flags: tuple[Flag, ...]  # what the local checks found (none: a full line edit)
    tier: str | None  # None: the stage's own tier


def _style(
    engine: Engine,
    brief: Brief,
    plan: Plan,
    index: int,
    text: str,
    prefix: str = "",
    *,
    slack: list[int],
    aim: _Aim,
) -> tuple[str, bool]:
    seg = plan.segments[index]
    words = count_words(text)
    language = _LANGUAGE[brief.language]
    system = (
        f"You are a {language} line editor. Polish the passage: idiomatic {language}, correct typography "
        "and punctuation for dialogue, smoother rhythm. Keep every event, name and the length; output the "
        "passage only."
    )
    user = f"Style notes: {plan.interpretation.style_notes}\nKeep about {words} words.\n\n{text}"
    if aim.flags:  # a flagged segment: say what to fix, so the edit goes where it is needed
        user = (
            "The checks flagged this passage: "
            + "; ".join(f.detail for f in aim.flags)
            + ". Fix exactly that and leave the rest as it is.\n"
            + user
        )
    messages = [{"role": "system", "content": system}, {"role": "user", "content": user}]
    answer = engine.passage(
        "language_stylization",
        messages,
        segment=seg.index,
        payload={"text": text, "language": brief.language, "flags": [f.code for f in aim.flags]},
        max_tokens=max(completion_budget(words, brief.language), estimate_tokens(text) + 200),
        live_prefix=prefix,
        tier=aim.tier,
    )
    styled = answer.text.strip()
    # A stylist that was cut off or shortened the passage has failed; keep the draft, not lose prose.
    shrink = words - count_words(styled)
    if (
        answer.finish_reason == "length"
        or count_words(styled) < STYLE_KEEP_SHARE * words
        or shrink > slack[0]
    ):
        return text, True
    slack[0] -= max(0, shrink)
    return styled, False
