"""The heartbeat thread of a running attempt.

``Heartbeat`` is a daemon thread with its own database connection. Every few
seconds it touches ``generation_job_runtime.heartbeat_at`` (the reaper's
liveness signal), flushes pending progress, reads the cancellation request,
runs the orphan reaper now and then (so busy workers still reap), and — if a
cancel is not honoured within the grace period (a long model call) — asks RQ
to stop the work horse.
"""

from __future__ import annotations

import logging
import threading
import time

from django.db import close_old_connections, connection
from django.utils import timezone

from jobs import conf
from jobs.liveness import mark_alive
from jobs.progress import ProgressTracker
from jobs.queues import stop_rq_job
from jobs.reaper import reap_orphans

log = logging.getLogger(__name__)


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
        mark_alive(tracker.rq_job_id)  # first, in Redis: proof of life while PostgreSQL is away
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
            reap_orphans(check_queue=False)

    def _escalate(self) -> None:
        """The pipeline did not stop in time (a long model call): have RQ kill this work horse."""
        self._stop_sent = True
        self.tracker.write(force=True)
        log.warning("Job %s ignored its cancel for too long; stopping the work horse.", self.tracker.job_id)
        stop_rq_job(self.tracker.rq_job_id)
