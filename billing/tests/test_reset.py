"""Monthly reset (idempotent, across month boundaries, frozen time) and subscription expiry."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.management import call_command

from accounts.services import user_set_tier, users_expire_subscriptions
from billing.models import MonthlyReset
from billing.services import usage_recompute, usage_reset_monthly
from billing.tests.helpers import complete, counters, end_after_spending, utc


def travel(when: dt.datetime):
    return time_machine.travel(when, tick=False)


def test_reset_runs_once_a_month_across_month_boundaries(owner, other_user, make_project, new_job):
    owner_project, other_project = make_project(owner), make_project(other_user, "Other")
    with travel(utc(2026, 10, 20, 9)):
        end_after_spending(new_job(owner, owner_project), 4.0)
        complete(new_job(owner, owner_project))
        end_after_spending(new_job(other_user, other_project), 1.5)
        assert counters(owner) == (2, 4.0)

    with travel(utc(2026, 11, 1, 0, 0, 0)):
        result = usage_reset_monthly()
        assert result.performed and result.month == dt.date(2026, 11, 1) and result.users >= 2
        assert counters(owner) == (0, 0.0) and counters(other_user) == (0, 0.0)

    with travel(utc(2026, 11, 1, 0, 20)):
        end_after_spending(new_job(owner, owner_project), 2.0)
        assert counters(owner) == (1, 2.0)

    with travel(utc(2026, 11, 1, 1, 5)):  # the hourly catch-up, same month: nothing happens
        again = usage_reset_monthly()
        assert not again.performed and again.reset_at == utc(2026, 11, 1)
        assert counters(owner) == (1, 2.0)

    with travel(utc(2026, 11, 30, 23, 59, 59)):
        assert not usage_reset_monthly().performed
        assert counters(owner) == (1, 2.0)

    with travel(utc(2026, 12, 1, 0, 0, 1)):
        assert usage_reset_monthly().performed
        assert counters(owner) == (0, 0.0)
        assert not usage_reset_monthly().performed
    assert list(MonthlyReset.objects.values_list("month", flat=True)) == [
        dt.date(2026, 12, 1),
        dt.date(2026, 11, 1),
    ]


def test_late_first_reset_keeps_what_this_month_already_billed(owner, project, new_job):
    """The cron was down at midnight: a job billed at 00:10 survives the catch-up reset at 03:05."""
    with travel(utc(2026, 10, 31, 22)):
        end_after_spending(new_job(owner, project), 6.0)
    with travel(utc(2026, 11, 1, 0, 10)):
        end_after_spending(new_job(owner, project), 1.25)
        assert counters(owner) == (2, 7.25)  # October's spend still on the counter: not reset yet
    with travel(utc(2026, 11, 1, 3, 5)):
        assert usage_reset_monthly().performed
        assert counters(owner) == (1, 1.25)
        assert usage_recompute() == []


def test_reset_frees_the_limits(owner, project, new_job):
    with travel(utc(2026, 10, 5)):
        for _ in range(5):
            complete(new_job(owner, project))
        from billing.services import LimitExceeded

        with pytest.raises(LimitExceeded):
            new_job(owner, project)
    with travel(utc(2026, 11, 1, 0, 0, 30)):
        usage_reset_monthly()
        new_job(owner, project)


@pytest.mark.django_db(transaction=True)  # the tasks call close_old_connections(), like in a worker
def test_reset_command_and_task_are_idempotent(owner):
    from io import StringIO

    from billing.tasks import billing_housekeeping_task, reset_monthly_usage_task

    with travel(utc(2027, 2, 1, 0, 0)):
        first = reset_monthly_usage_task()
        assert first["performed"] is True and first["month"] == "2027-02-01"
        out = StringIO()
        call_command("reset_monthly_usage", stdout=out)
        assert "already reset" in out.getvalue()
        assert billing_housekeeping_task()["performed"] is False
    with travel(utc(2027, 3, 1, 0, 0)):
        out = StringIO()
        call_command("reset_monthly_usage", stdout=out)
        assert "Reset 2027-03" in out.getvalue()
    assert MonthlyReset.objects.count() == 2


# ---------- subscription expiry ----------


def test_expiry_returns_to_free(owner, other_user):
    with travel(utc(2026, 11, 10)):
        user_set_tier(user=owner, tier="pro", until=dt.date(2026, 11, 30))
        user_set_tier(user=other_user, tier="enterprise", until=utc(2027, 1, 1))
        owner.refresh_from_db()
        assert owner.subscription_ends_at == utc(2026, 12, 1)  # through the 30th
    with travel(utc(2026, 11, 30, 23, 59)):
        assert users_expire_subscriptions() == []
    with travel(utc(2026, 12, 1, 0, 0)):
        expired = users_expire_subscriptions()
        assert [u.email for u in expired] == [owner.email]
        assert users_expire_subscriptions() == []  # idempotent
    owner.refresh_from_db()
    other_user.refresh_from_db()
    assert (owner.subscription_tier, owner.monthly_generation_limit, owner.monthly_cost_limit_usd) == (
        "free",
        5,
        10.0,
    )
    assert owner.subscription_ends_at is None
    assert other_user.subscription_tier == "enterprise" and other_user.monthly_generation_limit is None


@pytest.mark.django_db(transaction=True)
def test_expiry_task_runs_through_the_housekeeping(owner):
    from billing.tasks import billing_housekeeping_task

    with travel(utc(2026, 11, 10)):
        user_set_tier(user=owner, tier="pro", until=dt.date(2026, 11, 12))
    with travel(utc(2026, 11, 13, 0, 5)):
        assert billing_housekeeping_task()["expired"] == [owner.email]
    owner.refresh_from_db()
    assert owner.subscription_tier == "free"


def test_set_tier_refuses_bad_input_and_writes_nothing(owner):
    with travel(utc(2026, 11, 10)):
        for kwargs, message in [
            ({"tier": "platinum"}, "Unknown subscription tier"),
            ({"tier": "pro", "until": dt.date(2026, 11, 1)}, "in the past"),
            ({"tier": "free", "until": dt.date(2026, 12, 1)}, "free tier does not end"),
        ]:
            with pytest.raises(ValueError, match=message):
                user_set_tier(user=owner, **kwargs)
    owner.refresh_from_db()
    assert (owner.subscription_tier, owner.monthly_generation_limit, owner.subscription_ends_at) == (
        "free",
        5,
        None,
    )
