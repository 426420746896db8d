"""NarraForge generation engine: ten stages from a brief to a narrative.

Framework-free on purpose (no Django imports): the RQ task, the ``forge``
management command and the tests all call ``run_pipeline`` directly.
"""

from .backends import Backend, Completion, Task, default_backend_name, get_backend
from .brief import GENRES, LANGUAGES, POVS, PRODUCTION_TYPES, STRUCTURES, TENSES, TONES, Brief, BriefError
from .config import EngineConfig
from .engine import Callbacks
from .errors import BackendError, BudgetExceeded, PipelineCancelled, PipelineError
from .plan import Plan
from .pricing import estimate_cost
from .runner import PipelineResult, run_pipeline
from .scoped import Scope, run_scoped
from .stages import STAGES, Stage
from .text import Chapter, chapters_from_text, count_words
from .usage import ModelCall

__all__ = [
    "Backend",
    "Brief",
    "BriefError",
    "BackendError",
    "BudgetExceeded",
    "Callbacks",
    "Chapter",
    "Completion",
    "EngineConfig",
    "GENRES",
    "LANGUAGES",
    "ModelCall",
    "POVS",
    "PRODUCTION_TYPES",
    "PipelineCancelled",
    "PipelineError",
    "PipelineResult",
    "Plan",
    "STAGES",
    "STRUCTURES",
    "Scope",
    "Stage",
    "TENSES",
    "TONES",
    "Task",
    "chapters_from_text",
    "count_words",
    "default_backend_name",
    "estimate_cost",
    "get_backend",
    "run_pipeline",
    "run_scoped",
]
