"""Operator commands: clear errors on bad input (and nothing written), reports per user and project."""

from __future__ import annotations

import csv
import io
from io import StringIO

import pytest
import time_machine
from django.core.management import CommandError, call_command

from billing.tests.helpers import end_after_spending, utc


def run(*args) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def unchanged(user) -> tuple:
    user.refresh_from_db()
    return (
        user.subscription_tier,
        user.monthly_generation_limit,
        user.monthly_cost_limit_usd,
        user.subscription_ends_at,
    )


FREE = ("free", 5, 10.0, None)


def test_it_sets_a_tier_with_its_limits_and_end_date_from_the_command_line(owner):
    with time_machine.travel(utc(2026, 11, 24, 12), tick=False):
        out = run("set_tier", "OWNER@example.com", "pro", "--until", "2026-12-31")
    assert (
        "owner@example.com is now on Pro: 50 generations and $100.00 a month, ends 2027-01-01 00:00 UTC"
        in out
    )
    assert unchanged(owner) == ("pro", 50, 100.0, utc(2027, 1, 1))
    out = run("set_tier", "owner@example.com", "enterprise")
    assert "unlimited generations and unlimited a month, no end date" in out
    assert unchanged(owner) == ("enterprise", None, None, None)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nobody@example.com", "pro"], "No user with the email address 'nobody@example.com'"),
        (["owner@example.com", "gold"], "Unknown tier 'gold'; choose one of: free, pro, enterprise"),
        (["owner@example.com", "pro", "--until", "31/12/2026"], "--until '31/12/2026' is not a date"),
        (["owner@example.com", "pro", "--until", "2026-02-30"], "is not a date"),
        (["owner@example.com", "pro", "--until", "2020-01-01"], "is in the past"),
        (["owner@example.com", "free", "--until", "2030-01-01"], "free tier does not end"),
    ],
)
def test_set_tier_bad_input(owner, args, message):
    with pytest.raises(CommandError, match=message.replace("(", r"\(").replace(")", r"\)")):
        run("set_tier", *args)
    assert unchanged(owner) == FREE


def test_set_tier_missing_arguments(owner):
    with pytest.raises(CommandError, match="the following arguments are required: tier"):
        run("set_tier", "owner@example.com")
    assert unchanged(owner) == FREE


@pytest.fixture
def november_usage(owner, other_user, make_project, new_job):
    with time_machine.travel(utc(2026, 11, 3, 10), tick=False):
        a = make_project(owner, "=cmd|' /C calc'!A0")
        b = make_project(owner, "Quiet Harbour")
        end_after_spending(new_job(owner, a), 1.5)
        end_after_spending(new_job(owner, b), 0.25)
        end_after_spending(new_job(other_user, make_project(other_user, "Elsewhere")), 4.0)
    with time_machine.travel(utc(2026, 10, 30, 10), tick=False):
        end_after_spending(new_job(owner, b), 9.0)  # October: not in the November report


def test_it_prints_the_monthly_report_per_user_by_cost_then_per_project(november_usage):
    out = run("usage_report", "--month", "2026-11")
    assert "Usage for 2026-11 (UTC)" in out and "2 users, total $5.7500" in out
    per_user = out.split("Per project")[0]
    assert per_user.index("other@example.com") < per_user.index("owner@example.com")  # by cost
    assert "$1.7500" in per_user and "$4.0000" in per_user
    assert "Quiet Harbour" in out and "$0.2500" in out and "$9.0000" not in out


def test_usage_report_csv_is_neutralised(november_usage):
    rows = list(csv.reader(io.StringIO(run("usage_report", "--month", "2026-11", "--format", "csv"))))
    assert rows[0] == [
        "scope",
        "user",
        "project",
        "tier",
        "operations",
        "generations",
        "planning",
        "tokens",
        "cost_usd",
    ]
    users = {r[1]: r for r in rows if r[0] == "user"}
    assert users["owner@example.com"][5] == "2" and users["owner@example.com"][8] == "1.750000"
    projects = {r[2]: r for r in rows if r[0] == "project"}
    assert "'=cmd|' /C calc'!A0" in projects
    assert projects["Quiet Harbour"][8] == "0.250000"


def test_usage_report_empty_month(db):
    assert "(no usage)" in run("usage_report", "--month", "1999-01")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--month", "2026-13"], "--month: '2026-13' is not a month; write it as YYYY-MM"),
        (["--month", "Nov"], "is not a month"),
        (["--format", "xlsx"], "invalid choice: 'xlsx'"),
    ],
)
def test_usage_report_bad_input(db, args, message):
    with pytest.raises(CommandError, match=message):
        run("usage_report", *args)


def test_reset_command_writes_once(db):
    from billing.models import MonthlyReset

    with time_machine.travel(utc(2026, 11, 1, 0, 0), tick=False):
        assert "Reset 2026-11" in run("reset_monthly_usage")
        assert "already reset" in run("reset_monthly_usage")
    assert MonthlyReset.objects.count() == 1
