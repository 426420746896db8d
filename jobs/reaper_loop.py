"""The reaper on a daemon thread: in every worker's main process and in the cron process.

RQ's scheduler holds a lock that outlives a SIGKILLed worker by a minute and
is retried only every two minutes, and with every worker gone nothing runs
scheduled jobs at all — so the reaper cannot only ride on RQ jobs. Every
NarraForge worker and the cron scheduler (``manage.py rqcron jobs.cron``)
run this loop every NF_REAPER_INTERVAL_SECONDS; a Redis key (SET NX PX)
lets one process per interval do it, and when Redis is down each process
reaps anyway (the endings are conditional and idempotent).
"""

from __future__ import annotations

import logging
import threading

from django.conf import settings
from django.db import close_old_connections, connection, connections
from redis.exceptions import RedisError

from jobs import conf
from jobs.queues import ensure_reaper_scheduled
from jobs.reaper import reap_orphans

log = logging.getLogger(__name__)

REAPER_LOCK = "nf:reaper:lock"


def reap_loop(stop: threading.Event, redis, name: str) -> None:
    while not stop.wait(conf.tunable("NF_REAPER_INTERVAL_SECONDS")):
        try:
            interval = conf.tunable("NF_REAPER_INTERVAL_SECONDS")
            try:
                mine = redis.set(REAPER_LOCK, name, nx=True, px=int(interval * 900))
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


def start_reaper_thread(redis, name: str) -> threading.Event:
    """Start the loop on a daemon thread; set the returned event to stop it."""
    stop = threading.Event()
    threading.Thread(target=reap_loop, args=(stop, redis, name), name="nf-reaper", daemon=True).start()
    return stop


def without_query_log() -> None:
    """Worker and cron processes never keep Django's query log, whatever DEBUG says.

    ``make run`` / ``make worker`` / ``manage.py dev`` set DEBUG=1 for the web
    server's sake; with it, every connection keeps each query in memory, and a
    saga's checkpoint and progress UPDATEs grew a work horse to 1.3 GB. Nothing
    else in a worker depends on DEBUG (logging's format is chosen at settings load).
    """
    settings.DEBUG = False
    for conn in connections.all(initialized_only=True):
        conn.queries_log.clear()
