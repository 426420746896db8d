"""Reconnect-and-retry for the worker's writes across a short database outage."""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable

from django.db import InterfaceError, OperationalError, connection

log = logging.getLogger(__name__)


def with_db_retry[T](fn: Callable[[], T], *, seconds: float | None = None, what: str = "database write") -> T:
    """Run ``fn()``; if the database connection is lost, reconnect and run it again until it works.

    For idempotent or fenced statements and whole transactions only (never
    inside an atomic block). There is no fixed window by default: an attempt's
    writes are conditional on the row still being this attempt's, so waiting
    out an outage of any length is safe, while giving up lost paid work (a
    60 s outage once did, after 10 s of retries). The RQ job timeout still
    bounds a run. ``seconds`` bounds the wait for callers that must not block
    (the heartbeat thread).
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
