"""The RQ worker class NarraForge runs: RQ's Worker plus an orphan reaper thread.

RQ's scheduler (``--with-scheduler``) holds a lock that outlives a SIGKILLed
worker by a minute and is retried only every two minutes, so a reaper that
only rides on scheduled jobs could miss the "within a minute" promise exactly
when a worker host dies. Every NarraForge worker therefore runs the reaper on
a daemon thread of its main process every NF_REAPER_INTERVAL_SECONDS; a Redis
key (SET NX EX) lets only one worker per interval do it, and when Redis is
down each worker reaps anyway (the endings are conditional and idempotent).

Use it with ``manage.py rqworker high default --with-scheduler --worker-class
jobs.worker.NarraForgeWorker`` or ``RQ = {"WORKER_CLASS": "jobs.worker.NarraForgeWorker"}``.
"""

from __future__ import annotations

import contextlib
import logging
import threading

from django.db import close_old_connections, connection
from redis.exceptions import RedisError
from rq import Worker

import jobs.tasks  # noqa: F401 (the worker's main process imports the task: every work horse starts warm)
from jobs import conf
from jobs.queues import ensure_reaper_scheduled
from jobs.reaper import reap_orphans
from narraforge.logging import job_context

log = logging.getLogger(__name__)

REAPER_LOCK = "nf:reaper:lock"


def preload() -> None:
    """Import the model SDK once in the worker, so every forked work horse starts warm.

    The task's own modules are imported with this one (``jobs.tasks`` above). The
    SDK takes seconds to import and is only needed with the openai backend.
    """
    with contextlib.suppress(ImportError):
        import openai  # noqa: F401


class NarraForgeWorker(Worker):
    def work(self, *args, **kwargs):
        preload()
        stop = threading.Event()
        thread = threading.Thread(target=self._reap_loop, args=(stop,), name="nf-reaper", daemon=True)
        thread.start()
        try:
            return super().work(*args, **kwargs)
        finally:
            stop.set()

    def perform_job(self, job, queue):
        # RQ's own lines about the job (in the work horse) carry its ids too.
        job_id = job.args[0] if job.func_name == "jobs.tasks.run_generation_job" and job.args else None
        with job_context(job_id=job_id) if job_id else contextlib.nullcontext():
            return super().perform_job(job, queue)

    def _reap_loop(self, stop: threading.Event) -> None:
        while not stop.wait(conf.tunable("NF_REAPER_INTERVAL_SECONDS")):
            try:
                interval = conf.tunable("NF_REAPER_INTERVAL_SECONDS")
                try:
                    mine = self.connection.set(REAPER_LOCK, self.name, nx=True, px=int(interval * 900))
                except RedisError:
                    mine = True
                if mine:
                    close_old_connections()
                    reap_orphans()
                    ensure_reaper_scheduled()
            except Exception:
                log.exception("Reaper thread failed; retrying next interval")
            finally:
                connection.close()
