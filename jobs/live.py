"""The passage being written, for the job page: ephemeral, throttled, in Redis.

While a job drafts, the pipeline reports the passage so far many times a
second (streamed tokens) or once per passage (the offline engine).
``LiveProse`` keeps the latest in memory and writes the newest
``LIVE_CHARS`` characters to Redis at most once per
``NF_LIVE_PROSE_SECONDS``, plus whenever a checkpoint is saved. The key
expires on its own; the job row stays the source of truth for everything
else, and a Redis failure never touches the job. The attempt id is stored
with the text so a page never shows an older attempt's prose.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from typing import Any

from jobs import conf
from jobs.queues import connection

log = logging.getLogger(__name__)

LIVE_CHARS = 1600
LIVE_TTL_SECONDS = 15 * 60
PROSE_STAGES = ("sequential_generation", "coherence_validation", "language_stylization")


def live_key(job_id: str) -> str:
    return f"nf:live-prose:{job_id}"


def _redis():
    return connection()  # the queue module owns the per-process Redis client


class LiveProse:
    def __init__(self, job_id: str, attempt: str, *, interval: float | None = None) -> None:
        self.job_id = job_id
        self.attempt = attempt
        self.interval = conf.tunable("NF_LIVE_PROSE_SECONDS") if interval is None else interval
        self._pending: dict[str, Any] | None = None
        self._last = 0.0
        self._lock = threading.Lock()
        self.writes = 0

    def offer(self, stage_key: str, segment: int | None, text: str) -> None:
        if stage_key not in PROSE_STAGES:
            return
        tail = text[-LIVE_CHARS:]
        if len(text) > LIVE_CHARS:
            space = tail.find(" ")
            tail = "…" + (tail[space + 1 :] if 0 <= space < 40 else tail)
        with self._lock:
            self._pending = {
                "attempt": self.attempt,
                "stage": stage_key,
                "segment": segment,
                "text": tail,
                "words": len(text.split()),
                "at": time.time(),
            }
            due = time.monotonic() - self._last >= self.interval
        if due:
            self.flush()

    def flush(self) -> None:
        with self._lock:
            pending, self._pending = self._pending, None
            if pending is None:
                return
            self._last = time.monotonic()
        try:
            _redis().set(live_key(self.job_id), json.dumps(pending, ensure_ascii=False), ex=LIVE_TTL_SECONDS)
            self.writes += 1
        except Exception:  # the live view is a nicety; a Redis blip must not disturb the job
            log.debug("live prose of job %s not written", self.job_id, exc_info=True)

    def clear(self) -> None:
        try:
            _redis().delete(live_key(self.job_id))
        except Exception:  # see flush()
            log.debug("live prose of job %s not cleared", self.job_id, exc_info=True)


def live_prose_read(job_id: str, attempt: str | None) -> dict[str, Any] | None:
    """The latest passage of attempt ``attempt`` of the job, or None."""
    try:
        raw = _redis().get(live_key(job_id))
    except Exception:  # see LiveProse.flush()
        return None
    if not raw:
        return None
    try:
        data = json.loads(raw)
    except ValueError:
        return None
    if not isinstance(data, dict) or data.get("attempt") != attempt:
        return None
    return data
