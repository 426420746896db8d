"""Between a model call's attempts: say so on the job page, and stop at the call's deadline.

With a 120 s timeout and 6 attempts a hung endpoint once kept a job
"running" for about 12.5 minutes per call, with nothing on the page.
``ModelWait.sleep`` is the HTTP backend's wait between attempts (its
``sleep`` option): it writes "Waiting for the model, retry 3 of 6" to the
job's runtime row (fenced: only while the row is this attempt's), and
refuses to wait past NF_LLM_CALL_DEADLINE_SECONDS from the call's start —
the call then fails with cause ``deadline`` (the job page says "model
unreachable"). An attempt already under way still ends by its own timeout,
so a call lasts at most the deadline plus one attempt.
"""

from __future__ import annotations

import logging
import time

from django.db import DatabaseError, connection

from jobs.pipeline.errors import BackendError

log = logging.getLogger(__name__)


class ModelWait:
    def __init__(self, job_id: str, rq_job_id: str, *, attempts: int, deadline_seconds: float) -> None:
        self.job_id = job_id
        self.rq_job_id = rq_job_id
        self.attempts = max(1, attempts)
        self.deadline_seconds = deadline_seconds
        self.started = time.monotonic()
        self.retries = 0
        self._noticed = False

    def call_started(self, *_args) -> None:
        self.started = time.monotonic()
        self.retries = 0

    def call_ended(self) -> None:
        if self._noticed:
            self._note("")

    def sleep(self, seconds: float) -> None:
        self.retries += 1
        elapsed = time.monotonic() - self.started
        if elapsed + seconds > self.deadline_seconds:
            raise BackendError(
                f"The model endpoint gave no usable answer within the call's {self.deadline_seconds:g} s "
                f"deadline ({self.retries} attempt(s) in {elapsed:.0f} s).",
                cause="deadline",
            )
        self._note(f"Waiting for the model, retry {self.retries + 1} of {self.attempts}")
        time.sleep(seconds)

    def _note(self, text: str) -> None:
        try:
            with connection.cursor() as cursor:
                cursor.execute(
                    "UPDATE generation_job_runtime r SET notice = %s FROM generation_jobs j"
                    " WHERE r.job_id = %s AND j.id = r.job_id"
                    " AND j.status = 'running' AND j.celery_task_id = %s",
                    [text[:200], self.job_id, self.rq_job_id],
                )
            self._noticed = bool(text)
        except DatabaseError:  # a notice is a courtesy; the spend records are what must not fail
            log.warning("Job %s: could not write its notice %r", self.job_id, text)
