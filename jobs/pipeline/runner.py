"""``run_pipeline``: the ten stages in order, with checkpoints and resumption."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from .backends.base import Backend
from .backends.offline.style import stylise as typeset
from .brief import Brief
from .config import EngineConfig
from .context import story_bible
from .engine import Callbacks
from .errors import PipelineError
from .memory import Ledger as StoryLedger
from .memory import contradictions, summarise, update_ledger
from .plan import PLAN_VERSION, Character, Interpretation, Plan, SegmentPlan, StructureDesign, WorldBible
from .polish import flag_segment
from .quality import compute_quality, narrator_of
from .run_core import RunCore
from .stage_registry import PLANNING_KEYS, STAGES, Stage
from .stages import planning
from .stages.drafting import generate_segment, stylize_segment
from .stages.finishing import (
    CoherenceReport,
    EditorialReview,
    build_metadata,
    process_output,
    review_editorial,
    validate_coherence,
)
from .stages.revision import revise_segments
from .text import count_words
from .usage import ModelCall, Usage


@dataclass
class PipelineResult:
    title: str
    text: str
    word_count: int
    language: str
    metadata: dict[str, Any]
    quality_metrics: dict[str, Any]
    overall_quality_score: float
    cost_usd: float
    tokens_used: int
    usage_by_tier: dict[str, dict[str, Any]]
    model_calls: list[ModelCall]
    plan: dict[str, Any]
    completed_stages: list[str] = field(default_factory=list)
    usage: Usage = field(default_factory=Usage)  # the typed form of usage_by_tier
    # A chapter job's written chapters ({number, title, body, added}), for splicing (``scoped``).
    changes: list[dict[str, Any]] | None = None


class _Run(RunCore):
    def __init__(
        self,
        brief: Brief,
        backend: Backend,
        config: EngineConfig,
        callbacks: Callbacks,
        checkpoint: dict[str, Any] | None,
        budget_usd: float | None,
    ) -> None:
        super().__init__(brief, backend, config, callbacks, checkpoint, budget_usd)
        self.n_segments = planning.segment_count(brief.target_words, config.segment_words)
        self.done_weight = 0.0

    # -- reporting -----------------------------------------------------------
    def progress(self, stage: Stage, within: float, detail: str) -> None:
        if self.cb.on_progress is not None:
            self.cb.on_progress(min(1.0, self.done_weight + stage.weight * within), detail)

    def position(self, stage: Stage, chapter: int, chapters: int, words: int) -> None:
        if self.cb.on_position is not None:
            self.cb.on_position(
                {"stage": stage.key, "chapter": chapter, "chapters": chapters, "words": words}
            )

    def finish_stage(self, stage: Stage, index: int) -> None:
        self.state.completed.append(stage.key)
        self.checkpoint()
        self.done_weight += stage.weight
        if self.cb.on_stage_end is not None:
            self.cb.on_stage_end(stage, index)
        self.progress(stage, 0.0, f"{stage.label} done")

    # -- plan access ---------------------------------------------------------
    def plan(self) -> Plan:
        p = self.state.plan
        return Plan(
            Interpretation.from_dict(p["interpretation"]),
            WorldBible.from_dict(p["world"]),
            [Character.from_dict(c) for c in p["characters"]],
            StructureDesign.from_dict(p["structure"]),
            [SegmentPlan.from_dict(s) for s in p["segments"]],
        )

    def use_plan(self, plan_dict: Any) -> None:
        plan = Plan.from_dict(plan_dict)
        self.state.plan = plan.to_dict()
        self.state.plan_given = True
        self.n_segments = len(plan.segments)
        for key in PLANNING_KEYS:
            if key not in self.state.completed:
                self.state.completed.append(key)

    # -- stages --------------------------------------------------------------
    def run_stage(self, stage: Stage) -> None:
        STAGE_STEPS[stage.key](self, stage)

    def interpret(self, stage: Stage) -> None:
        self.state.plan["interpretation"] = asdict(planning.interpret_brief(self.engine, self.brief))

    def architect_world(self, stage: Stage) -> None:
        p = self.state.plan
        interpretation = Interpretation.from_dict(p["interpretation"])
        p["world"] = asdict(planning.architect_world(self.engine, self.brief, interpretation))

    def architect_characters(self, stage: Stage) -> None:
        p = self.state.plan
        cast = planning.architect_characters(
            self.engine,
            self.brief,
            Interpretation.from_dict(p["interpretation"]),
            WorldBible.from_dict(p["world"]),
        )
        p["characters"] = [asdict(c) for c in cast]

    def design_structure(self, stage: Stage) -> None:
        p = self.state.plan
        cast = [Character.from_dict(c) for c in p["characters"]]
        p["structure"] = asdict(
            planning.design_structure(
                self.engine, self.brief, WorldBible.from_dict(p["world"]), cast, self.n_segments
            )
        )

    def plan_segments(self, stage: Stage) -> None:
        p = self.state.plan
        cast = [Character.from_dict(c) for c in p["characters"]]
        segs = planning.plan_segments(
            self.engine,
            self.brief,
            WorldBible.from_dict(p["world"]),
            cast,
            StructureDesign.from_dict(p["structure"]),
            self.n_segments,
        )
        p["segments"] = [asdict(s) for s in segs]
        p["version"] = PLAN_VERSION
        self.n_segments = len(p["segments"])

    def validate(self, stage: Stage) -> None:
        self.cohere()

    def review(self, stage: Stage) -> None:
        self.state.review = review_editorial(
            self.engine, self.brief, self.plan(), self.state.styled, self.state.summaries
        ).to_dict()

    def process_output(self, stage: Stage) -> None:
        """Nothing to store: the output is assembled from the stored state by ``result``."""

    # -- memory of the actual text -------------------------------------------
    def remember(self, plan: Plan, index: int) -> None:
        """Summary and ledger facts of segment ``index`` as written (rebuilt for older checkpoints)."""
        ledger = StoryLedger.from_dict(self.state.ledger)
        cast = [c.name for c in plan.characters]
        for i in range(len(self.state.summaries), index + 1):
            text, seg = self.state.drafts[i], plan.segments[i]
            self.state.summaries.append(summarise(text, seg, self.brief.language))
            update_ledger(ledger, text, seg, cast, self.brief.language)
        self.state.ledger = ledger.to_dict()

    def cohere(self) -> None:
        plan = self.plan()
        e, b = self.engine, self.brief
        self.remember(plan, len(self.state.drafts) - 1)
        # Contradictions: each segment against the ledger as it stood before that segment.
        ledger, cast, found = StoryLedger(), [c.name for c in plan.characters], {}
        for seg, text in zip(plan.segments, self.state.drafts, strict=False):
            problems = contradictions(ledger, text, seg)
            if problems:
                found[seg.index] = problems
            update_ledger(ledger, text, seg, cast, b.language)
        bible = story_bible(plan.world, plan.characters)
        report = validate_coherence(
            e,
            b,
            plan,
            bible,
            self.state.drafts,
            summaries=self.state.summaries,
            ledger=StoryLedger.from_dict(self.state.ledger),
            contradictions=[p for items in found.values() for p in items],
        )
        report.revisions = revise_segments(e, b, plan, self.state.drafts, report.missing, found)
        for entry in report.revisions:  # the revised text is what later stages and the memory see
            i = entry["segment"] - 1
            if entry.get("action", "").startswith(("added", "rewrote")):
                self.state.summaries[i] = summarise(self.state.drafts[i], plan.segments[i], b.language)
        self.state.coherence = report.to_dict()

    def notes(self, i: int) -> dict[str, Any]:
        while len(self.state.segment_notes) <= i:
            self.state.segment_notes.append({})
        return self.state.segment_notes[i]

    def draft(self, stage: Stage) -> None:
        plan = self.plan()
        total = len(plan.segments)
        words = sum(count_words(d) for d in self.state.drafts)  # a resume starts with some written
        if self.state.drafts:
            self.remember(plan, len(self.state.drafts) - 1)
        for i in range(len(self.state.drafts), total):
            self.progress(stage, i / total, f"Drafting segment {i + 1} of {total}")
            self.position(stage, i + 1, total, words)
            previous = self.state.drafts[i - 1] if i else ""
            text = generate_segment(
                self.engine,
                self.brief,
                plan,
                i,
                previous,
                summaries=self.state.summaries,
                ledger=StoryLedger.from_dict(self.state.ledger),
                notes=self.notes(i),
            )
            self.state.drafts.append(text)
            words += count_words(text)
            self.remember(plan, i)
            self.checkpoint()
        self.position(stage, total, total, words)

    def stylise(self, stage: Stage) -> None:
        """Stage 08 as the brief chose it (see polish.py); every segment is checked, and says so."""
        plan = self.plan()
        total = len(plan.segments)
        mode, tier, lang = self.brief.polish, self.engine.config.polish_tier, self.brief.language
        drafted = sum(count_words(d) for d in self.state.drafts)
        for i in range(len(self.state.styled), total):
            draft, notes = self.state.drafts[i], self.notes(i)
            flags = flag_segment(draft, plan.segments[i].target_words, lang)
            notes["polish_flags"] = [f.to_dict() for f in flags]
            polish = mode == "every" or (mode == "flagged" and bool(flags))
            verb = "Polishing" if polish else "Checking"
            self.progress(stage, i / total, f"{verb} segment {i + 1} of {total}")
            self.position(stage, i + 1, total, drafted)
            if polish:
                styled = stylize_segment(
                    self.engine, self.brief, plan, i, draft, notes, flags=flags, tier=tier
                )
                notes["polished"] = True
                notes["polish_flags_after"] = [
                    f.code for f in flag_segment(styled, plan.segments[i].target_words, lang)
                ]
            else:  # typography is local and free; the draft is otherwise kept as written
                styled = typeset(draft, lang)
                notes["polished"] = False
            self.state.styled.append(styled)
            self.checkpoint()

    def result(self, finished: bool) -> PipelineResult:
        ledger = self.engine.ledger
        usage = {
            "usage_by_tier": ledger.by_tier(),
            "usage_by_stage": ledger.by_stage(),
            "cost_usd": round(ledger.cost_usd, 6),
            "tokens_used": ledger.tokens,
        }
        common = dict(
            language=self.brief.language,
            cost_usd=round(ledger.cost_usd, 6),
            tokens_used=ledger.tokens,
            usage_by_tier=usage["usage_by_tier"],
            usage=Usage.from_dict(usage["usage_by_tier"]),
            model_calls=list(ledger.calls),
            plan=dict(self.state.plan),
            completed_stages=list(self.state.completed),
        )
        if not finished:  # plan review: stages 01–05 only
            title = self.state.plan["interpretation"]["title"]
            meta = {
                "engine": self.engine.backend.name,
                "plan": dict(self.state.plan),
                "brief": self.brief.to_dict(),
                **usage,
            }
            return PipelineResult(
                title=title,
                text="",
                word_count=0,
                metadata=meta,
                quality_metrics={},
                overall_quality_score=0.0,
                **common,
            )
        plan = self.plan()
        coherence = (
            CoherenceReport(**self.state.coherence) if self.state.coherence else CoherenceReport(1.0, [])
        )
        review = EditorialReview(**self.state.review) if self.state.review else EditorialReview([], [])
        output = process_output(plan, self.state.styled, review)
        metrics, score = compute_quality(
            self.state.styled,
            plan.segments,
            self.brief.target_words,
            self.brief.language,
            coherence.score,
            narrator_of(self.brief.pov, [c.name for c in plan.characters]),
        )
        meta = build_metadata(self.brief, plan, self.engine.backend.name, output, coherence, review, usage)
        for entry, notes in zip(meta["segments"], self.state.segment_notes, strict=False):
            entry.update({k: v for k, v in notes.items() if k != "segment"})  # asked vs delivered
        meta["memory"] = {"summaries": list(self.state.summaries), "ledger": dict(self.state.ledger)}
        meta["context_window"] = {"tokens": self.engine.window, "source": self.engine.window_source}
        meta["usage_counted_calls"] = self.engine.counted_calls  # this attempt's calls without server usage
        meta["polish"] = self.polish_report()
        meta["quality_metrics"] = metrics
        meta["overall_quality_score"] = score
        return PipelineResult(
            title=plan.interpretation.title,
            text=output.text,
            word_count=output.word_count,
            metadata=meta,
            quality_metrics=metrics,
            overall_quality_score=score,
            **common,
        )

    def polish_report(self) -> dict[str, Any]:
        """Stage 08 for the reader: the pass chosen, its tier, and which segments it revised and why."""
        notes = self.state.segment_notes
        polished = [
            {
                "segment": i + 1,
                "reasons": [f["detail"] for f in n.get("polish_flags") or []],
                "codes": [f["code"] for f in n.get("polish_flags") or []],
                "still_flagged": list(n.get("polish_flags_after") or []),
            }
            for i, n in enumerate(notes)
            if n.get("polished")
        ]
        return {
            "mode": self.brief.polish,
            "tier": self.engine.config.polish_tier if self.brief.polish != "off" else None,
            "checked": len(self.state.styled),
            "flagged": sum(1 for n in notes if n.get("polish_flags")),
            "polished": polished,
        }


# Stage key → the step that runs it. Every stage of the registry has exactly one step.
STAGE_STEPS: dict[str, Callable[[_Run, Stage], None]] = {
    "brief_interpretation": _Run.interpret,
    "world_architecture": _Run.architect_world,
    "character_architecture": _Run.architect_characters,
    "structure_design": _Run.design_structure,
    "segment_planning": _Run.plan_segments,
    "sequential_generation": _Run.draft,
    "coherence_validation": _Run.validate,
    "language_stylization": _Run.stylise,
    "editorial_review": _Run.review,
    "output_processing": _Run.process_output,
}
if set(STAGE_STEPS) != {s.key for s in STAGES}:  # a stage added to the registry needs its step here
    raise ImportError(f"stage steps {sorted(STAGE_STEPS)} do not match the stages {[s.key for s in STAGES]}")


def run_pipeline(
    brief: Brief,
    *,
    backend: Backend,
    config: EngineConfig | None = None,
    callbacks: Callbacks | None = None,
    checkpoint: dict[str, Any] | None = None,
    budget_usd: float | None = None,
    plan: dict[str, Any] | None = None,
) -> PipelineResult:
    """Run the ten stages (or 01–05 when ``brief.review_plan``).

    ``plan`` replaces stages 01–05 (plan review, revisions); ``checkpoint``
    resumes a run; ``budget_usd`` stops the run before a call that could cross
    it. Errors carry the latest checkpoint.
    """
    config = config or EngineConfig()
    callbacks = callbacks or Callbacks()
    run = _Run(brief, backend, config, callbacks, checkpoint, budget_usd)
    try:
        run.engine.preflight()  # model names checked (and the window learnt) before the first call
        if plan is not None and "segment_planning" not in run.state.completed:
            run.use_plan(plan)
        elif run.state.plan.get("segments"):
            run.n_segments = len(run.state.plan["segments"])
        for index, stage in enumerate(STAGES):
            if stage.key in run.state.completed:
                run.done_weight += stage.weight
                continue
            if brief.review_plan and stage.key not in PLANNING_KEYS:
                return run.result(finished=False)
            run.engine.check_cancel(stage.key, "step")  # stages without model calls stop here too
            if callbacks.on_stage_start is not None:
                callbacks.on_stage_start(stage, index)
            run.progress(stage, 0.0, stage.label)
            run.run_stage(stage)
            run.finish_stage(stage, index)
        if brief.review_plan:
            return run.result(finished=False)
        result = run.result(finished=True)
        if callbacks.on_progress is not None:
            callbacks.on_progress(1.0, "Done")
        return result
    except PipelineError as exc:
        if exc.checkpoint is None:
            exc.checkpoint = run.state.to_checkpoint(run.engine.ledger)
        raise
