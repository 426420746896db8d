"""Stages 07, 09 and 10: coherence validation, editorial review, output.

Coherence is always checked locally (every planned character and event on the
page, nothing said against the story-facts ledger); with a model backend a
gpt4-tier judge also scores the whole story from a bounded digest of what was
actually written (the segment summaries and the ledger), and failing segments
are revised once (``revision``). The editorial review reads the same summaries.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from .. import schema as schemas
from ..backends import capabilities_of
from ..brief import Brief
from ..engine import Engine
from ..errors import BackendError
from ..memory import Ledger
from ..plan import Plan
from ..quality import narrator_of, plan_coverage
from ..text import Chapter, count_words, join_chapters, truncate_to_tokens

DIGEST_TOKENS = 1800  # the judge sees at most this much of the story


@dataclass
class CoherenceReport:
    coverage: float
    missing: list[dict[str, Any]]
    score: float | None = None  # the model's judgment, when one was asked
    issues: list[str] = field(default_factory=list)
    contradictions: list[str] = field(default_factory=list)  # against the story-facts ledger
    revisions: list[dict[str, Any]] = field(default_factory=list)  # what was fixed, per segment

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class EditorialReview:
    chapter_titles: list[str]
    notes: list[str]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Output:
    text: str
    chapters: list[Chapter]
    word_count: int
    segment_words: list[int]


def _digest(plan: Plan, summaries: list[str], ledger: Ledger | None, budget: int) -> str:
    """What the judge reads: the planned title and the actual summary of every segment, then the facts."""
    per_line = max(12, budget * 3 // 4 // max(1, len(plan.segments)))
    lines = []
    for seg, summary in zip(plan.segments, summaries, strict=False):
        lines.append(f"[{seg.title}] " + truncate_to_tokens(summary, per_line))
    facts = (ledger or Ledger()).render(max(40, budget // 4))
    return truncate_to_tokens("\n".join(lines), budget * 3 // 4) + "\n\nSTORY FACTS\n" + facts


def validate_coherence(
    engine: Engine,
    brief: Brief,
    plan: Plan,
    bible: str,
    texts: list[str],
    *,
    summaries: list[str] | None = None,
    ledger: Ledger | None = None,
    contradictions: list[str] | None = None,
) -> CoherenceReport:
    narrator = narrator_of(brief.pov, [c.name for c in plan.characters])
    coverage, missing = plan_coverage(plan.segments, texts, brief.language, narrator)
    report = CoherenceReport(round(coverage, 4), missing, contradictions=list(contradictions or []))
    if not engine.capabilities.judges_coherence:
        return report  # no model to judge; the local check is the validation
    digest = _digest(plan, summaries or [], ledger, engine.input_budget(0.45, DIGEST_TOKENS))
    user = (
        "Judge the coherence of this narrative against its bible: continuity of characters, places and "
        "the laws of the world, causality between segments. Give a score from 0 to 1 and up to 8 issues.\n\n"
        f"BIBLE\n{truncate_to_tokens(bible, engine.input_budget(0.15, 450))}\n\nSEGMENTS\n{digest}"
    )
    messages = [
        {"role": "system", "content": "You are a strict continuity editor. Answer with JSON only."},
        {"role": "user", "content": user},
    ]
    try:
        data = engine.json(
            "coherence_validation", messages, schemas.COHERENCE, name="coherence", max_tokens=700, payload={}
        )
    except BackendError as exc:
        if exc.cause != "invalid_json":
            raise
        # The judgment is advice: an unreadable one is reported, it does not throw the story away.
        report.issues = [f"The model's coherence judgment could not be read ({exc})."]
        return report
    report.score = float(data["score"])
    report.issues = [str(i) for i in data["issues"]][:8]
    return report


def review_editorial(
    engine: Engine, brief: Brief, plan: Plan, texts: list[str], summaries: list[str] | None = None
) -> EditorialReview:
    written = list(summaries or [])
    per = max(60, engine.input_budget(0.5, 6000) * 4 // max(1, len(texts)))
    chapters = [
        {
            "title": s.title,
            # What the chapter actually says (its summary), else the plan's.
            "summary": (written[i].split(". ", 1)[-1] if i < len(written) else s.summary)[: min(200, per)],
            "words": count_words(t),
            "planned": s.target_words,
        }
        for i, (s, t) in enumerate(zip(plan.segments, texts, strict=False))
    ]
    listing = "\n".join(
        f"{i}. {c['title']} ({c['words']} words): {c['summary']}" for i, c in enumerate(chapters, 1)
    )
    user = (
        f"Review this {brief.production_type.replace('_', ' ')} as an editor. Return one polished chapter "
        f"title per chapter ({len(chapters)} in order) and up to 6 short editorial notes.\n\n{listing}"
    )
    messages = [
        {"role": "system", "content": "You are a senior fiction editor. Answer with JSON only."},
        {"role": "user", "content": user},
    ]
    titles_schema = {
        **schemas.REVIEW,
        "properties": {
            **schemas.REVIEW["properties"],
            "chapter_titles": {
                "type": "array",
                "items": {"type": "string", "minLength": 1},
                "minItems": len(chapters),
                "maxItems": len(chapters),
            },
        },
    }
    try:
        data = engine.json(
            "editorial_review",
            messages,
            titles_schema,
            name="review",
            max_tokens=300 + 30 * len(chapters),
            payload={"chapters": chapters},
        )
    except BackendError as exc:
        if exc.cause != "invalid_json":
            raise
        # Titles and notes are polish: keep the planned titles rather than lose the finished story.
        return EditorialReview([s.title for s in plan.segments], [f"No editorial review: {exc}"])
    return EditorialReview([t.strip() for t in data["chapter_titles"]], [str(n) for n in data["notes"]][:6])


def process_output(plan: Plan, texts: list[str], review: EditorialReview) -> Output:
    titles = (
        review.chapter_titles
        if len(review.chapter_titles) == len(texts)
        else [s.title for s in plan.segments]
    )
    chapters = [
        Chapter(title.replace("\n", " "), body.strip()) for title, body in zip(titles, texts, strict=True)
    ]
    segment_words = [count_words(t) for t in texts]
    return Output(join_chapters(chapters), chapters, sum(segment_words), segment_words)


def build_metadata(
    brief: Brief,
    plan: Plan,
    engine_name: str,
    output: Output,
    coherence: CoherenceReport,
    review: EditorialReview,
    usage: dict[str, Any],
) -> dict[str, Any]:
    plan_dict = plan.to_dict()
    return {
        "engine": engine_name,
        "engine_label": capabilities_of(engine_name).label,
        "title": plan.interpretation.title,
        "language": brief.language,
        "world": plan_dict["world"],
        "characters": plan_dict["characters"],
        "structure": plan_dict["structure"],
        "segments": [
            {
                "index": s.index,
                "title": s.title,
                "act": s.act,
                "location": s.location,
                "characters": s.characters,
                "key_events": s.key_events,
                "planned_words": s.target_words,
                "actual_words": n,
            }
            for s, n in zip(plan.segments, output.segment_words, strict=True)
        ],
        "chapters": [
            {"index": i, "title": c.title, "word_count": n}
            for i, (c, n) in enumerate(zip(output.chapters, output.segment_words, strict=True), start=1)
        ],
        "coherence": coherence.to_dict(),
        "editorial_notes": review.notes,
        **usage,
        "plan": plan_dict,
        "brief": brief.to_dict(),
    }
