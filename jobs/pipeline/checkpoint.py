"""Run state and its JSON-serialisable checkpoint form.

A checkpoint holds the brief, finished stages, the plan so far, every drafted
and stylised segment and every model call made, so a resumed run neither
repeats nor re-bills finished work and still reports complete totals.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .brief import DEFAULT_POLISH, Brief
from .errors import PipelineError
from .usage import Ledger, ModelCall

CHECKPOINT_VERSION = 1


@dataclass
class RunState:
    brief: dict[str, Any]
    engine: str
    completed: list[str] = field(default_factory=list)
    plan: dict[str, Any] = field(default_factory=dict)
    plan_given: bool = False
    drafts: list[str] = field(default_factory=list)
    styled: list[str] = field(default_factory=list)
    coherence: dict[str, Any] | None = None
    review: dict[str, Any] | None = None
    # Memory of the actual text (see ``memory``) and what each segment asked for and got.
    summaries: list[str] = field(default_factory=list)
    ledger: dict[str, Any] = field(default_factory=dict)
    segment_notes: list[dict[str, Any]] = field(default_factory=list)

    def to_checkpoint(self, ledger: Ledger) -> dict[str, Any]:
        # Fresh lists: the caller may keep the dict while the run goes on.
        return {
            "version": CHECKPOINT_VERSION,
            "engine": self.engine,
            "brief": self.brief,
            "completed_stages": list(self.completed),
            "plan": dict(self.plan),
            "plan_given": self.plan_given,
            "drafts": list(self.drafts),
            "styled": list(self.styled),
            "coherence": self.coherence,
            "review": self.review,
            "summaries": list(self.summaries),
            "ledger": {
                "facts": dict(self.ledger.get("facts") or {}),
                "dead": list(self.ledger.get("dead") or []),
            },
            "segment_notes": [dict(n) for n in self.segment_notes],
            "model_calls": [c.to_dict() for c in ledger.calls],
        }

    @classmethod
    def from_checkpoint(cls, data: Any, brief: Brief, engine: str) -> tuple[RunState, Ledger]:
        if not isinstance(data, dict) or data.get("version") != CHECKPOINT_VERSION:
            raise PipelineError("The checkpoint is not one this engine wrote (missing or unknown version).")
        stored = data.get("brief")
        if isinstance(stored, dict):  # a checkpoint from before the polish choice: the default applies
            stored = {"polish": DEFAULT_POLISH, **stored}
        if stored != brief.to_dict():
            raise PipelineError("The checkpoint belongs to a different brief; start a new run instead.")
        if data.get("engine") != engine:
            raise PipelineError(
                f"The checkpoint was made by the {data.get('engine')} engine, not {engine}; "
                "resume with the same engine."
            )
        try:
            calls = [ModelCall.from_dict(c) for c in data.get("model_calls", [])]
            state = cls(
                brief=data["brief"],
                engine=engine,
                completed=list(data["completed_stages"]),
                plan=dict(data.get("plan") or {}),
                plan_given=bool(data.get("plan_given")),
                drafts=[str(t) for t in data.get("drafts", [])],
                styled=[str(t) for t in data.get("styled", [])],
                coherence=data.get("coherence"),
                review=data.get("review"),
                summaries=[str(t) for t in data.get("summaries") or []],
                ledger=dict(data.get("ledger") or {}),
                segment_notes=[dict(n) for n in data.get("segment_notes") or []],
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise PipelineError(f"The checkpoint is damaged ({exc}).") from None
        return state, Ledger(calls)
