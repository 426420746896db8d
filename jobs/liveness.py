"""Proof of life of a running attempt that needs no database: a short-lived Redis key.

The heartbeat thread renews ``nf:alive:<attempt>`` on every beat before it
touches PostgreSQL. When PostgreSQL was away for a minute, every database
heartbeat is stale the moment it returns; the reaper then asks Redis, and an
attempt that kept beating there is left alone (its worker is holding its
writes, not dead). If Redis is unreachable the database heartbeat decides.
"""

from __future__ import annotations

import contextlib

from redis.exceptions import RedisError

from jobs import conf
from jobs.queues import connection as redis_connection

ALIVE_KEY = "nf:alive:{}"


def mark_alive(rq_job_id: str) -> None:
    ttl = max(int(conf.tunable("NF_ORPHAN_AFTER_SECONDS")), 1)
    with contextlib.suppress(RedisError):  # Redis away: the database heartbeat still counts
        redis_connection().set(ALIVE_KEY.format(rq_job_id), "1", ex=ttl)


def attempt_alive(rq_job_id: str | None) -> bool:
    """True when the attempt beat in Redis within the orphan window; False when not, or unknown."""
    if not rq_job_id:
        return False
    try:
        return bool(redis_connection().exists(ALIVE_KEY.format(rq_job_id)))
    except RedisError:
        return False
