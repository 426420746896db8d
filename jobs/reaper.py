"""Orphans: jobs whose worker died or whose queue entry vanished.

* A ``running`` job whose heartbeat (``generation_job_runtime.heartbeat_at``,
  touched every few seconds by the task) is older than NF_ORPHAN_AFTER_SECONDS
  ends ``failed`` with ``can_resume`` (or ``cancelled`` if a cancel was asked),
  billed from what the database holds.
* A ``queued`` job older than NF_QUEUED_GRACE_SECONDS whose RQ job is no
  longer in Redis (flushed, restarted empty, enqueue failed) ends ``failed``
  with ``can_resume`` — resuming enqueues it again.

It runs from RQ's scheduler every NF_REAPER_INTERVAL_SECONDS (a
self-rescheduling job, see ``jobs.queues.ensure_reaper_scheduled``), from the
heartbeat thread of every running job (so busy workers still reap), and from
``manage.py recover_jobs``. Every ending is a conditional, row-locked update,
so concurrent reapers and a late worker never end a job twice.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from redis.exceptions import RedisError

from billing.models import UsageLog
from jobs import conf, queues
from jobs.completion import job_fail, job_finish_unfinished
from jobs.liveness import attempt_alive
from jobs.models import GenerationJob, JobRuntime, JobStatus
from narraforge.causes import Cause

log = logging.getLogger(__name__)

WORKER_LOST = (
    "The worker running this job stopped unexpectedly (it was killed, ran out of memory or lost its "
    "host). Finished work is kept: resume the job to continue without paying for it again."
)
QUEUE_LOST = (
    "This job was lost from the queue (the queue server restarted) after earlier work had been paid for. "
    "Resume it to continue from its checkpoint; finished work is not paid for again."
)


@dataclass
class ReapReport:
    orphaned: list[str] = field(default_factory=list)
    lost_in_queue: list[str] = field(default_factory=list)
    requeued: list[str] = field(default_factory=list)
    queue_unreachable: bool = False

    def __bool__(self) -> bool:
        return bool(self.orphaned or self.lost_in_queue or self.requeued)


def stale_running_jobs(stale_after: float, now=None):
    cutoff = (now or timezone.now()) - timedelta(seconds=stale_after)
    return GenerationJob.objects.filter(status=JobStatus.RUNNING).filter(
        Q(runtime__heartbeat_at__lt=cutoff)
        | Q(runtime__heartbeat_at__isnull=True, started_at__lt=cutoff)
        | Q(runtime__isnull=True, updated_at__lt=cutoff)
    )


def reap_orphans(
    *, stale_after: float | None = None, queued_grace: float | None = None, check_queue: bool = True
) -> ReapReport:
    stale_after = conf.tunable("NF_ORPHAN_AFTER_SECONDS") if stale_after is None else stale_after
    queued_grace = conf.tunable("NF_QUEUED_GRACE_SECONDS") if queued_grace is None else queued_grace
    report = ReapReport()
    for job_id, rq_id in stale_running_jobs(stale_after).values_list("pk", "rq_job_id"):
        # Re-checked under the row lock inside job_fail: status and attempt must still match.
        if attempt_alive(rq_id):
            # Its heartbeat thread still beats in Redis: the database was away, not the worker.
            continue
        if stale_running_jobs(stale_after).filter(pk=job_id).exists():
            ended = job_finish_unfinished(job_id=job_id, rq_job_id=rq_id, reason=WORKER_LOST)
            if ended is not None:
                log.warning(
                    "Job %s: worker lost (no heartbeat for %ss); marked %s.",
                    job_id,
                    stale_after,
                    ended.status,
                )
                report.orphaned.append(job_id)
    if check_queue:
        cutoff = timezone.now() - timedelta(seconds=queued_grace)
        waiting = GenerationJob.objects.filter(status=JobStatus.QUEUED, updated_at__lt=cutoff)
        try:
            for job_id, rq_id in waiting.values_list("pk", "rq_job_id"):
                if queues.rq_job_status(rq_id) in queues.ALIVE_RQ_STATUSES:
                    continue
                if requeue_lost(job_id, rq_id):
                    log.warning("Job %s: its RQ job %s was gone from Redis; queued it again.", job_id, rq_id)
                    report.requeued.append(job_id)
                    continue
                ended = _fail_queued(job_id, rq_id)
                if ended:
                    log.warning("Job %s: its RQ job %s is gone from Redis; marked failed.", job_id, rq_id)
                    report.lost_in_queue.append(job_id)
        except RedisError as exc:
            log.warning("Reaper could not reach Redis to check queued jobs: %s", exc)
            report.queue_unreachable = True
    return report


def requeue_lost(job_id: str, rq_id: str | None) -> bool:
    """Enqueue a lost queued job again under the same attempt id, if nothing of it ran or was paid.

    The attempt id fences duplicates: should the old entry reappear, only one claim can succeed.
    A job with a checkpoint or spend is left to ``_fail_queued`` (resumable, as before).
    """
    if not rq_id:
        return False
    with transaction.atomic():
        job = GenerationJob.objects.select_for_update().filter(pk=job_id, status=JobStatus.QUEUED).first()
        if job is None or job.rq_job_id != rq_id:
            return False
        runtime = JobRuntime.objects.filter(pk=job_id).first()
        spent = (job.actual_cost_usd or 0) > 0 or (job.tokens_used or 0) > 0
        if spent or (runtime is not None and runtime.checkpoint is not None):
            return False
        if UsageLog.objects.filter(job_id=job_id).exists():
            return False
        job.save(update_fields=["updated_at"])  # the grace period starts again
        user = job.user
        queues.enqueue_on_commit(job, queue_name=queues.queue_name_for(user))
    return True


def _fail_queued(job_id: str, rq_id: str | None) -> bool:
    ended = job_fail(
        job_id=job_id,
        rq_job_id=rq_id,
        message=QUEUE_LOST,
        usage=None,
        resumable=True,
        from_status=JobStatus.QUEUED,
        cause=Cause.QUEUE_LOST,
    )
    return ended is not None
