"""Chapter-scoped runs: regenerate chapters, continue the story, revise chosen chapters.

A finished narrative is a list of chapters. These runs write only some of them —
chapter *N* again from its plan segment, *k* new chapters after the last, or the
ticked chapters with the writer's instructions — with the same stages a full run
uses (05 segment planning for new chapters, 06 drafting, 08 polishing) and the same
bounded prompt: story bible, the chapter's plan, what the chapters before it
*actually* say (``memory``: summaries and the facts ledger, rebuilt from the text,
so a writer's edits count), the end of the chapter before and the start of the one
after. Every other chapter is returned untouched: the caller splices the changed
ones into the stored text, so they stay byte-identical.

``run_scoped`` is the entry point for every backend (offline, openai); it
checkpoints after each chapter like ``run_pipeline`` and resumes from that.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from .backends import get_backend
from .backends.base import Backend
from .backends.offline.style import stylise as typeset
from .brief import MAX_NOTES, Brief
from .config import EngineConfig
from .engine import Callbacks
from .errors import PipelineError
from .memory import Ledger as StoryLedger
from .memory import story_so_far, summarise, update_ledger
from .plan import Plan, SegmentPlan
from .polish import flag_segment
from .quality import compute_quality, narrator_of
from .run_core import RunCore
from .runner import PipelineResult
from .stage_registry import STAGE_BY_KEY, Stage
from .stages.drafting import generate_segment, stylize_segment
from .stages.planning import plan_more_segments
from .text import Chapter, count_words, join_chapters
from .usage import Usage

MODES = ("regenerate", "continue", "revise")
MAX_ADD = 20  # chapters one continuation may add
_WEIGHTS = {"segment_planning": 0.05, "sequential_generation": 0.75, "language_stylization": 0.2}
_KIND_LABEL = {
    "regenerate": "Regenerated",
    "continue": "Continued",
    "revise": "Revised",
}


@dataclass(frozen=True)
class Scope:
    """What a chapter job writes. ``chapters`` are 1-based; ``add`` is for ``continue`` only."""

    mode: str
    chapters: tuple[int, ...] = ()
    add: int = 0
    instructions: str = ""
    variant: int = 0  # the offline writer composes the chapter anew for each variant (the new version)
    new_segments: tuple[dict[str, Any], ...] = ()  # continue: the writer's edited plan of the new chapters

    def to_dict(self) -> dict[str, Any]:
        return {
            "mode": self.mode,
            "chapters": list(self.chapters),
            "add": self.add,
            "instructions": self.instructions,
            "variant": self.variant,
            "new_segments": [dict(s) for s in self.new_segments],
        }

    @classmethod
    def from_dict(cls, data: Any) -> Scope:
        if not isinstance(data, dict) or data.get("mode") not in MODES:
            raise PipelineError("The chapter job's scope is missing or unknown.")
        return cls(
            mode=data["mode"],
            chapters=tuple(int(n) for n in data.get("chapters") or ()),
            add=int(data.get("add") or 0),
            instructions=str(data.get("instructions") or "")[:MAX_NOTES],
            variant=int(data.get("variant") or 0),
            new_segments=tuple(dict(s) for s in data.get("new_segments") or ()),
        )

    def check(self, n_chapters: int) -> None:
        """Raise PipelineError (in the writer's words) for a scope that does not fit the narrative."""
        if self.mode == "continue":
            if not 1 <= self.add <= MAX_ADD:
                raise PipelineError(f"A continuation adds 1 to {MAX_ADD} chapters, not {self.add}.")
            if self.new_segments and len(self.new_segments) != self.add:
                raise PipelineError("The plan of the new chapters does not have one entry per chapter.")
            return
        if not self.chapters:
            raise PipelineError("Choose at least one chapter.")
        bad = [n for n in self.chapters if not 1 <= n <= n_chapters]
        if bad:
            raise PipelineError(
                f"Chapter {bad[0]} does not exist: this narrative has chapters 1 to {n_chapters}."
            )
        if self.mode == "revise" and not self.instructions.strip():
            raise PipelineError("Say what the revision should change.")


def average_words(chapters: list[Chapter]) -> int:
    sizes = [count_words(c.body) for c in chapters if c.body.strip()]
    return max(300, round(sum(sizes) / len(sizes))) if sizes else 1500


def padded_plan(plan: Plan, chapters: list[Chapter], language: str) -> Plan:
    """The plan with one segment per chapter: a chapter the plan does not know (an imported or
    edited manuscript) gets a segment read from its own text."""
    segments = list(plan.segments[: len(chapters)])
    cast = [c.name for c in plan.characters]
    places = [loc.name for loc in plan.world.locations] or [""]
    last_act = (
        segments[-1].act if segments else (plan.structure.acts[-1].number if plan.structure.acts else 1)
    )
    for number in range(len(segments) + 1, len(chapters) + 1):
        body = chapters[number - 1].body
        stub = SegmentPlan(number, last_act, chapters[number - 1].title, "", [], [], places[0], 1)
        on_stage = [name for name in cast if name.split()[0] in body] or cast[:1]
        summary = summarise(body, stub, language).split(". ", 1)[-1]
        segments.append(
            SegmentPlan(
                number,
                last_act,
                chapters[number - 1].title or f"Chapter {number}",
                summary,
                [],
                on_stage,
                places[0],
                max(300, count_words(body)),
            )
        )
    return Plan(plan.interpretation, plan.world, plan.characters, plan.structure, segments)


@dataclass
class _Memory:
    """Summaries per chapter and the ledger folded up to a chapter, from the text as it now stands."""

    language: str
    cast: list[str]
    summaries: dict[int, str] = field(default_factory=dict)
    ledger: StoryLedger = field(default_factory=StoryLedger)
    folded: int = 0  # chapters 1..folded are in the ledger

    def summary(self, number: int, body: str, seg: SegmentPlan) -> str:
        if number not in self.summaries:
            self.summaries[number] = summarise(body, seg, self.language)
        return self.summaries[number]

    def forget(self, number: int) -> None:
        self.summaries.pop(number, None)

    def before(self, number: int, bodies: list[str], plan: Plan) -> tuple[list[str], StoryLedger]:
        """Memory for writing chapter ``number``: everything chapters 1..number-1 say."""
        if self.folded > number - 1:  # targets come in order; a fresh fold only if asked to go back
            self.ledger, self.folded = StoryLedger(), 0
        for k in range(self.folded + 1, number):
            update_ledger(self.ledger, bodies[k - 1], plan.segments[k - 1], self.cast, self.language)
        self.folded = max(self.folded, number - 1)
        sums = [self.summary(k, bodies[k - 1], plan.segments[k - 1]) for k in range(1, number)]
        return sums, StoryLedger.from_dict(self.ledger.to_dict())


class _ScopedRun(RunCore):
    def __init__(
        self,
        brief: Brief,
        backend: Backend,
        config: EngineConfig,
        callbacks: Callbacks,
        checkpoint: dict[str, Any] | None,
        budget_usd: float | None,
        plan: Plan,
        chapters: list[Chapter],
        scope: Scope,
    ) -> None:
        super().__init__(brief, backend, config, callbacks, checkpoint, budget_usd)
        self.scope = scope
        self.chapters = chapters
        if not self.state.plan:
            self.state.plan = padded_plan(plan, chapters, brief.language).to_dict()
            self.state.plan_given = True
        self.done = 0.0

    # -- reporting -------------------------------------------------------------------------------
    def plan(self) -> Plan:
        return Plan.from_dict(self.state.plan)

    def progress(self, key: str, within: float, detail: str) -> None:
        if self.cb.on_progress is not None:
            self.cb.on_progress(min(1.0, self.done + _WEIGHTS[key] * within), detail)

    def position(self, key: str, chapter: int, chapters: int, words: int) -> None:
        if self.cb.on_position is not None:
            self.cb.on_position({"stage": key, "chapter": chapter, "chapters": chapters, "words": words})

    def stage(self, key: str, step: Callable[[Stage], None]) -> None:
        stage = STAGE_BY_KEY[key]
        if key not in self.state.completed:
            self.engine.check_cancel(key, "step")
            if self.cb.on_stage_start is not None:
                self.cb.on_stage_start(stage, stage.number - 1)
            self.progress(key, 0.0, stage.label)
            step(stage)
            self.state.completed.append(key)
            self.checkpoint()
            if self.cb.on_stage_end is not None:
                self.cb.on_stage_end(stage, stage.number - 1)
        self.done += _WEIGHTS[key]

    # -- what is written -------------------------------------------------------------------------
    def targets(self) -> list[int]:
        if self.scope.mode == "continue":
            n = len(self.chapters)
            return list(range(n + 1, n + 1 + self.scope.add))
        return sorted(set(self.scope.chapters))

    def bodies(self, texts: list[str]) -> list[str]:
        """Every chapter's body with the targets written so far (``texts``, in target order) in place."""
        out = [c.body for c in self.chapters]
        for number, text in zip(self.targets(), texts, strict=False):
            if number <= len(out):
                out[number - 1] = text
            else:
                out.append(text)
        return out

    def notes(self, i: int) -> dict[str, Any]:
        while len(self.state.segment_notes) <= i:
            self.state.segment_notes.append({})
        return self.state.segment_notes[i]

    # -- stages ----------------------------------------------------------------------------------
    def plan_new(self, stage: Stage) -> None:
        plan = self.plan()
        have = plan.segments[: len(self.chapters)]
        words = average_words(self.chapters)
        if self.scope.new_segments:  # the writer saw (and maybe edited) the plan of the new chapters
            new = []
            for i, data in enumerate(self.scope.new_segments):
                seg = SegmentPlan.from_dict(
                    {
                        "index": len(have) + i + 1,
                        "act": have[-1].act if have else 1,
                        "target_words": words,
                        "location": plan.world.locations[0].name if plan.world.locations else "",
                        "characters": [c.name for c in plan.characters[:2]],
                        "key_events": [],
                        "summary": "",
                        "title": f"Chapter {len(have) + i + 1}",
                        **{k: v for k, v in data.items() if k not in ("index",)},
                    }
                )
                new.append(seg)
        else:
            memory = _Memory(self.brief.language, [c.name for c in plan.characters])
            bodies = [c.body for c in self.chapters]
            sums, _ = memory.before(len(self.chapters) + 1, bodies, plan)
            new = plan_more_segments(
                self.engine,
                self.brief,
                plan.world,
                plan.characters,
                plan.structure,
                before=have,
                count=self.scope.add,
                words=words,
                story_so_far=story_so_far(sums, 400),
                instructions=self.scope.instructions,
            )
        taken = {c.title for c in self.chapters} | {s.title for s in have}
        distinct = []
        for seg in new:  # chapter titles stay distinct within the narrative
            title, k = seg.title, 2
            while title in taken:
                title, k = f"{seg.title} ({k})", k + 1
            taken.add(title)
            distinct.append(SegmentPlan(**{**asdict(seg), "title": title}))
        self.state.plan = Plan(
            plan.interpretation, plan.world, plan.characters, plan.structure, [*have, *distinct]
        ).to_dict()

    def draft(self, stage: Stage) -> None:
        plan = self.plan()
        targets = self.targets()
        memory = _Memory(self.brief.language, [c.name for c in plan.characters])
        n_old = len(self.chapters)
        words = sum(count_words(d) for d in self.state.drafts)
        for j in range(len(self.state.drafts), len(targets)):
            number = targets[j]
            self.progress(stage.key, j / len(targets), f"Writing chapter {number}")
            self.position(stage.key, number, max(n_old, targets[-1]), words)
            bodies = self.bodies(self.state.drafts)
            for k in targets[:j]:
                memory.forget(k)
            sums, ledger = memory.before(number, bodies, plan)
            following = bodies[number] if number < n_old and self.scope.mode != "continue" else ""
            text = generate_segment(
                self.engine,
                self.brief,
                plan,
                number - 1,
                bodies[number - 2] if number > 1 else "",
                summaries=sums,
                ledger=ledger,
                notes=self.notes(j),
                instructions=self.scope.instructions,
                next_text=following,
                variant=self.scope.variant,
            )
            self.state.drafts.append(text)
            words += count_words(text)
            self.checkpoint()
        self.position(stage.key, targets[-1], max(n_old, targets[-1]), words)

    def stylise(self, stage: Stage) -> None:
        """Stage 08 as the brief chose it, for the written chapters only (as ``runner`` does)."""
        plan = self.plan()
        targets = self.targets()
        mode, tier, lang = self.brief.polish, self.engine.config.polish_tier, self.brief.language
        for j in range(len(self.state.styled), len(targets)):
            i = targets[j] - 1
            draft, notes = self.state.drafts[j], self.notes(j)
            flags = flag_segment(draft, plan.segments[i].target_words, lang)
            notes["polish_flags"] = [f.to_dict() for f in flags]
            polish = mode == "every" or (mode == "flagged" and bool(flags))
            self.progress(
                stage.key, j / len(targets), f"{'Polishing' if polish else 'Checking'} chapter {i + 1}"
            )
            if polish:
                styled = stylize_segment(
                    self.engine, self.brief, plan, i, draft, notes, flags=flags, tier=tier
                )
                notes["polished"] = True
            else:
                styled = typeset(draft, lang)
                notes["polished"] = False
            self.state.styled.append(styled)
            self.checkpoint()

    # -- the result ------------------------------------------------------------------------------
    def result(self, parent_metadata: dict[str, Any]) -> PipelineResult:
        plan = self.plan()
        targets = self.targets()
        bodies = self.bodies(self.state.styled)
        titles = [c.title for c in self.chapters] + [
            plan.segments[n - 1].title for n in targets if n > len(self.chapters)
        ]
        changes = [
            {
                "number": n,
                "title": titles[n - 1],
                "body": bodies[n - 1],
                "added": n > len(self.chapters),
            }
            for n in targets
        ]
        language = self.brief.language
        segments = plan.segments[: len(bodies)]
        cast = [c.name for c in plan.characters]
        coherence = (parent_metadata.get("coherence") or {}).get("score")
        metrics, score = compute_quality(
            bodies,
            segments,
            sum(s.target_words for s in segments),
            language,
            coherence if isinstance(coherence, int | float) else None,
            narrator_of(self.brief.pov, cast),
        )
        memory = _Memory(language, cast)
        sums, ledger = memory.before(
            len(bodies) + 1,
            bodies,
            Plan(plan.interpretation, plan.world, plan.characters, plan.structure, segments),
        )
        ledger_dict = ledger.to_dict()
        engine_name = self.engine.backend.name
        ledger_usage = self.engine.ledger
        usage = {
            "usage_by_tier": ledger_usage.by_tier(),
            "usage_by_stage": ledger_usage.by_stage(),
            "cost_usd": round(ledger_usage.cost_usd, 6),
            "tokens_used": ledger_usage.tokens,
        }
        meta = copy.deepcopy(parent_metadata)
        for stale in ("usage_counted_calls", "context_window", "timing"):
            meta.pop(stale, None)
        engines = sorted({str(meta.get("engine") or engine_name), engine_name})
        meta.update(usage)
        meta["engine"] = engine_name
        meta["engines"] = engines
        meta["language"] = language
        meta["plan"] = plan.to_dict()
        meta["chapters"] = [
            {"index": i, "title": t or f"Chapter {i}", "word_count": count_words(b)}
            for i, (t, b) in enumerate(zip(titles, bodies, strict=True), start=1)
        ]
        old_segments = [dict(s) for s in meta.get("segments") or [] if isinstance(s, dict)]
        by_index = {s.get("index"): s for s in old_segments}
        for j, n in enumerate(targets):
            seg = plan.segments[n - 1]
            entry = by_index.get(n) or {
                "index": n,
                "title": seg.title,
                "act": seg.act,
                "location": seg.location,
                "characters": seg.characters,
                "key_events": seg.key_events,
                "planned_words": seg.target_words,
            }
            entry["actual_words"] = count_words(bodies[n - 1])
            entry.update({k: v for k, v in self.notes(j).items() if k != "segment"})
            if n not in by_index:
                old_segments.append(entry)
                by_index[n] = entry
        meta["segments"] = sorted(old_segments, key=lambda s: s.get("index") or 0)
        meta["memory"] = {"summaries": sums, "ledger": ledger_dict}
        meta["quality_metrics"] = metrics
        meta["overall_quality_score"] = score
        meta["polish"] = {
            "mode": self.brief.polish,
            "tier": self.engine.config.polish_tier if self.brief.polish != "off" else None,
            "checked": len(targets),
            "flagged": sum(1 for j in range(len(targets)) if self.notes(j).get("polish_flags")),
            "polished": [
                {
                    "segment": n,
                    "reasons": [f["detail"] for f in self.notes(j).get("polish_flags") or []],
                    "codes": [f["code"] for f in self.notes(j).get("polish_flags") or []],
                    "still_flagged": [],
                }
                for j, n in enumerate(targets)
                if self.notes(j).get("polished")
            ],
        }
        meta["revision"] = {
            "kind": self.scope.mode,
            "label": _KIND_LABEL[self.scope.mode],
            "chapters": targets,
            "instructions": self.scope.instructions,
            "engine": engine_name,
        }
        if self.scope.instructions:
            meta["revision_instructions"] = self.scope.instructions
        else:
            meta.pop("revision_instructions", None)
        text = join_chapters([Chapter(t, b) for t, b in zip(titles, bodies, strict=True)])
        return PipelineResult(
            title=str(meta.get("title") or plan.interpretation.title),
            text=text,
            word_count=sum(count_words(b) for b in bodies),
            language=language,
            metadata=meta,
            quality_metrics=metrics,
            overall_quality_score=score,
            cost_usd=round(ledger_usage.cost_usd, 6),
            tokens_used=ledger_usage.tokens,
            usage_by_tier=usage["usage_by_tier"],
            model_calls=list(ledger_usage.calls),
            plan=plan.to_dict(),
            completed_stages=list(self.state.completed),
            usage=Usage.from_dict(usage["usage_by_tier"]),
            changes=changes,
        )


def run_scoped(
    brief: Brief,
    *,
    backend: Backend,
    plan: dict[str, Any],
    chapters: list[Chapter],
    scope: Scope,
    parent_metadata: dict[str, Any] | None = None,
    config: EngineConfig | None = None,
    callbacks: Callbacks | None = None,
    checkpoint: dict[str, Any] | None = None,
    budget_usd: float | None = None,
) -> PipelineResult:
    """Write the chapters ``scope`` asks for; a ``PipelineResult`` whose ``changes`` list them.

    ``chapters`` are the narrative's chapters as the reader numbers them (``chapters_from_text``),
    ``plan`` its stored plan. ``result.text`` is the whole narrative re-joined (for a caller
    without the stored text); a caller with it splices ``changes`` in instead, so untouched
    chapters keep every byte. Errors carry the latest checkpoint, as ``run_pipeline``'s do.
    """
    config = config or EngineConfig()
    callbacks = callbacks or Callbacks()
    if not chapters:
        raise PipelineError("This narrative has no chapters to work on.")
    scope.check(len(chapters))
    run = _ScopedRun(
        brief, backend, config, callbacks, checkpoint, budget_usd, Plan.from_dict(plan), chapters, scope
    )
    try:
        run.engine.preflight()
        if scope.mode == "continue":
            run.stage("segment_planning", run.plan_new)
        run.stage("sequential_generation", run.draft)
        run.stage("language_stylization", run.stylise)
        result = run.result(dict(parent_metadata or {}))
        if callbacks.on_progress is not None:
            callbacks.on_progress(1.0, "Done")
        return result
    except PipelineError as exc:
        if exc.checkpoint is None:
            exc.checkpoint = run.state.to_checkpoint(run.engine.ledger)
        raise


def propose_continuation(
    brief: Brief,
    *,
    plan: dict[str, Any],
    chapters: list[Chapter],
    add: int,
    instructions: str = "",
) -> list[dict[str, Any]]:
    """A free outline of ``add`` new chapters (title, summary, key events) for the writer to edit.

    Drafted by the offline planner at once and at no cost whichever engine will write them,
    so the continue form can show the plan for confirmation before a job is queued.
    """
    scope = Scope("continue", add=add, instructions=instructions)
    scope.check(len(chapters))
    run = _ScopedRun(
        brief,
        get_backend("offline"),
        EngineConfig(),
        Callbacks(),
        None,
        None,
        Plan.from_dict(plan),
        chapters,
        scope,
    )
    run.plan_new(STAGE_BY_KEY["segment_planning"])
    return [
        {"title": s.title, "summary": s.summary, "key_events": list(s.key_events)}
        for s in run.plan().segments[len(chapters) :]
    ]
