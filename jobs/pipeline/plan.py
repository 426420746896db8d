"""Typed outputs of the planning stages (01–05) and the plan that holds them.

The plan is the contract between planning and drafting: a writer may edit it
during plan review and a revision reuses it, so ``Plan.from_dict`` checks both
its shape (JSON schema) and its meaning (segments only name known characters
and locations).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from . import schema
from .errors import PipelineError

PLAN_VERSION = 1


@dataclass(frozen=True)
class Interpretation:
    title: str
    logline: str
    premise: str
    themes: list[str]
    tone: str
    style_notes: str

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Interpretation:
        return cls(d["title"], d["logline"], d["premise"], list(d["themes"]), d["tone"], d["style_notes"])


@dataclass(frozen=True)
class Location:
    name: str
    description: str


@dataclass(frozen=True)
class WorldBible:
    name: str
    laws: list[str]
    boundaries: list[str]
    locations: list[Location]
    core_conflict: str
    theme: str

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> WorldBible:
        return cls(
            d["name"],
            list(d["laws"]),
            list(d["boundaries"]),
            [Location(loc["name"], loc["description"]) for loc in d["locations"]],
            d["core_conflict"],
            d["theme"],
        )


@dataclass(frozen=True)
class Character:
    name: str
    gender: str  # f, m or x — Polish past tense agrees with it
    role: str
    goal: str
    arc: str
    contradictions: list[str]
    voice: str

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Character:
        return cls(
            d["name"],
            d.get("gender", "x"),
            d["role"],
            d["goal"],
            d["arc"],
            list(d["contradictions"]),
            d["voice"],
        )


@dataclass(frozen=True)
class Beat:
    name: str
    description: str


@dataclass(frozen=True)
class Act:
    number: int
    name: str
    purpose: str
    proportion: float
    beats: list[Beat]


@dataclass(frozen=True)
class StructureDesign:
    structure: str
    acts: list[Act]
    pacing: list[float]  # tension 0..1 at evenly spaced points through the story

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> StructureDesign:
        acts = [
            Act(
                a["number"],
                a["name"],
                a["purpose"],
                float(a["proportion"]),
                [Beat(b["name"], b["description"]) for b in a["beats"]],
            )
            for a in d["acts"]
        ]
        return cls(d["structure"], acts, [float(p) for p in d["pacing"]])


@dataclass(frozen=True)
class SegmentPlan:
    index: int  # 1-based
    act: int
    title: str
    summary: str
    key_events: list[str]
    characters: list[str]
    location: str
    target_words: int

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> SegmentPlan:
        return cls(
            d["index"],
            d["act"],
            d["title"],
            d["summary"],
            list(d["key_events"]),
            list(d["characters"]),
            d["location"],
            int(d["target_words"]),
        )


@dataclass(frozen=True)
class Plan:
    interpretation: Interpretation
    world: WorldBible
    characters: list[Character]
    structure: StructureDesign
    segments: list[SegmentPlan]

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": PLAN_VERSION,
            "interpretation": asdict(self.interpretation),
            "world": asdict(self.world),
            "characters": [asdict(c) for c in self.characters],
            "structure": asdict(self.structure),
            "segments": [asdict(s) for s in self.segments],
        }

    @property
    def target_words(self) -> int:
        return sum(s.target_words for s in self.segments)

    def character(self, name: str) -> Character | None:
        return next((c for c in self.characters if c.name == name), None)

    def location(self, name: str) -> Location | None:
        return next((loc for loc in self.world.locations if loc.name == name), None)

    @classmethod
    def from_dict(cls, data: Any) -> Plan:
        """Build a plan from a dict, raising PipelineError naming every problem."""
        if not isinstance(data, dict):
            raise PipelineError(f"The plan must be an object, not {type(data).__name__}.")
        problems = schema.validate(data, schema.PLAN, "plan")
        if problems:
            shown = "; ".join(problems[:5]) + (
                f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""
            )
            raise PipelineError(f"The plan is malformed: {shown}.")
        plan = cls(
            Interpretation.from_dict(data["interpretation"]),
            WorldBible.from_dict(data["world"]),
            [Character.from_dict(c) for c in data["characters"]],
            StructureDesign.from_dict(data["structure"]),
            [SegmentPlan.from_dict(s) for s in data["segments"]],
        )
        plan.check_references()
        return plan

    def check_references(self) -> None:
        names = {c.name for c in self.characters}
        places = {loc.name for loc in self.world.locations}
        acts = {a.number for a in self.structure.acts}
        for i, seg in enumerate(self.segments, start=1):
            if seg.index != i:
                raise PipelineError(f"The plan is malformed: segment {i} has index {seg.index}.")
            for name in seg.characters:
                if name not in names:
                    raise PipelineError(
                        f"The plan is malformed: segment {i} names character {name!r}, "
                        "who is not in the cast."
                    )
            if seg.location not in places:
                raise PipelineError(
                    f"The plan is malformed: segment {i} is set in {seg.location!r}, "
                    "which is not a world location."
                )
            if seg.act not in acts:
                raise PipelineError(f"The plan is malformed: segment {i} belongs to unknown act {seg.act}.")
