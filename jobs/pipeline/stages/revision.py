"""Stage 07's second half: revise, once, the segments that fail the coherence check.

A segment fails when a planned character or key event is missing from its
text, or when it contradicts the story-facts ledger (a dead character on
stage). A missing item gets a short passage appended that brings it on the
page; a contradiction gets the segment rewritten when it fits the window.
Each segment is revised at most once and at most ``revision_limit`` segments
per run, so the stage's cost stays bounded; the report says what was done.
"""

from __future__ import annotations

from typing import Any

from ..brief import Brief
from ..codex import codex_entries
from ..context import segment_brief
from ..engine import ContextTooSmall, Engine
from ..plan import Plan
from ..quality import narrator_of, plan_coverage
from ..text import count_words, estimate_tokens, tail_words
from .drafting import (
    codex_part,
    completion_budget,
    join_passage,
    novelist_system,
    segment_payload,
    strip_overlap,
)

BRIDGE_WORDS = (120, 300)  # an appended passage is this long (min, max)


def revision_limit(n_segments: int) -> int:
    return 3 + n_segments // 10


def _problems(missing: list[dict[str, Any]], contradictions: dict[int, list[str]]) -> dict[int, dict]:
    out: dict[int, dict[str, list[str]]] = {}
    for m in missing:
        entry = out.setdefault(int(m["segment"]), {"missing": [], "contradictions": []})
        entry["missing"].append(m.get("character") or m.get("event") or "")
    for seg, items in contradictions.items():
        out.setdefault(seg, {"missing": [], "contradictions": []})["contradictions"].extend(items)
    return dict(sorted(out.items()))


def revise_segments(
    engine: Engine,
    brief: Brief,
    plan: Plan,
    drafts: list[str],
    missing: list[dict[str, Any]],
    contradictions: dict[int, list[str]],
) -> list[dict[str, Any]]:
    """Revise failing segments in ``drafts`` in place; return what was done, one entry per segment."""
    if engine.capabilities.writes_to_length:
        return []  # a local writer puts every planned item on the page by construction
    failing = _problems(missing, contradictions)
    done: list[dict[str, Any]] = []
    for seg_index, problems in list(failing.items())[: revision_limit(len(plan.segments))]:
        i = seg_index - 1
        if not 0 <= i < len(drafts):
            continue
        seg = plan.segments[i]
        before = drafts[i]
        entry: dict[str, Any] = {"segment": seg_index, **problems}
        try:
            if problems["contradictions"]:
                entry["action"] = _rewrite(engine, brief, plan, i, drafts, problems)
            else:
                entry["action"] = _bridge(engine, brief, plan, i, drafts, problems["missing"])
        except ContextTooSmall:
            entry["action"] = "not revised: the segment does not fit the context window"
        if drafts[i] != before:
            narrator = narrator_of(brief.pov, [c.name for c in plan.characters])
            _, still = plan_coverage([seg], [drafts[i]], brief.language, narrator)
            entry["still_missing"] = [m.get("character") or m.get("event") for m in still]
        done.append(entry)
    return done


def _bridge(engine: Engine, brief: Brief, plan: Plan, i: int, drafts: list[str], items: list[str]) -> str:
    seg = plan.segments[i]
    words = max(BRIDGE_WORDS[0], min(BRIDGE_WORDS[1], seg.target_words // 6))
    codex = codex_part(
        codex_entries(brief.world, plan), seg, drafts[i], engine.input_budget(0.08, 120), brief.language
    )
    user = (
        "THIS SEGMENT\n"
        + segment_brief(seg, "", engine.input_budget(0.12, 250))
        + "".join("\n\n" + part for part in codex)
        + "\n\nTHE SEGMENT ENDS\n"
        + tail_words(drafts[i], min(200, engine.input_budget(0.15, 300) * 3 // 4))
        + "\n\nThese planned things did not happen on the page:\n"
        + "\n".join(f"- {item}" for item in items[:6])
        + f"\n\nContinue from the ending with about {words} words in which all of them happen, with "
        "the named characters present. Do not repeat anything."
    )
    messages = [{"role": "system", "content": novelist_system(brief)}, {"role": "user", "content": user}]
    answer = engine.passage(
        "coherence_validation",
        messages,
        payload=segment_payload(brief, plan, i),
        segment=seg.index,
        max_tokens=completion_budget(words, brief.language),
        live_prefix=drafts[i] + "\n\n",
    )
    piece = strip_overlap(drafts[i], answer.text.strip())
    if not piece:
        return "not revised: the model wrote nothing"
    drafts[i] = join_passage(drafts[i], piece)
    return f"added a passage of {count_words(piece)} words"


def _rewrite(engine: Engine, brief: Brief, plan: Plan, i: int, drafts: list[str], problems: dict) -> str:
    seg = plan.segments[i]
    text = drafts[i]
    if estimate_tokens(text) > engine.input_budget(0.4, 8000):
        raise ContextTooSmall("too long to rewrite in this window")
    words = count_words(text)
    fix = "\n".join(f"- {p}" for p in problems["contradictions"] + problems["missing"])
    user = (
        f"Rewrite this segment so that these problems are gone:\n{fix}\n"
        f"Keep everything else, about {words} words, prose only.\n\n{text}"
    )
    messages = [{"role": "system", "content": novelist_system(brief)}, {"role": "user", "content": user}]
    answer = engine.passage(
        "coherence_validation",
        messages,
        payload=segment_payload(brief, plan, i),
        segment=seg.index,
        max_tokens=completion_budget(words, brief.language),
    )
    rewritten = answer.text.strip()
    if answer.finish_reason == "length" or count_words(rewritten) < 0.85 * words:
        return "not revised: the rewrite came back short or cut off"
    drafts[i] = rewritten
    return "rewrote the segment"
