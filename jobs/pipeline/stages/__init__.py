"""The ten stages, one module per group of stages; the table of stages is ``jobs.pipeline.stage_registry``."""

from ..stage_registry import PLANNING_KEYS, STAGE_BY_KEY, STAGES, Stage, stage

__all__ = ["STAGES", "STAGE_BY_KEY", "PLANNING_KEYS", "Stage", "stage"]
