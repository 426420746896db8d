"""How much a reviewed plan may order: its total words and its segment count, per production type.

A writer edits the plan during plan review; these bounds keep the edit inside
what the brief's production type is (a short story cannot be planned as 130
segments of 50,000 words):

* **total words**: within the type's range (``Brief.type_range``), widened by
  ``WORDS_TOLERANCE`` (10 %) on each side — room to reshape the story, not
  to change its kind. A short story's plan may total 4,500–11,000 words.
* **segments**: at most ``max_segments(type)`` = the type's longest plan
  divided by ``MIN_AVERAGE_SEGMENT_WORDS`` (500), and never more than
  ``MAX_SEGMENTS`` (400): 22 for a short story, 88 for a novella, 264 for a
  novel, 400 for an epic saga. Each segment is one drafting and one styling
  call, so the count bounds the calls as the words bound the prose.

``plan_bound_problems`` names the segment to shorten (or lengthen), so the
plan editor can point at it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from .brief import Brief

WORDS_TOLERANCE = 0.10
MIN_AVERAGE_SEGMENT_WORDS = 500
MAX_SEGMENTS = 400

TYPE_LABELS = {
    "short_story": "a short story",
    "novella": "a novella",
    "novel": "a novel",
    "epic_saga": "an epic saga",
}


def plan_words_range(production_type: str) -> tuple[int, int]:
    low, high = Brief.type_range(production_type)
    return math.floor(low * (1 - WORDS_TOLERANCE)), math.ceil(high * (1 + WORDS_TOLERANCE))


def max_segments(production_type: str) -> int:
    _, high = plan_words_range(production_type)
    return min(MAX_SEGMENTS, math.ceil(high / MIN_AVERAGE_SEGMENT_WORDS))


@dataclass(frozen=True)
class BoundProblem:
    message: str
    segment: int | None = None  # 0-based index of the segment to change, when there is one
    segment_message: str = ""


def _words(seg: dict[str, Any]) -> int:
    value = seg.get("target_words")
    return value if isinstance(value, int) and value > 0 else 0


def _name(i: int, seg: dict[str, Any]) -> str:
    title = str(seg.get("title") or "").strip()
    return f"segment {i + 1}" + (f" “{title}”" if title else "")


def plan_bound_problems(plan: dict[str, Any], production_type: str) -> list[BoundProblem]:
    """What takes ``plan`` outside its production type's bounds (empty when it fits)."""
    segments = [s for s in (plan.get("segments") or []) if isinstance(s, dict)]
    label = TYPE_LABELS.get(production_type, production_type.replace("_", " "))
    type_low, type_high = Brief.type_range(production_type)
    low, high = plan_words_range(production_type)
    problems: list[BoundProblem] = []
    limit = max_segments(production_type)
    if len(segments) > limit:
        problems.append(
            BoundProblem(
                f"This plan has {len(segments):,} segments; a plan for {label} holds at most {limit:,}. "
                "Remove or merge segments."
            )
        )
    if not segments:
        return problems
    total = sum(_words(s) for s in segments)
    kind = f"{label[0].upper()}{label[1:]} is {type_low:,} to {type_high:,} words"
    if total > high:
        cut = total - high
        i = max(range(len(segments)), key=lambda j: _words(segments[j]))
        seg = segments[i]
        if cut <= _words(seg) - 50:
            advice = f"Shorten {_name(i, seg)} ({_words(seg):,} words) by at least {cut:,} words."
        else:
            advice = (
                f"Shorten {_name(i, seg)} ({_words(seg):,} words, the longest) and others: the plan must "
                f"lose at least {cut:,} words."
            )
        problems.append(
            BoundProblem(
                f"This plan totals {total:,} words. {kind} (a plan may total up to {high:,}). {advice}",
                segment=i,
                segment_message=f"Shorten this segment: the plan is {cut:,} words too long.",
            )
        )
    elif total < low:
        grow = low - total
        i = min(range(len(segments)), key=lambda j: _words(segments[j]))
        seg = segments[i]
        problems.append(
            BoundProblem(
                f"This plan totals {total:,} words. {kind} (a plan needs at least {low:,}). "
                f"Lengthen {_name(i, seg)} ({_words(seg):,} words, the shortest) or others by "
                f"{grow:,} words in all.",
                segment=i,
                segment_message=f"Lengthen this segment: the plan is {grow:,} words too short.",
            )
        )
    return problems
