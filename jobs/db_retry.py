"""Reconnect-and-retry for the worker's writes across a short database outage."""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable

from django.db import InterfaceError, OperationalError, connection

from jobs import conf

log = logging.getLogger(__name__)


def with_db_retry[T](fn: Callable[[], T], *, seconds: float | None = None, what: str = "database write") -> T:
    """Run ``fn()``; if the database connection is lost, reconnect and run it again, for a while.

    For idempotent statements and whole transactions only (never inside an
    atomic block): a PostgreSQL restart or failover of a few seconds then
    costs a running job nothing. After NF_DB_RETRY_SECONDS the error is raised.
    """
    window = conf.tunable("NF_DB_RETRY_SECONDS") if seconds is None else seconds
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
