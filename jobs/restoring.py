"""What a database restore undoes, and the guard around it (used by ``manage.py restore_db``).

A restore with workers connected once brought three completed jobs back to
running/queued, lost their narratives and usage logs, and let the reaper end
the revived jobs from the backup's checkpoints with wrong messages. So:

* ``restore_survey`` says, before anything is changed, which workers are
  connected, which jobs are queued or running, and which jobs and narratives
  changed or appeared after the dump was taken (they will be lost);
* ``restore_stop_workers`` (``--yes``) kills the work horses and shuts the
  workers down, and waits until none is left;
* ``restore_settle`` ends, right after the restore, every job the dump holds
  as running — failed, resumable, cause "restored", billed once from the
  dump's own spend records — so no reaper bills them later with a "worker
  lost" story, and a resume pays only for new work.
"""

from __future__ import annotations

import logging
import os
import socket
import time
from dataclasses import dataclass, field
from datetime import datetime

from rq import Worker
from rq.command import send_kill_horse_command, send_shutdown_command

from jobs import queues
from jobs.completion import job_finish_unfinished
from jobs.models import ACTIVE_STATUSES, GenerationJob, JobStatus
from narraforge.causes import Cause
from narratives.models import Narrative

log = logging.getLogger(__name__)


@dataclass
class RestoreSurvey:
    taken_at: datetime | None
    workers: list[str] = field(default_factory=list)
    active_jobs: list[tuple[str, str]] = field(default_factory=list)  # (id, status)
    newer_jobs: list[tuple[str, str]] = field(default_factory=list)  # changed after the dump
    newer_narratives: list[tuple[str, str]] = field(default_factory=list)  # (id, title), created after

    @property
    def busy(self) -> bool:
        return bool(self.workers or self.active_jobs)


def _workers() -> list[Worker]:
    return list(Worker.all(connection=queues.connection()))


def restore_survey(taken_at: datetime | None) -> RestoreSurvey:
    survey = RestoreSurvey(taken_at=taken_at)
    survey.workers = [w.name for w in _workers()]
    survey.active_jobs = list(
        GenerationJob.objects.filter(status__in=ACTIVE_STATUSES).values_list("pk", "status")
    )
    if taken_at is not None:
        survey.newer_jobs = list(
            GenerationJob.objects.filter(updated_at__gt=taken_at)
            .order_by("updated_at")
            .values_list("pk", "status")
        )
        survey.newer_narratives = list(
            Narrative.objects.filter(created_at__gt=taken_at)
            .order_by("created_at")
            .values_list("pk", "title")
        )
    return survey


def restore_stop_workers(*, timeout: float = 60.0) -> list[str]:
    """Kill every work horse, shut every worker down, wait until Redis lists none. Returns their names."""
    conn = queues.connection()
    stopped: list[str] = []
    deadline = time.monotonic() + timeout
    while workers := [w for w in _workers() if not _forget_if_dead(w)]:
        if time.monotonic() > deadline:
            left = ", ".join(w.name for w in workers)
            raise TimeoutError(f"workers still connected after {timeout:g} s: {left}")
        # Sent again every round: a worker still starting up is not yet listening to its channel.
        for worker in workers:
            if worker.name not in stopped:
                stopped.append(worker.name)
            if worker.get_current_job_id():
                send_kill_horse_command(conn, worker.name)
            send_shutdown_command(conn, worker.name)
        time.sleep(1.0)
    return stopped


def _forget_if_dead(worker: Worker) -> bool:
    """A worker on this host whose process is gone (killed before it could unregister): forget it."""
    if worker.hostname != socket.gethostname() or not worker.pid:
        return False
    try:
        os.kill(worker.pid, 0)
        return False
    except ProcessLookupError:
        worker.register_death()
        return True
    except PermissionError:
        return False


def restore_settle(taken_at: datetime | None) -> list[str]:
    """End the jobs the restored database holds as running: their workers are gone with the old state."""
    when = f" taken at {taken_at:%Y-%m-%d %H:%M} UTC" if taken_at else ""
    reason = (
        f"The database was restored from a backup{when}, while this job was running. "
        "Work finished up to that backup is kept: resume the job to continue without paying for it again."
    )
    ended = []
    for job_id, rq_id in GenerationJob.objects.filter(status=JobStatus.RUNNING).values_list(
        "pk", "rq_job_id"
    ):
        job = job_finish_unfinished(
            job_id=job_id, rq_job_id=rq_id, reason=reason, cancelled=False, cause=Cause.RESTORED
        )
        if job is not None:
            ended.append(job_id)
            log.warning("Job %s was running in the restored backup; marked failed (resumable).", job_id)
    return ended
