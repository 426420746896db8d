"""RQ entry points: thin adapters over jobs.attempt and jobs.reaper."""

from __future__ import annotations

import logging

from django.db import close_old_connections

from jobs import queues
from jobs.attempt import run_job
from jobs.completion import job_finish_unfinished
from jobs.reaper import reap_orphans
from narraforge.causes import Cause
from narraforge.logging import job_context

log = logging.getLogger(__name__)


def run_generation_job(job_id: str, rq_job_id: str | None = None) -> str:

    close_old_connections()
    try:
        with job_context(job_id=job_id):  # every log line of the job carries its id (and user id)
            return run_job(job_id, rq_job_id)
    finally:
        close_old_connections()


def reap_orphans_task() -> dict:
    """Scheduled every NF_REAPER_INTERVAL_SECONDS; schedules its own next run first."""

    try:
        queues.connection().delete(queues.REAPER_KEY)
        queues.ensure_reaper_scheduled()
    except Exception:  # scheduling the next run must not stop this one
        log.exception("Could not reschedule the reaper")
    report = reap_orphans()
    return {"orphaned": report.orphaned, "lost_in_queue": report.lost_in_queue, "requeued": report.requeued}


def on_generation_stopped(job, connection, *args, **kwargs) -> None:
    """RQ's stopped callback (worker main process): the work horse was killed by a stop-job command."""

    job_id = job.args[0] if job.args else None
    if not job_id:
        return
    close_old_connections()
    job_finish_unfinished(
        job_id=job_id,
        rq_job_id=job.id,
        reason="The job was stopped by an operator; finished work is kept and it can be resumed.",
        cause=Cause.STOPPED_BY_OPERATOR,
    )
