"""The reservation rule (billing.reservations): what active jobs hold against the monthly cost limit."""

from __future__ import annotations

import pytest

from billing.reservations import reservation_grow, reservation_of, reservations_held_usd
from billing.services import LimitExceeded
from billing.tests.helpers import counters, end_after_spending


def test_a_new_job_reserves_its_estimate(owner, project, new_job, estimate):
    estimate(2.5)
    job = new_job(owner, project)
    assert reservation_of(job_id=job.pk) == 2.5
    assert reservations_held_usd(user_id=owner.pk) == 2.5


def test_a_running_job_grows_its_reservation_until_the_limit_then_is_refused(
    owner, project, new_job, estimate
):
    estimate(3.0)
    first, second = new_job(owner, project), new_job(owner, project)  # $6 of $10 held
    grant = reservation_grow(job_id=first.pk, user_id=owner.pk, spent_total_usd=2.9, worst_usd=1.0)
    assert grant.ok and grant.reserved_usd == pytest.approx(3.9)
    # The other job now sees only 10 - 3.9 = 6.1 for itself.
    refused = reservation_grow(job_id=second.pk, user_id=owner.pk, spent_total_usd=5.0, worst_usd=1.2)
    assert not refused.ok and refused.reason == "limit" and refused.limit_usd == 10.0
    assert refused.left_usd == pytest.approx(1.1)
    assert reservation_of(job_id=second.pk) == 3.0  # unchanged
    assert reservation_grow(job_id=second.pk, user_id=owner.pk, spent_total_usd=5.0, worst_usd=1.1).ok


def test_a_grown_reservation_refuses_a_new_job_that_its_estimate_would_have_let_in(
    owner, project, new_job, estimate
):
    estimate(2.0)
    running = new_job(owner, project)
    assert reservation_grow(job_id=running.pk, user_id=owner.pk, spent_total_usd=7.0, worst_usd=1.0).ok
    new_job(owner, project)  # 8 held + 2 = 10: at the limit is allowed...
    with pytest.raises(LimitExceeded) as err:
        new_job(owner, project)  # ...one more is not (its estimate alone would have fitted twice)
    assert err.value.limit == "cost"


def test_an_ended_job_holds_nothing_and_its_spend_is_billed_once(owner, project, new_job, estimate):
    estimate(4.0)
    job = new_job(owner, project)
    end_after_spending(job, 1.5, resumable=True)
    assert reservations_held_usd(user_id=owner.pk) == 0.0
    assert counters(owner) == (1, 1.5)
    from jobs.services import job_resume

    job_resume(user=owner, job=job)  # holds billed 1.5 + what is left of its estimate, 2.5
    assert reservation_of(job_id=job.pk) == pytest.approx(4.0)
    assert reservations_held_usd(user_id=owner.pk) == pytest.approx(2.5)


def test_enterprise_reservations_only_keep_the_per_job_cap(owner, project, new_job, estimate):
    from accounts.services import user_set_tier

    user_set_tier(user=owner, tier="enterprise")
    estimate(1.0)
    job = new_job(owner, project)
    assert reservation_grow(job_id=job.pk, user_id=owner.pk, spent_total_usd=400.0, worst_usd=5.0).ok
    capped = reservation_grow(
        job_id=job.pk, user_id=owner.pk, spent_total_usd=24.0, worst_usd=5.0, cap_total_usd=25.0
    )
    assert capped.ok  # 29 <= 405 already reserved
    fresh = new_job(owner, project)
    capped = reservation_grow(
        job_id=fresh.pk, user_id=owner.pk, spent_total_usd=24.0, worst_usd=5.0, cap_total_usd=25.0
    )
    assert not capped.ok and capped.reason == "cap" and capped.left_usd == pytest.approx(1.0)
