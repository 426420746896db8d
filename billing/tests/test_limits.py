"""Monthly limits as job_create enforces them: boundaries, concurrency, enterprise, tier changes."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from accounts.services import user_set_tier
from billing.selectors import job_budget_usd
from billing.services import LimitExceeded
from billing.tests.helpers import complete, counters, end_after_spending


def test_generation_limit_exactly_at_then_one_over(owner, project, new_job):
    assert owner.monthly_generation_limit == 5
    for job in [new_job(owner, project) for _ in range(3)]:
        complete(job)
    new_job(owner, project)  # queued: pending, counts
    fifth = new_job(owner, project)  # exactly at the limit: allowed
    assert fifth.status == "queued"
    with pytest.raises(LimitExceeded) as err:
        new_job(owner, project)
    assert err.value.limit == "generations"
    assert err.value.remaining == 0
    assert "generation limit" in str(err.value) and "0 left" in str(err.value)
    assert owner.jobs.count() == 5
    assert counters(owner) == (3, 0.0)


def test_cancelled_queued_job_gives_its_slot_back(owner, project, new_job):
    from jobs.services import job_cancel

    jobs = [new_job(owner, project) for _ in range(5)]
    with pytest.raises(LimitExceeded):
        new_job(owner, project)
    job_cancel(user=owner, job=jobs[0])
    new_job(owner, project)


def test_cost_limit_exactly_at_then_one_over(owner, project, new_job, estimate):
    estimate(4.0)
    new_job(owner, project)
    new_job(owner, project)  # $8 pending of $10
    estimate(2.01)
    with pytest.raises(LimitExceeded) as err:
        new_job(owner, project)
    assert err.value.limit == "cost"
    assert err.value.remaining == pytest.approx(2.0)
    assert "$2.00" in str(err.value) and "$10.00" in str(err.value)
    estimate(2.0)
    new_job(owner, project)  # exactly the $10 limit
    estimate(0.01)
    with pytest.raises(LimitExceeded) as err:
        new_job(owner, project)
    assert err.value.limit == "cost" and err.value.remaining == 0


def test_cost_limit_counts_billed_spend(owner, project, new_job, estimate):
    estimate(3.0)
    end_after_spending(new_job(owner, project), 7.5)  # billed, no longer pending
    assert counters(owner) == (1, 7.5)
    estimate(2.5)
    new_job(owner, project)  # 7.5 + 2.5 = 10: at the limit
    estimate(0.5)
    with pytest.raises(LimitExceeded):
        new_job(owner, project)


def test_enterprise_is_unlimited(owner, project, new_job, estimate, settings):
    user_set_tier(user=owner, tier="enterprise")
    estimate(500.0)
    for _ in range(12):
        new_job(owner, project)
    end_after_spending(owner.jobs.first(), 400.0)
    new_job(owner, project)
    assert owner.jobs.count() == 13
    settings.NF_JOB_COST_CAP_USD = 25.0
    owner.refresh_from_db()
    assert job_budget_usd(owner) == 25.0  # only the per-job cap
    settings.NF_JOB_COST_CAP_USD = None
    assert job_budget_usd(owner) is None


def test_tier_change_sets_limits_and_queue(owner):
    from jobs.queues import queue_name_for

    user_set_tier(user=owner, tier="pro")
    owner.refresh_from_db()
    assert (owner.subscription_tier, owner.monthly_generation_limit, owner.monthly_cost_limit_usd) == (
        "pro",
        50,
        100.0,
    )
    assert queue_name_for(owner) == "high"
    user_set_tier(user=owner, tier="enterprise")
    owner.refresh_from_db()
    assert owner.monthly_generation_limit is None and owner.monthly_cost_limit_usd is None
    user_set_tier(user=owner, tier="free")
    owner.refresh_from_db()
    assert (owner.monthly_generation_limit, owner.monthly_cost_limit_usd, owner.subscription_ends_at) == (
        5,
        10.0,
        None,
    )
    assert queue_name_for(owner) == "default"


def test_downgrade_refuses_once_over_the_new_limit(owner, project, new_job):
    user_set_tier(user=owner, tier="pro")
    for _ in range(6):
        new_job(owner, project)
    user_set_tier(user=owner, tier="free")
    with pytest.raises(LimitExceeded):
        new_job(owner, project)


def _race(submissions: int, submit_one) -> list[str]:
    """Start `submissions` threads at once (a barrier), each with its own connection; their outcomes."""
    barrier = threading.Barrier(submissions)
    results: list[str] = []
    lock = threading.Lock()

    def submit() -> None:
        try:
            barrier.wait(timeout=10)
            submit_one()
            outcome = "ok"
        except LimitExceeded as exc:
            outcome = exc.limit
        finally:
            connection.close()
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=submit) for _ in range(submissions)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    return sorted(results)


@pytest.mark.django_db(transaction=True)
def test_concurrent_submissions_take_exactly_the_remaining_slots(
    make_user, make_project, new_job, redis_conn
):
    """Eight submissions race for the last two slots: exactly two win (job_create locks the user row)."""
    user = make_user("racer@example.com")
    project = make_project(user)
    for _ in range(3):
        new_job(user, project)
    assert _race(8, lambda: new_job(user, project)) == ["generations"] * 6 + ["ok"] * 2
    assert user.jobs.count() == 5


@pytest.mark.django_db(transaction=True)
def test_concurrent_submissions_at_the_cost_boundary(make_user, make_project, new_job, estimate, redis_conn):
    user = make_user("spender@example.com")
    project = make_project(user)
    estimate(3.0)  # $10 allows three $3 jobs
    assert _race(6, lambda: new_job(user, project)) == ["cost"] * 3 + ["ok"] * 3
