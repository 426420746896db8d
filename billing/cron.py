"""RQ cron schedule for billing: ``python manage.py rqcron billing.cron`` (one process per deployment).

RQ's cron scheduler is its own process (the worker's ``--with-scheduler`` only
runs jobs scheduled with ``enqueue_at``/``enqueue_in``); it enqueues these on
the ``high`` queue, where the ordinary workers run them. Times are UTC.
"""

from rq import cron

from billing.tasks import billing_housekeeping_task, reset_monthly_usage_task

# The monthly reset, at 00:00 UTC on the 1st.
cron.register(
    reset_monthly_usage_task, queue_name="high", cron="0 0 1 * *", job_timeout=600, result_ttl=86400
)
# Subscription expiry every hour (on the hour's 5th minute), with a catch-up of the monthly reset.
cron.register(
    billing_housekeeping_task, queue_name="high", cron="5 * * * *", job_timeout=600, result_ttl=3600
)
