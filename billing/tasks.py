"""RQ entry points for billing's schedule (registered in ``billing.cron``, run by ``manage.py rqcron``).

Both tasks are idempotent, so a duplicate run (two cron processes, a retry)
changes nothing, and the hourly housekeeping doubles as a catch-up: if the
cron process was down at 00:00 UTC on the 1st, the month is reset within the
hour after it comes back.
"""

from __future__ import annotations

import logging

from django.db import close_old_connections

from accounts.services import users_expire_subscriptions
from billing.services import usage_reset_monthly

log = logging.getLogger(__name__)


def reset_monthly_usage_task() -> dict:

    close_old_connections()
    try:
        result = usage_reset_monthly()
    finally:
        close_old_connections()
    if result.performed:
        log.info("Monthly usage reset for %s: %d users.", result.month, result.users)
    return {"month": result.month.isoformat(), "performed": result.performed, "users": result.users}


def expire_subscriptions_task() -> dict:

    close_old_connections()
    try:
        expired = users_expire_subscriptions()
    finally:
        close_old_connections()
    return {"expired": [user.email for user in expired]}


def billing_housekeeping_task() -> dict:
    """Hourly: end subscriptions whose time has come, and make sure this month has been reset."""
    return {**expire_subscriptions_task(), **reset_monthly_usage_task()}
