"""The rule: monthly counters equal this month's usage logs, however jobs end; recompute repairs drift."""

from __future__ import annotations

from io import StringIO

import pytest
import time_machine
from django.core.management import call_command

from billing.models import UsageLog
from billing.services import usage_recompute
from billing.tests.helpers import complete, counters, end_after_spending, utc


def logs_say(user) -> tuple[int, float]:
    from billing.selectors import month_bounds

    start, end = month_bounds()
    logs = UsageLog.objects.filter(user=user, created_at__gte=start, created_at__lt=end)
    jobs = set(logs.filter(operation_type__in=("generation", "revision")).values_list("job_id", flat=True))
    return len(jobs), round(sum(logs.values_list("cost_usd", flat=True)), 6)


def test_counters_equal_logs_after_every_kind_of_ending(owner, other_user, project, make_project, new_job):
    from jobs.services import job_cancel, job_create_revision, job_resume
    from narratives.models import Narrative

    user_counts = []
    # A generation that completes ($0 offline: still one generation, one $0 log).
    first = new_job(owner, project)
    complete(first)
    user_counts.append(counters(owner))
    # A revision of that narrative, completed.
    narrative = Narrative.objects.get(job=first)
    revision = job_create_revision(user=owner, narrative=narrative, instructions="Make the ending darker.")
    complete(revision)
    # A failure that spent money, then resumed to completion: one generation, billed once.
    failed = new_job(owner, project)
    end_after_spending(failed, 1.2, resumable=True)
    job_resume(user=owner, job=failed)
    complete(failed)
    # A running job cancelled after spending.
    cancelled_running = new_job(owner, project)
    end_after_spending(cancelled_running, 0.8, status="cancelled")
    # A queued job cancelled before it started: nothing billed, nothing counted.
    job_cancel(user=owner, job=new_job(owner, project))
    # A failure that spent nothing: not billed, not counted.
    end_after_spending(new_job(owner, project), 0.0)
    # A plan-review (planning) job: billed, never a generation.
    complete(new_job(owner, project, review_plan=True))
    # Someone else's usage never leaks into the owner's counters.
    end_after_spending(new_job(other_user, make_project(other_user, "Theirs")), 3.0)

    assert user_counts == [(1, 0.0)]
    assert counters(owner) == (4, 2.0)  # first, revision, failed-then-completed, cancelled-running
    assert counters(owner) == logs_say(owner)
    assert counters(other_user) == logs_say(other_user) == (1, 3.0)
    # The resumed run's own tokens are logged, its cost is not billed twice, it counts once.
    assert round(sum(UsageLog.objects.filter(job=failed).values_list("cost_usd", flat=True)), 6) == 1.2
    assert UsageLog.objects.filter(user=owner, operation_type="planning").count() == 1
    assert UsageLog.objects.filter(user=owner, operation_type="revision").count() == 1
    assert usage_recompute() == []


def test_last_months_logs_do_not_count(owner, project, new_job):
    with time_machine.travel(utc(2026, 10, 31, 23, 0), tick=False):
        end_after_spending(new_job(owner, project), 5.0)
    with time_machine.travel(utc(2026, 11, 2, 8, 0), tick=False):
        mismatches = usage_recompute()  # no reset has run: the counters still hold October
        assert {(m.field, m.stored, m.expected) for m in mismatches} == {
            ("monthly_generations_used", 1, 0),
            ("monthly_cost_used_usd", 5.0, 0.0),
        }


def test_recompute_finds_and_fixes_drift(owner, other_user, project, new_job):
    from accounts.models import User

    end_after_spending(new_job(owner, project), 2.5)
    complete(new_job(owner, project))
    assert usage_recompute() == []
    User.objects.filter(pk=owner.pk).update(monthly_generations_used=7, monthly_cost_used_usd=0.5)
    User.objects.filter(pk=other_user.pk).update(monthly_cost_used_usd=None)

    found = usage_recompute()
    assert {(m.email, m.field, m.stored, m.expected) for m in found} == {
        (owner.email, "monthly_generations_used", 7, 2),
        (owner.email, "monthly_cost_used_usd", 0.5, 2.5),
        (other_user.email, "monthly_cost_used_usd", None, 0.0),
    }
    assert counters(owner) == (7, 0.5)  # a check changes nothing

    fixed = usage_recompute(fix=True)
    assert len(fixed) == 3
    assert counters(owner) == (2, 2.5)
    assert usage_recompute() == []


def test_it_reports_mismatched_counters_exits_1_and_fixes_them_with_fix(owner, project, new_job):
    from accounts.models import User

    end_after_spending(new_job(owner, project), 1.0)
    out = StringIO()
    call_command("recompute_usage", stdout=out)
    assert "All users' monthly counters match" in out.getvalue()

    User.objects.filter(pk=owner.pk).update(monthly_cost_used_usd=9.0)
    out, err = StringIO(), StringIO()
    with pytest.raises(SystemExit) as exit_:
        call_command("recompute_usage", stdout=out, stderr=err)
    assert exit_.value.code == 1
    assert "owner@example.com: monthly_cost_used_usd is 9.0, the logs say 1.0" in out.getvalue()
    assert counters(owner) == (1, 9.0)

    out = StringIO()
    call_command("recompute_usage", "--fix", stdout=out)
    assert "Fixed 1 counters of 1 users" in out.getvalue()
    assert counters(owner) == (1, 1.0)


def test_deleted_project_gives_no_generation_back(owner, project, new_job):
    from projects.services import project_delete

    complete(new_job(owner, project))
    end_after_spending(new_job(owner, project), 0.4)
    project_delete(project=project)
    assert UsageLog.objects.filter(user=owner, job__isnull=True).count() == 2
    assert usage_recompute() == []
    assert counters(owner) == (2, 0.4)
