"""The RQ worker class NarraForge runs: RQ's Worker plus what makes a lost job visible at once.

* A work horse that dies (SIGKILL, the OOM killer, a crash) is seen by the
  worker's main process within milliseconds (RQ's monitor loop); its job is
  ended there and then — failed, resumable, cause "worker lost" — rather than
  when the reaper finds its heartbeat stale.
* The orphan reaper runs on a thread of the main process
  (``jobs.reaper_loop``; the cron process runs the same loop).
* No query log, whatever DEBUG says (``jobs.reaper_loop.without_query_log``).

Use it with ``manage.py rqworker high default --with-scheduler --worker-class
jobs.worker.NarraForgeWorker`` or ``RQ = {"WORKER_CLASS": "jobs.worker.NarraForgeWorker"}``.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal

from django.db import close_old_connections, connection
from rq import Worker

import jobs.tasks  # noqa: F401 (the worker's main process imports the task: every work horse starts warm)
from jobs.completion import job_finish_unfinished
from jobs.db_retry import with_db_retry
from jobs.reaper_loop import start_reaper_thread, without_query_log
from narraforge.causes import Cause
from narraforge.logging import job_context

log = logging.getLogger(__name__)


def preload() -> None:
    """Import the model SDK once in the worker, so every forked work horse starts warm.

    The task's own modules are imported with this one (``jobs.tasks`` above). The
    SDK takes seconds to import and is only needed with the openai backend.
    """
    with contextlib.suppress(ImportError):
        import openai  # noqa: F401


class NarraForgeWorker(Worker):
    def work(self, *args, **kwargs):
        without_query_log()  # before any fork: work horses inherit it
        preload()
        stop = start_reaper_thread(self.connection, self.name)
        try:
            return super().work(*args, **kwargs)
        finally:
            stop.set()

    def perform_job(self, job, queue):
        # RQ's own lines about the job (in the work horse) carry its ids too.
        job_id = _generation_job_id(job)
        with job_context(job_id=job_id) if job_id else contextlib.nullcontext():
            return super().perform_job(job, queue)

    def handle_work_horse_killed(self, job, retpid, ret_val, rusage):
        """The work horse died (SIGKILL, OOM, segfault): end its job now, not when the reaper looks."""
        super().handle_work_horse_killed(job, retpid, ret_val, rusage)
        job_id = _generation_job_id(job)
        if not job_id:
            return
        signum = os.WTERMSIG(ret_val) if ret_val and os.WIFSIGNALED(ret_val) else None
        how = f"was killed by signal {signum} ({_signal_name(signum)})" if signum else f"exited ({ret_val})"
        reason = (
            f"The worker process running this job {how}"
            + (" — usually the machine ran out of memory or an operator stopped it" if signum == 9 else "")
            + ". Finished work is kept: resume the job to continue without paying for it again."
        )
        try:
            close_old_connections()
            ended = with_db_retry(
                lambda: job_finish_unfinished(
                    job_id=job_id, rq_job_id=job.id, reason=reason, cause=Cause.WORKER_LOST
                ),
                what=f"ending of job {job_id} after its work horse died",
            )
            if ended is not None:
                log.warning("Job %s: work horse %s %s; marked %s.", job_id, retpid, how, ended.status)
        except Exception:  # the reaper ends it later; the worker must go on
            log.exception("Could not end job %s after its work horse died", job_id)
        finally:
            connection.close()


def _generation_job_id(job) -> str | None:
    return job.args[0] if job.func_name == "jobs.tasks.run_generation_job" and job.args else None


def _signal_name(signum: int) -> str:
    try:
        return signal.Signals(signum).name
    except ValueError:
        return "unknown signal"
