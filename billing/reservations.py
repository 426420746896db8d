"""The cost ceiling: what a user's active jobs hold against the monthly cost limit.

The rule, in one place (README, "Billing"):

* A job **reserves** its estimate when it is created, and again (what is left
  of it) when it is resumed: ``reserved_usd`` is the job's total over all its
  attempts.
* Before every model call that may cost money, the worker asks to grow the
  reservation to ``spent so far + the call's worst case`` (prompt + max_tokens
  at the model's price). Under a lock on the user row it is allowed when

      need ≤ min(per-job cap,
                 billed to this job + limit − billed this month − held by the user's other active jobs)

  and the reservation becomes ``need``; otherwise the job stops (failed,
  resumable) before the call is sent.
* What an active job **holds** is ``max(reserved, spent) − billed to it``:
  its unbilled reservation or its unbilled spend, whichever is larger. A job
  that ends stops holding anything in the same transaction that bills it (its
  status leaves queued/running).

So for every user, at every moment: ``billed this month + Σ held ≤ limit``,
and since a call never costs more than its worst case, what the provider is
paid never passes the limit, however many jobs and workers run at once. New
jobs are admitted against the same sum (``billing.services.usage_check_limits``).
A ``NULL`` limit (enterprise) only keeps the per-job cap. A job on the
writer's own API key (``connections.JobConnection.own_key``) holds nothing
against the limit and grows its reservation under the per-job cap only: the
writer pays the provider (README, "Limits with your own key").
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.db.models import F, FloatField, OuterRef, Subquery, Sum, Value
from django.db.models.functions import Coalesce, Greatest

from accounts.models import User
from billing.models import CostReservation, UsageLog
from connections.models import JobConnection
from narraforge.choices import ACTIVE_STATUSES

ACTIVE = ACTIVE_STATUSES
_EPS = 1e-9


def _billed_to_job():
    return Coalesce(
        Subquery(
            UsageLog.objects.filter(job_id=OuterRef("job_id"))
            .order_by()
            .values("job_id")
            .annotate(s=Sum("cost_usd"))
            .values("s"),
            output_field=FloatField(),
        ),
        Value(0.0),
        output_field=FloatField(),
    )


def reservations_held_usd(*, user_id: str, exclude_job_id: str | None = None) -> float:
    """Σ over the user's active jobs (but ``exclude_job_id``) of max(reserved, spent) − billed, each ≥ 0."""
    rows = CostReservation.objects.filter(user_id=user_id, job__status__in=ACTIVE).exclude(
        job__connection_choice__own_key=True
    )
    if exclude_job_id is not None:
        rows = rows.exclude(job_id=exclude_job_id)
    held = rows.annotate(
        held=Greatest(
            Greatest(F("reserved_usd"), Coalesce(F("job__actual_cost_usd"), Value(0.0))) - _billed_to_job(),
            Value(0.0),
            output_field=FloatField(),
        )
    ).values_list("held", flat=True)
    return round(sum(held), 9)


def reservation_open(*, job_id: str, user_id: str, total_usd: float) -> None:
    """Hold ``total_usd`` (the job's whole spend, all attempts) for a job being created or resumed.

    The caller holds the user-row lock and has checked the limit (usage_check_limits).
    """
    CostReservation.objects.update_or_create(
        job_id=job_id, defaults={"user_id": user_id, "reserved_usd": max(float(total_usd), 0.0)}
    )


@dataclass(frozen=True)
class Grant:
    ok: bool
    reserved_usd: float  # the job's reservation afterwards
    left_usd: float = 0.0  # when refused: what the job could still have spent
    limit_usd: float | None = None  # when refused by the monthly limit
    reason: str = ""  # "", "limit" or "cap"


def reservation_grow(
    *,
    job_id: str,
    user_id: str,
    spent_total_usd: float,
    worst_usd: float,
    cap_total_usd: float | None = None,
) -> Grant:
    """Grow the job's reservation to spent + worst if the ceiling allows it (its own transaction).

    ``spent_total_usd`` is the job's spend over all its attempts, ``worst_usd``
    the next call's worst case, ``cap_total_usd`` the per-job cap on the total.
    """
    need = spent_total_usd + worst_usd
    with transaction.atomic():
        user = (
            User.objects.select_for_update()
            .only("pk", "monthly_cost_limit_usd", "monthly_cost_used_usd")
            .get(pk=user_id)
        )
        row = CostReservation.objects.select_for_update().filter(job_id=job_id).first()
        reserved = row.reserved_usd if row is not None else 0.0
        if need <= reserved + _EPS:
            return Grant(True, reserved)
        if cap_total_usd is not None and need > cap_total_usd + _EPS:
            return Grant(False, reserved, left_usd=max(cap_total_usd - spent_total_usd, 0.0), reason="cap")
        limit = user.monthly_cost_limit_usd
        if limit is not None and not JobConnection.objects.filter(job_id=job_id, own_key=True).exists():
            mine_billed = UsageLog.objects.filter(job_id=job_id).aggregate(
                s=Coalesce(Sum("cost_usd"), Value(0.0), output_field=FloatField())
            )["s"]
            others = reservations_held_usd(user_id=user_id, exclude_job_id=job_id)
            allowed = mine_billed + limit - (user.monthly_cost_used_usd or 0.0) - others
            if need > allowed + _EPS:
                left = max(allowed - spent_total_usd, 0.0)
                return Grant(False, reserved, left_usd=left, limit_usd=limit, reason="limit")
        CostReservation.objects.update_or_create(
            job_id=job_id, defaults={"user_id": user_id, "reserved_usd": need}
        )
        return Grant(True, need)


def reservation_of(*, job_id: str) -> float:
    return CostReservation.objects.filter(job_id=job_id).values_list("reserved_usd", flat=True).first() or 0.0


def remaining_cost_for_user(user: User) -> float | None:
    """The monthly cost limit minus billed spend minus what active jobs hold (None: unlimited)."""
    if user.monthly_cost_limit_usd is None:
        return None
    used = (user.monthly_cost_used_usd or 0.0) + reservations_held_usd(user_id=user.pk)
    return max(round(user.monthly_cost_limit_usd - used, 6), 0.0)
