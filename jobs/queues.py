"""The RQ side of jobs: which queue, our own RQ job ids, enqueue on commit, stop, reaper schedule.

The ``generation_jobs`` row is the source of truth; Redis only carries work.
Every attempt of a job gets its own RQ job id (``nf-<job id>-<attempt>``),
chosen by us and stored in ``celery_task_id`` before the enqueue, because
django-rq defers an enqueue made inside a transaction and then returns no job.
"""

from __future__ import annotations

import logging
import time
from datetime import timedelta

import django_rq
from django.db import transaction
from redis.exceptions import RedisError
from rq.command import send_stop_job_command
from rq.exceptions import InvalidJobOperation, NoSuchJobError
from rq.job import Callback, Job
from rq.job import JobStatus as RQStatus

from accounts.tiers import tier_for
from jobs import conf

log = logging.getLogger(__name__)

TASK = "jobs.tasks.run_generation_job"
REAPER_TASK = "jobs.tasks.reap_orphans_task"
REAPER_KEY = "nf:reaper:next"
ALIVE_RQ_STATUSES = {RQStatus.QUEUED, RQStatus.STARTED, RQStatus.SCHEDULED, RQStatus.DEFERRED}


def queue_name_for(user) -> str:
    return tier_for(user.subscription_tier or "free").queue


def rq_job_id_for(job) -> str:
    return f"nf-{job.id}-{job.retry_count or 0}"


def get_queue(name: str):
    # Our own on_commit hook decides when to enqueue; the queue must not defer again.
    return django_rq.get_queue(name, commit_mode="auto")


_connections: dict[str, object] = {}


def connection():
    """One Redis client (and pool) per URL for this process; django-rq builds a new one per call."""
    from django.conf import settings

    url = settings.RQ_QUEUES["default"].get("URL", "")
    conn = _connections.get(url)
    if conn is None:
        conn = _connections[url] = django_rq.get_connection("default")
    return conn


def enqueue_on_commit(job, *, queue_name: str) -> None:
    """Enqueue the job's current attempt once the surrounding transaction commits."""
    job_id, rq_id = job.id, job.rq_job_id
    timeout = conf.job_timeout((job.production_brief or {}).get("production_type", ""))
    transaction.on_commit(lambda: _enqueue(job_id, rq_id, queue_name, timeout))


def _enqueue(job_id: str, rq_id: str, queue_name: str, timeout: int) -> None:
    try:
        get_queue(queue_name).enqueue_call(
            TASK,
            args=(job_id,),
            kwargs={"rq_job_id": rq_id},
            job_id=rq_id,
            timeout=timeout,
            result_ttl=3600,
            failure_ttl=7 * 24 * 3600,
            on_stopped=Callback("jobs.tasks.on_generation_stopped"),
            description=f"generation job {job_id}",
        )
    except RedisError as exc:
        # The row stays queued; the reaper fails it (resumable) once the grace period is over.
        log.error("Could not enqueue job %s (%s): %s", job_id, rq_id, exc)
        return
    ensure_reaper_scheduled()


def rq_job_status(rq_id: str | None) -> str | None:
    """The RQ status of an attempt, or None when Redis has no such job. Raises RedisError if unreachable."""
    if not rq_id:
        return None
    try:
        return Job.fetch(rq_id, connection=connection()).get_status(refresh=False)
    except NoSuchJobError:
        return None


def remove_from_queue(rq_id: str | None) -> None:
    if not rq_id:
        return
    try:
        Job.fetch(rq_id, connection=connection()).cancel()
    except (NoSuchJobError, InvalidJobOperation):
        pass
    except RedisError as exc:
        log.warning("Could not remove RQ job %s from its queue: %s", rq_id, exc)


def stop_rq_job(rq_id: str | None) -> bool:
    """Ask the worker running this attempt to kill its work horse (RQ's stop-job command)."""
    if not rq_id:
        return False
    try:
        send_stop_job_command(connection(), rq_id)
        return True
    except (NoSuchJobError, InvalidJobOperation):
        return False
    except RedisError as exc:
        log.warning("Could not send stop-job for %s: %s", rq_id, exc)
        return False


def ensure_reaper_scheduled(*, delay: float | None = None) -> bool:
    """Keep one self-rescheduling reaper in RQ's scheduler (run by `rqworker --with-scheduler`).

    A key with a TTL marks the scheduled link of the chain; whoever sets it
    schedules the next run. If Redis is flushed the key goes too, and the next
    enqueue, worker heartbeat or reaper run starts a new chain.
    """
    interval = conf.tunable("NF_REAPER_INTERVAL_SECONDS")
    delay = interval if delay is None else delay
    try:
        conn = connection()
        rq_id = f"nf-reaper-{int(time.time() * 1000)}"
        if not conn.set(REAPER_KEY, rq_id, nx=True, ex=max(int(interval * 3), 10)):
            return False
        get_queue("high").enqueue_in(
            timedelta(seconds=delay),
            REAPER_TASK,
            job_id=rq_id,
            job_timeout=120,
            result_ttl=0,
            failure_ttl=24 * 3600,
            description="orphan reaper",
        )
        return True
    except RedisError as exc:
        log.warning("Could not schedule the orphan reaper: %s", exc)
        return False
