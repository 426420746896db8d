"""Why a job stopped: a short code stored with the job, and the words a writer sees for it.

The code is stored in ``generation_job_runtime.failure_cause`` (a side table:
the seed's ``generation_jobs`` columns stay as they are) by whoever ends the
job — the worker, the reaper, the restore command, the cost ceiling — and the
job page shows ``cause_words(code)``. Messages are never parsed to find the
cause. This module is core (below billing and jobs) so every layer that ends a
job can name its reason.
"""

from __future__ import annotations

from enum import StrEnum


class Cause(StrEnum):
    DATABASE_UNAVAILABLE = "database_unavailable"
    WORKER_LOST = "worker_lost"
    MODEL_UNREACHABLE = "model_unreachable"  # no answer: timeouts, refused connections, the call deadline
    MODEL_ERROR = "model_error"  # the endpoint answered with errors (5xx, 429 for too long, bad output)
    MODEL_AUTH = "model_auth"
    MODEL_HOST_REFUSED = "model_host_refused"  # a writer's connection points at a refused address
    QUEUE_LOST = "queue_lost"
    COST_CEILING = "cost_ceiling"  # the job's cost cap or the month's cost limit
    CANCELLED = "cancelled"
    STOPPED_BY_OPERATOR = "stopped_by_operator"
    SUPERSEDED = "superseded"  # another attempt or the recovery process took the job over
    RESTORED = "restored"  # the database was restored from a backup taken while the job ran
    INTERNAL_ERROR = "internal_error"


WORDS: dict[str, str] = {
    Cause.DATABASE_UNAVAILABLE: "database unavailable",
    Cause.WORKER_LOST: "worker lost",
    Cause.MODEL_UNREACHABLE: "model unreachable",
    Cause.MODEL_ERROR: "model errors",
    Cause.MODEL_AUTH: "model key refused",
    Cause.MODEL_HOST_REFUSED: "model address refused",
    Cause.QUEUE_LOST: "queue lost",
    Cause.COST_CEILING: "cost ceiling",
    Cause.CANCELLED: "cancelled by you",
    Cause.STOPPED_BY_OPERATOR: "stopped by an operator",
    Cause.SUPERSEDED: "taken over by another attempt",
    Cause.RESTORED: "database restored from a backup",
    Cause.INTERNAL_ERROR: "internal error",
}

# The pipeline's BackendError causes (jobs.pipeline.backends) mapped to ours.
_BACKEND: dict[str, Cause] = {
    "timeout": Cause.MODEL_UNREACHABLE,
    "unreachable": Cause.MODEL_UNREACHABLE,
    "deadline": Cause.MODEL_UNREACHABLE,
    "auth": Cause.MODEL_AUTH,
    "unsafe_host": Cause.MODEL_HOST_REFUSED,
}


def cause_words(code: str | None) -> str | None:
    """What the job page says for a stored code (None for none or an unknown one)."""
    return WORDS.get(code) if code else None


def cause_for_backend(backend_cause: str | None) -> Cause:
    return _BACKEND.get(backend_cause or "", Cause.MODEL_ERROR)
