"""What a database restore undoes, and the guard around it (used by ``manage.py restore_db``).

A restore with workers connected once brought three completed jobs back to
running/queued, lost their narratives and usage logs, and let the reaper end
the revived jobs from the backup's checkpoints with wrong messages. So:

* ``restore_survey`` says, before anything is changed, which workers are
  connected, which jobs are queued or running, and which jobs and narratives
  changed or appeared after the dump was taken (they will be lost);
* ``restore_stop_workers`` (``--yes``) kills the work horses and shuts the
  workers down (by command, and by signal on this host), and waits until none
  is left, with a grace that restarts whenever one stops;
* ``restore_settle`` ends, right after the restore, every job the dump holds
  as running — failed, resumable, cause "restored", billed once from the
  dump's own spend records — so no reaper bills them later with a "worker
  lost" story, and a resume pays only for new work.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime

from django.conf import settings
from django.utils import timezone
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


def restore_stop_workers(*, grace: float | None = None, nudge_after: float = 5.0) -> list[str]:
    """Kill every work horse, shut every worker down, wait until Redis lists none. Returns their names.

    It waits on what the workers actually do, not on a fixed sleep: the shutdown
    command goes out every round (a worker still starting up is not listening to
    its channel yet); a worker on this host that is still there ``nudge_after``
    seconds later gets SIGTERM from here (RQ's warm shutdown, which needs no
    channel), and a second one (cold shutdown) if it is still there after twice
    that; a worker whose process is gone is forgotten. Only workers on other
    hosts depend on the command alone. The wait gives up ``grace`` seconds
    (``NF_RESTORE_WORKER_GRACE_SECONDS``, default 120) after the last worker
    stopped — a loaded machine that stops them one by one is not cut off — and
    the error then names each worker left, its process and what it is doing.
    """
    if grace is None:
        grace = float(getattr(settings, "NF_RESTORE_WORKER_GRACE_SECONDS", 120))
    conn = queues.connection()
    stopped: list[str] = []
    signalled: dict[str, int] = {}  # worker name -> SIGTERMs sent from here
    started = progress = time.monotonic()
    left_before: set[str] | None = None
    while workers := [w for w in _workers() if not _forget_if_dead(w)]:
        now = time.monotonic()
        names = {w.name for w in workers}
        if left_before is not None and names < left_before:
            progress = now  # one stopped: the grace starts again for the rest
        left_before = names
        if now - progress > grace:
            raise TimeoutError(
                f"workers still connected {grace:g} s after the last change: "
                + "; ".join(_describe(w) for w in workers)
                + ". Stop them by hand (kill -TERM the process on its host, or stop the worker service), "
                "or allow longer with NF_RESTORE_WORKER_GRACE_SECONDS"
            )
        for worker in workers:
            if worker.name not in stopped:
                stopped.append(worker.name)
            if worker.get_current_job_id():
                send_kill_horse_command(conn, worker.name)
            send_shutdown_command(conn, worker.name)
            sent = signalled.get(worker.name, 0)
            if sent < 2 and now - started >= nudge_after * (sent + 1) and _signal_local(worker):
                signalled[worker.name] = sent + 1
        time.sleep(0.5)
    return stopped


def _signal_local(worker: Worker) -> bool:
    """SIGTERM to a worker process on this host (the first is a warm shutdown, the second cold)."""
    if worker.hostname != socket.gethostname() or not worker.pid:
        return False
    try:
        os.kill(worker.pid, signal.SIGTERM)
    except (ProcessLookupError, PermissionError):
        return False
    log.warning(
        "Worker %s (pid %s) had not stopped on its shutdown command: sent SIGTERM.", worker.name, worker.pid
    )
    return True


def _describe(worker: Worker) -> str:
    job = worker.get_current_job_id()
    state = worker.get_state()
    doing = f"busy with {job}" if job else (str(state) if state and state != "?" else "state unknown")
    beat = worker.last_heartbeat
    if beat is not None and beat.tzinfo is None:
        beat = beat.replace(tzinfo=UTC)  # RQ stores UTC
    seen = f", last heartbeat {max((timezone.now() - beat).total_seconds(), 0):.0f} s ago" if beat else ""
    return f"{worker.name} (pid {worker.pid} on {worker.hostname}, {doing}{seen})"


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
