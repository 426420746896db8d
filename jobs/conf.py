"""Tunables of the job machinery, with defaults that suit production.

Each is read from Django settings when set there, else from the environment
(so test worker processes can shorten them), else the default below.
"""

from __future__ import annotations

import os

from django.conf import settings

_DEFAULTS: dict[str, float] = {
    # The running task touches its heartbeat this often (seconds).
    "NF_HEARTBEAT_SECONDS": 3.0,
    # A running job whose heartbeat is older than this is an orphan.
    "NF_ORPHAN_AFTER_SECONDS": 30.0,
    # The reaper runs this often (scheduled RQ job and every running task's heartbeat thread).
    "NF_REAPER_INTERVAL_SECONDS": 20.0,
    # A queued job whose RQ job is gone from Redis is failed after this long.
    "NF_QUEUED_GRACE_SECONDS": 30.0,
    # At most one progress write per job per this many seconds (the last one always goes out).
    "NF_PROGRESS_INTERVAL_SECONDS": 1.0,
    # A cancel request not honoured by the pipeline within this long kills the work horse.
    "NF_CANCEL_GRACE_SECONDS": 10.0,
    # The passage being written reaches the job page at most this often (Redis writes).
    "NF_LIVE_PROSE_SECONDS": 1.0,
}

# RQ job timeout per production type (seconds): long enough for a real LLM.
JOB_TIMEOUTS: dict[str, int] = {
    "short_story": 30 * 60,
    "novella": 2 * 3600,
    "novel": 6 * 3600,
    "epic_saga": 24 * 3600,
}


def tunable(name: str) -> float:
    value = getattr(settings, name, None)
    if value is None:
        raw = os.environ.get(name)
        value = float(raw) if raw else _DEFAULTS[name]
    return float(value)


def job_timeout(production_type: str) -> int:
    override = os.environ.get("NF_JOB_TIMEOUT_SECONDS")  # one timeout for every type (slow CPU models)
    if override:
        return int(float(override))
    return JOB_TIMEOUTS.get(production_type, JOB_TIMEOUTS["novel"])
