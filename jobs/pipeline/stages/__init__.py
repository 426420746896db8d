"""The ten stages: registry plus one module per group of stages."""

from .registry import PLANNING_KEYS, STAGE_BY_KEY, STAGES, Stage, stage

__all__ = ["STAGES", "STAGE_BY_KEY", "PLANNING_KEYS", "Stage", "stage"]
