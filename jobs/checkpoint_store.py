"""Pipeline checkpoints: stored in ``generation_job_runtime``, one row per job.

A checkpoint is the engine's own dict (finished stages, the plan, finished
segments, the model calls so far). Writes are one UPDATE of one row; the
document is serialised once. ``CheckpointSaver`` decides *when* to write: at
once whenever money was spent since the last stored checkpoint (so a killed
worker never loses paid work), otherwise at most once a second (the offline
engine redoes a second of free work rather than slowing every run down).
"""

from __future__ import annotations

import json
import time
from typing import Any

from django.db import connection
from django.utils import timezone

from jobs.db_retry import with_db_retry
from jobs.models import JobRuntime
from jobs.pipeline.usage import Ledger, ModelCall, Usage


def checkpoint_save(job_id: str, checkpoint: dict[str, Any], *, stage: str = "") -> None:
    blob = json.dumps(checkpoint, ensure_ascii=False, separators=(",", ":"))

    def _save() -> None:
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE generation_job_runtime SET checkpoint = %s::json, checkpoint_stage = %s, "
                "checkpoint_saved_at = %s WHERE job_id = %s",
                [blob, stage[:100], timezone.now(), job_id],
            )

    with_db_retry(_save, what=f"checkpoint of job {job_id}")


def checkpoint_load(job_id: str) -> dict[str, Any] | None:
    return JobRuntime.objects.filter(pk=job_id).values_list("checkpoint", flat=True).first()


def checkpoint_exists(job_id: str) -> bool:
    return JobRuntime.objects.filter(pk=job_id, checkpoint__isnull=False).exists()


def checkpoint_usage(checkpoint: dict[str, Any] | None) -> Usage:
    """The spend a checkpoint carries (its model calls), per tier."""
    if not checkpoint:
        return Usage()
    if isinstance(checkpoint.get("usage_by_tier"), dict):
        return Usage.from_dict(checkpoint["usage_by_tier"])
    calls = checkpoint.get("calls") or checkpoint.get("model_calls") or []
    return Ledger([c if isinstance(c, ModelCall) else ModelCall.from_dict(c) for c in calls]).usage()


def checkpoint_stage_of(checkpoint: dict[str, Any]) -> str:
    """A short description of how far a checkpoint got, for the admin and logs."""
    stages = checkpoint.get("completed_stages") or []
    last = stages[-1] if stages else "start"
    drafts, styled = len(checkpoint.get("drafts") or []), len(checkpoint.get("styled") or [])
    extra = f"; {drafts} drafted, {styled} stylised" if drafts or styled else ""
    return f"{last}{extra}"[:100]


class CheckpointSaver:
    """Stores checkpoints of one run, eagerly when money is at stake."""

    def __init__(self, job_id: str, *, min_interval: float = 1.0) -> None:
        self.job_id = job_id
        self.min_interval = min_interval
        self._last_write = time.monotonic()
        self._saved_cost = 0.0
        self.pending: dict[str, Any] | None = None
        self.spent_usd = 0.0  # updated by the runner from model calls

    def offer(self, checkpoint: dict[str, Any]) -> None:
        now = time.monotonic()
        paid = self.spent_usd > self._saved_cost + 1e-12
        if paid or now - self._last_write >= self.min_interval:
            self._write(checkpoint, now)
        else:
            self.pending = checkpoint

    def flush(self, checkpoint: dict[str, Any] | None = None) -> None:
        latest = checkpoint or self.pending
        if latest is not None:
            self._write(latest, time.monotonic())

    def _write(self, checkpoint: dict[str, Any], now: float) -> None:
        self.pending = checkpoint  # if the write fails, the run's ending stores it
        checkpoint_save(self.job_id, checkpoint, stage=checkpoint_stage_of(checkpoint))
        self._last_write = now
        self._saved_cost = self.spent_usd
        self.pending = None
