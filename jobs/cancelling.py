"""How a running attempt learns that it must stop: read from the row before every step.

The heartbeat thread polls the cancel request every few seconds, which let an
offline saga run three more stages after a cancel. ``CancelProbe`` is the
pipeline's ``should_cancel``: it reads ``cancel_requested_at`` and whether the
row is still this attempt's, at most every ``min_interval`` seconds (0 in
production: one indexed primary-key read per model call or offline step,
which is noise next to the step itself), so a cancel committed before a step
starts stops it.
"""

from __future__ import annotations

import logging
import time

from django.db import DatabaseError, connection

log = logging.getLogger(__name__)


class CancelProbe:
    def __init__(self, job_id: str, rq_job_id: str, *, heartbeat, tracker, min_interval: float = 0.0) -> None:
        self.job_id = job_id
        self.rq_job_id = rq_job_id
        self.heartbeat = heartbeat
        self.tracker = tracker
        self.min_interval = min_interval
        self._last = 0.0
        self.reads = 0

    def __call__(self) -> bool:
        if self.heartbeat.should_cancel():
            return True
        now = time.monotonic()
        if now - self._last < self.min_interval:
            return False
        self._last = now
        try:
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT r.cancel_requested_at IS NOT NULL,"
                    " j.status = 'running' AND j.celery_task_id = %s"
                    " FROM generation_job_runtime r JOIN generation_jobs j ON j.id = r.job_id"
                    " WHERE r.job_id = %s",
                    [self.rq_job_id, self.job_id],
                )
                row = cursor.fetchone()
        except DatabaseError:
            # The database is away: the spend records wait for it anyway; the heartbeat re-reads later.
            return False
        self.reads += 1
        if row is None or not row[1]:
            self.tracker.fenced = True
            self.heartbeat.cancel_requested.set()
            return True
        if row[0]:
            self.heartbeat.cancel_requested.set()
            return True
        return False
