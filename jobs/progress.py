"""Live progress of a running job: throttled, fenced writes.

The pipeline calls back many times a second (the offline engine) or once a
minute (a real LLM). ``ProgressTracker`` keeps the latest state in memory and
writes it at most once per interval per job — and always the last state, at
the end or from the heartbeat thread (``jobs.heartbeat``) when the pipeline
has gone quiet.

Every write is conditional on the row still being this attempt's: status
``running`` and ``celery_task_id`` equal to our RQ job id. When that no
longer holds (the reaper failed the job, a resume started another attempt)
the tracker is *fenced*: it stops writing and asks the pipeline to stop.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from django.db import InterfaceError, OperationalError
from django.utils import timezone

from jobs import conf
from jobs.db_retry import with_db_retry
from jobs.models import GenerationJob, JobRuntime, JobStatus
from jobs.pipeline.usage import TierUsage, Usage

log = logging.getLogger(__name__)


class ProgressTracker:
    """In-memory progress of one attempt, written at most once per interval."""

    def __init__(
        self,
        job_id: str,
        rq_job_id: str,
        *,
        base_usage: Usage | None = None,
        completed_stages: list[str] | None = None,
        interval: float | None = None,
    ) -> None:
        self.job_id = job_id
        self.rq_job_id = rq_job_id
        self.interval = conf.tunable("NF_PROGRESS_INTERVAL_SECONDS") if interval is None else interval
        self.base_usage = base_usage or Usage()  # spend of earlier attempts not in the checkpoint
        self.run_usage = Usage()  # the pipeline ledger's view (checkpoint calls included)
        self.current_stage: str | None = None
        self.completed_stages: list[str] = list(completed_stages or [])
        self.fraction = 0.0
        self.detail = ""
        self.position: dict[str, Any] | None = None
        self.fenced = False
        self._dirty = False
        self._last_write = time.monotonic()  # the claim just wrote the row
        self._lock = threading.Lock()
        self.writes = 0
        self.write_seconds = 0.0

    # --- state changes (pipeline thread) --------------------------------------
    def stage_start(self, key: str) -> None:
        with self._lock:
            self.current_stage = key
            self._dirty = True
        self.maybe_write()

    def stage_end(self, key: str) -> None:
        with self._lock:
            if key not in self.completed_stages:
                self.completed_stages.append(key)
            self._dirty = True
        self.maybe_write()

    def progress(self, fraction: float, detail: str = "") -> None:
        with self._lock:
            self.fraction = max(self.fraction, min(max(float(fraction), 0.0), 1.0))
            self.detail = detail
            self._dirty = True
        self.maybe_write()

    def set_position(self, position: dict[str, Any]) -> None:
        with self._lock:
            self.position = dict(position)
            self._dirty = True
        self.maybe_write()

    def set_run_usage(self, usage: Usage) -> None:
        with self._lock:
            self.run_usage = usage
            self._dirty = True

    def model_call(self, tier: str, prompt_tokens: int, completion_tokens: int, cost_usd: float) -> None:
        with self._lock:
            self.run_usage += Usage({tier: TierUsage(prompt_tokens, completion_tokens, cost_usd)})
            self._dirty = True
        self.maybe_write()

    # --- reads ----------------------------------------------------------------
    def total_usage(self) -> Usage:
        with self._lock:
            return self.base_usage + self.run_usage

    # --- writes -----------------------------------------------------------------
    def maybe_write(self) -> None:
        if self._dirty and time.monotonic() - self._last_write >= self.interval:
            self.write()

    def write(self, *, force: bool = False, retry_seconds: float | None = None) -> bool:
        """Write the current state if it changed; False when the row is no longer ours.

        The pipeline thread waits out a database outage (``retry_seconds`` None); the heartbeat
        thread passes 0 so it keeps beating (in Redis) while the database is away.
        """
        if self.fenced:
            return False
        with self._lock:
            if not self._dirty and not force:
                return True
            usage = self.base_usage + self.run_usage
            state = {
                "current_stage": self.current_stage,
                "completed_stages": list(self.completed_stages),
                "progress_percentage": round(self.fraction * 100.0, 2),
            }
            position = self.position
            self._dirty = False
            self._last_write = time.monotonic()
        runtime: dict[str, Any] = {"usage": usage.to_dict()}
        if position is not None:
            runtime["position"] = position
        started = time.perf_counter()

        def _write() -> int:
            updated = GenerationJob.objects.filter(
                pk=self.job_id, status=JobStatus.RUNNING, rq_job_id=self.rq_job_id
            ).update(tokens_used=usage.tokens, actual_cost_usd=usage.cost_usd, **state)
            if updated:
                JobRuntime.objects.filter(pk=self.job_id).update(heartbeat_at=timezone.now(), **runtime)
            return updated

        try:
            updated = with_db_retry(_write, seconds=retry_seconds, what=f"progress of job {self.job_id}")
        except (OperationalError, InterfaceError):
            with self._lock:
                self._dirty = True  # written by the next try
            raise
        self.writes += 1
        self.write_seconds += time.perf_counter() - started
        if not updated:
            log.warning("Job %s is no longer this attempt's (%s); stopping.", self.job_id, self.rq_job_id)
            self.fenced = True
            return False
        return True
