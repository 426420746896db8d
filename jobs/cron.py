"""The cron scheduler process: ``python manage.py rqcron jobs.cron`` (one per deployment).

It enqueues billing's schedule (``billing.cron``: monthly reset, subscription
expiry) like before, and — because enqueued work needs a live worker — runs
the orphan reaper itself on a thread of this process (``jobs.reaper_loop``),
so jobs of a cluster whose every worker died still end within a minute.
"""

import os
import socket

import billing.cron  # noqa: F401  (registers billing's cron jobs with RQ)
from jobs.queues import connection
from jobs.reaper_loop import start_reaper_thread, without_query_log

without_query_log()
_stop = start_reaper_thread(connection(), f"cron:{socket.gethostname()}:{os.getpid()}")
