"""The ten stages, their model tier and their share of the progress bar."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Stage:
    key: str
    number: int
    label: str
    tier: str  # "mini" or "gpt4"
    weight: float  # share of overall progress; drafting is most of the work


STAGES: tuple[Stage, ...] = (
    Stage("brief_interpretation", 1, "Brief interpretation", "mini", 0.01),
    Stage("world_architecture", 2, "World architecture", "mini", 0.01),
    Stage("character_architecture", 3, "Character architecture", "mini", 0.01),
    Stage("structure_design", 4, "Structure design", "mini", 0.01),
    Stage("segment_planning", 5, "Segment planning", "mini", 0.02),
    Stage("sequential_generation", 6, "Sequential generation", "gpt4", 0.70),
    Stage("coherence_validation", 7, "Coherence validation", "gpt4", 0.03),
    Stage("language_stylization", 8, "Language stylization", "gpt4", 0.18),
    Stage("editorial_review", 9, "Editorial review", "mini", 0.02),
    Stage("output_processing", 10, "Output processing", "mini", 0.01),
)
STAGE_BY_KEY: dict[str, Stage] = {s.key: s for s in STAGES}
PLANNING_KEYS: tuple[str, ...] = tuple(s.key for s in STAGES[:5])


def stage(key: str) -> Stage:
    return STAGE_BY_KEY[key]
