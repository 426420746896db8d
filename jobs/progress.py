"""Live progress of a running job: throttled writes and the heartbeat.

The pipeline calls back many times a second (the offline engine) or once a
minute (a real LLM). ``ProgressTracker`` keeps the latest state in memory and
writes it at most once per interval per job — and always the last state, at
the end or from the heartbeat thread when the pipeline has gone quiet.

Every write is conditional on the row still being this attempt's: status
``running`` and ``celery_task_id`` equal to our RQ job id. When that no
longer holds (the reaper failed the job, a resume started another attempt)
the tracker is *fenced*: it stops writing and asks the pipeline to stop.

``Heartbeat`` is a daemon thread with its own database connection. Every few
seconds it touches ``generation_job_runtime.heartbeat_at`` (the reaper's
liveness signal), flushes pending progress, reads the cancellation request,
runs the orphan reaper now and then, and — if a cancel is not honoured within
the grace period (a long model call) — asks RQ to stop the work horse.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from typing import Any

from django.db import InterfaceError, OperationalError, close_old_connections, connection
from django.utils import timezone

from jobs import conf
from jobs.models import GenerationJob, JobRuntime, JobStatus
from jobs.pipeline.config import TIERS

log = logging.getLogger(__name__)


def _empty_usage() -> dict[str, dict[str, Any]]:
    return {t: {"prompt_tokens": 0, "completion_tokens": 0, "tokens": 0, "cost_usd": 0.0} for t in TIERS}


def usage_add(a: dict[str, Any], b: dict[str, Any]) -> dict[str, dict[str, Any]]:
    out = _empty_usage()
    for src in (a or {}, b or {}):
        for tier, entry in src.items():
            if not isinstance(entry, dict):
                continue
            bucket = out.setdefault(
                tier, {"prompt_tokens": 0, "completion_tokens": 0, "tokens": 0, "cost_usd": 0.0}
            )
            for key in ("prompt_tokens", "completion_tokens", "tokens"):
                bucket[key] += int(entry.get(key, 0) or 0)
            bucket["cost_usd"] = round(bucket["cost_usd"] + float(entry.get("cost_usd", 0.0) or 0.0), 9)
    return out


def usage_sub_clamped(a: dict[str, Any], b: dict[str, Any]) -> dict[str, dict[str, Any]]:
    out = _empty_usage()
    for tier in out:
        ea, eb = (a or {}).get(tier) or {}, (b or {}).get(tier) or {}
        for key in ("prompt_tokens", "completion_tokens", "tokens"):
            out[tier][key] = max(int(ea.get(key, 0) or 0) - int(eb.get(key, 0) or 0), 0)
        out[tier]["cost_usd"] = max(
            round(float(ea.get("cost_usd", 0.0)) - float(eb.get("cost_usd", 0.0)), 9), 0.0
        )
    return out


def with_db_retry(fn, *, seconds: float | None = None, what: str = "database write"):
    """Run ``fn()``; if the database connection is lost, reconnect and run it again until it works.

    For idempotent or fenced statements and whole transactions only (never
    inside an atomic block). There is no fixed window by default: an attempt's
    writes are conditional on the row still being this attempt's, so waiting
    out an outage of any length is safe, and giving up would lose paid work
    (a 60 s outage once did). The RQ job timeout still bounds a run.
    ``seconds`` bounds the wait for callers that must not block (the heartbeat).
    """
    window = float("inf") if seconds is None else seconds
    deadline = time.monotonic() + window
    delay = 0.1
    while True:
        try:
            return fn()
        except (OperationalError, InterfaceError) as exc:
            if connection.in_atomic_block or time.monotonic() + delay > deadline:
                raise
            log.warning("%s: database connection lost (%s); retrying in %.1fs", what, exc, delay)
            with contextlib.suppress(Exception):  # a broken connection may fail to close; it is dropped
                connection.close()
            time.sleep(delay)
            delay = min(delay * 2, 1.0)


def usage_totals(usage: dict[str, Any]) -> tuple[int, float]:
    tokens = sum(int((e or {}).get("tokens", 0) or 0) for e in usage.values() if isinstance(e, dict))
    cost = sum(float((e or {}).get("cost_usd", 0.0) or 0.0) for e in usage.values() if isinstance(e, dict))
    return tokens, round(cost, 9)


class ProgressTracker:
    """In-memory progress of one attempt, written at most once per interval."""

    def __init__(
        self,
        job_id: str,
        rq_job_id: str,
        *,
        base_usage: dict[str, Any] | None = None,
        completed_stages: list[str] | None = None,
        interval: float | None = None,
    ) -> None:
        self.job_id = job_id
        self.rq_job_id = rq_job_id
        self.interval = conf.tunable("NF_PROGRESS_INTERVAL_SECONDS") if interval is None else interval
        self.base_usage = base_usage or _empty_usage()  # spend of earlier attempts not in the checkpoint
        self.run_usage = _empty_usage()  # the pipeline ledger's view (checkpoint calls included)
        self.current_stage: str | None = None
        self.completed_stages: list[str] = list(completed_stages or [])
        self.fraction = 0.0
        self.detail = ""
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

    def set_run_usage(self, usage: dict[str, Any]) -> None:
        with self._lock:
            self.run_usage = usage
            self._dirty = True

    def model_call(self, tier: str, prompt_tokens: int, completion_tokens: int, cost_usd: float) -> None:
        with self._lock:
            bucket = self.run_usage.setdefault(
                tier, {"prompt_tokens": 0, "completion_tokens": 0, "tokens": 0, "cost_usd": 0.0}
            )
            bucket["prompt_tokens"] += prompt_tokens
            bucket["completion_tokens"] += completion_tokens
            bucket["tokens"] += prompt_tokens + completion_tokens
            bucket["cost_usd"] = round(bucket["cost_usd"] + cost_usd, 9)
            self._dirty = True
        self.maybe_write()

    # --- reads ----------------------------------------------------------------
    def total_usage(self) -> dict[str, dict[str, Any]]:
        with self._lock:
            return usage_add(self.base_usage, self.run_usage)

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
            usage = usage_add(self.base_usage, self.run_usage)
            state = {
                "current_stage": self.current_stage,
                "completed_stages": list(self.completed_stages),
                "progress_percentage": round(self.fraction * 100.0, 2),
            }
            self._dirty = False
            self._last_write = time.monotonic()
        tokens, cost = usage_totals(usage)
        started = time.perf_counter()

        def _write() -> int:
            updated = GenerationJob.objects.filter(
                pk=self.job_id, status=JobStatus.RUNNING, rq_job_id=self.rq_job_id
            ).update(tokens_used=tokens, actual_cost_usd=cost, **state)
            if updated:
                JobRuntime.objects.filter(pk=self.job_id).update(usage=usage, heartbeat_at=timezone.now())
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


class Heartbeat(threading.Thread):
    """Touches the heartbeat, flushes progress, polls for cancel, escalates a stuck cancel."""

    def __init__(self, tracker: ProgressTracker, *, interval: float | None = None) -> None:
        super().__init__(name=f"nf-heartbeat-{tracker.job_id[:8]}", daemon=True)
        self.tracker = tracker
        self.interval = conf.tunable("NF_HEARTBEAT_SECONDS") if interval is None else interval
        self.cancel_requested = threading.Event()
        self._stop_event = threading.Event()
        self._cancel_seen_at: float | None = None
        self._stop_sent = False
        self._last_reap = time.monotonic()

    def stop(self) -> None:
        self._stop_event.set()
        if self.is_alive():
            self.join(timeout=5)

    def should_cancel(self) -> bool:
        return self.cancel_requested.is_set() or self.tracker.fenced

    def run(self) -> None:
        try:
            while not self._stop_event.wait(self.interval):
                try:
                    self.beat()
                except Exception:  # a database blip must not kill the heartbeat
                    log.exception("Heartbeat of job %s failed", self.tracker.job_id)
                    close_old_connections()
        finally:
            connection.close()

    def beat(self) -> None:
        tracker = self.tracker
        mark_alive(
            tracker.rq_job_id
        )  # first, and in Redis: the reaper's proof of life while PostgreSQL is away
        if tracker._dirty:
            tracker.write(retry_seconds=0)
        if tracker.fenced:
            self.cancel_requested.set()
            return
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE generation_job_runtime r SET heartbeat_at = %s FROM generation_jobs j "
                "WHERE r.job_id = %s AND j.id = r.job_id AND j.status = 'running' AND j.celery_task_id = %s "
                "RETURNING r.cancel_requested_at",
                [timezone.now(), tracker.job_id, tracker.rq_job_id],
            )
            row = cursor.fetchone()
        if row is None:
            tracker.fenced = True
            self.cancel_requested.set()
            return
        cancel_at = row[0]
        if cancel_at is not None:
            self.cancel_requested.set()
            if self._cancel_seen_at is None:
                self._cancel_seen_at = time.monotonic()
            elif not self._stop_sent and time.monotonic() - self._cancel_seen_at > conf.tunable(
                "NF_CANCEL_GRACE_SECONDS"
            ):
                self._escalate()
        if time.monotonic() - self._last_reap >= conf.tunable("NF_REAPER_INTERVAL_SECONDS"):
            self._last_reap = time.monotonic()
            from jobs.reaper import reap_orphans

            reap_orphans(check_queue=False)

    def _escalate(self) -> None:
        """The pipeline did not stop in time (a long model call): have RQ kill this work horse."""
        from jobs.queues import stop_rq_job

        self._stop_sent = True
        self.tracker.write(force=True)
        log.warning("Job %s ignored its cancel for too long; stopping the work horse.", self.tracker.job_id)
        stop_rq_job(self.tracker.rq_job_id)


ALIVE_KEY = "nf:alive:{}"


def mark_alive(rq_job_id: str) -> None:
    """A short-lived Redis key per running attempt, renewed by every beat (no database needed)."""
    from jobs.queues import connection as redis_connection  # queues imports the task graph

    with contextlib.suppress(Exception):  # Redis away: the database heartbeat still counts
        redis_connection().set(
            ALIVE_KEY.format(rq_job_id), "1", ex=max(int(conf.tunable("NF_ORPHAN_AFTER_SECONDS")), 1)
        )


def attempt_alive(rq_job_id: str | None) -> bool:
    """True when the attempt beat in Redis within the orphan window; False when not or unknown."""
    from redis.exceptions import RedisError

    from jobs.queues import connection as redis_connection  # see mark_alive

    if not rq_job_id:
        return False
    try:
        return bool(redis_connection().exists(ALIVE_KEY.format(rq_job_id)))
    except RedisError:
        return False


def touch_heartbeat(job_id: str) -> None:
    JobRuntime.objects.filter(pk=job_id).update(heartbeat_at=timezone.now())
