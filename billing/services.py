"""Usage accounting: limits before a job starts, billing when it ends.

The rule this module keeps — the user's monthly counters always equal this
month's usage logs:

* ``users.monthly_cost_used_usd`` = the sum of ``cost_usd`` of the user's
  usage logs this month, except logs paid with the writer's own API key
  (``billing_own_key_usage``: they are the writer's spend, not the platform's);
* ``users.monthly_generations_used`` = the number of distinct jobs with
  operation ``generation`` or ``revision`` that have a usage log this month.

So every *completed* generation/revision job writes at least one usage log
row, even at $0 (the offline engine costs nothing, yet the generation limit
must still bite); a *failed* or *cancelled* job writes a row only when it
spent something (then it counts as a generation too: the user consumed model
time); *planning* jobs (plan review, stages 01–05) cost money but never count
as generations. A job is billed by delta — its total spend so far minus what
its usage logs already hold — so a task that runs again, a failure followed by
a resume, or a reaper racing a worker never bills anything twice. Counters move
only by ``F()`` updates in the same transaction as the log rows.

Limits count work not billed yet: queued and running jobs' generations and
estimated costs are pending, so two concurrent submissions cannot both take
the last slot (the caller holds ``select_for_update`` on the user row).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.db.models import F, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.models import User
from billing.models import MonthlyReset, OwnKeyUsage, UsageLog
from billing.selectors import (
    COUNTED_OPERATIONS,
    TIERS,
    counters_from_logs,
    month_bounds,
    month_start,
    remaining_cost_usd,
    remaining_generations,
    usage_billed_for_job,
    usage_pending,
)
from connections.models import JobConnection
from jobs.pipeline.usage import Usage
from narraforge.errors import UserFacingError
from projects.models import Project

if TYPE_CHECKING:
    from jobs.models import GenerationJob


_EPS = 1e-9


class LimitExceeded(UserFacingError):
    """A monthly limit would be exceeded; the message is for the user."""

    def __init__(self, message: str, *, limit: str, remaining: float | int) -> None:
        super().__init__(message)
        self.limit = limit
        self.remaining = remaining


def usage_check_limits(
    *, user: User, estimated_cost_usd: float, counts_as_generation: bool = True, own_key: bool = False
) -> None:
    """Refuse a new job that would take the user past a monthly limit.

    The caller holds ``select_for_update`` on the user row (and passes that
    fresh instance), so concurrent submissions are serialised here. A job on
    the writer's own key (``own_key``) still takes a generation but is not
    checked against the monthly cost limit: the writer pays the provider.
    """
    pending = usage_pending(user=user)
    generations_left = remaining_generations(user, pending)
    if counts_as_generation and generations_left is not None and generations_left < 1:
        limit = user.monthly_generation_limit
        raise LimitExceeded(
            f"You have reached your monthly generation limit ({limit} generations; 0 left, "
            "counting jobs still queued or running). The usage page shows what counts and when it resets.",
            limit="generations",
            remaining=0,
        )
    if own_key:
        return
    cost_left = remaining_cost_usd(user, pending)
    if cost_left is not None and (cost_left <= _EPS or estimated_cost_usd > cost_left + _EPS):
        raise LimitExceeded(
            f"This job is estimated at ${estimated_cost_usd:,.2f} but only ${cost_left:,.2f} of your "
            f"${user.monthly_cost_limit_usd:,.2f} monthly cost limit is left (jobs still queued or running "
            "count). Try a shorter target length; the usage page shows what counts.",
            limit="cost",
            remaining=cost_left,
        )


def usage_bill_job(
    *,
    job: GenerationJob,
    usage: Usage | None,
    operation_type: str,
    record_zero: bool = False,
) -> UsageLog | None:
    """Bill what the job spent beyond what its usage logs already hold.

    ``usage`` is the job's *total* spend so far, all attempts included. Call it
    inside the transaction that finishes the job; ``record_zero`` (a completed
    job) writes a $0 row when the job has none yet, so the generation still counts.
    """
    billed = usage_billed_for_job(job=job)
    delta = (usage or Usage()) - billed.usage
    deltas = {tier: (delta[tier].tokens, delta[tier].cost_usd) for tier in TIERS}
    total_tokens = sum(t for t, _ in deltas.values())
    total_cost = sum(c for _, c in deltas.values())
    if total_tokens == 0 and total_cost <= 0.0 and (billed.rows > 0 or not record_zero):
        return None

    counts = operation_type in COUNTED_OPERATIONS and not (
        UsageLog.objects.filter(
            job=job, created_at__gte=month_start(), operation_type__in=COUNTED_OPERATIONS
        ).exists()
    )
    production_type = (job.production_brief or {}).get("production_type")
    log = UsageLog.objects.create(
        user_id=job.user_id,
        project_id=job.project_id,
        job=job,
        operation_type=operation_type,
        production_type=production_type,
        tokens_used=total_tokens,
        cost_usd=total_cost,
        mini_tokens=deltas["mini"][0],
        gpt4_tokens=deltas["gpt4"][0],
        mini_cost_usd=deltas["mini"][1],
        gpt4_cost_usd=deltas["gpt4"][1],
    )
    # Paid with the writer's own key: their spend, recorded and shown, but not the platform's limit.
    own = JobConnection.objects.filter(job_id=job.pk, own_key=True).values_list("name", flat=True).first()
    user_changes: dict[str, Any] = {}
    if own is not None:
        OwnKeyUsage.objects.create(usage_log=log, connection_name=own)
    elif total_cost:
        user_changes["monthly_cost_used_usd"] = Coalesce(F("monthly_cost_used_usd"), Value(0.0)) + total_cost
    if counts:
        user_changes["monthly_generations_used"] = Coalesce(F("monthly_generations_used"), 0) + 1
    if user_changes:
        User.objects.filter(pk=job.user_id).update(**user_changes)
    if job.project_id and total_cost:
        Project.objects.filter(pk=job.project_id).update(
            total_cost_usd=Coalesce(F("total_cost_usd"), Value(0.0)) + total_cost
        )
    return log


# --- Monthly reset and recount (the counters are rebuilt from the logs) ---------------------------


@dataclass(frozen=True)
class ResetResult:
    month: Any  # datetime.date: the first day of the month
    performed: bool  # False: this month had already been reset
    users: int
    reset_at: Any


@dataclass(frozen=True)
class CounterMismatch:
    user_id: str
    email: str
    field: str
    stored: float | int | None
    expected: float | int


def _lock_and_recount(users, start, end) -> int:
    """Lock the users' rows, then set their counters to their logs in [start, end). Inside a transaction.

    The lock comes first and the recount in a later statement, so its snapshot
    sees every log whose billing transaction held a lock before ours; billing
    that comes after waits for our lock and then adds on top of the recount.
    """
    locked = User.objects.select_for_update().filter(pk__in=users.values("pk"))
    ids = list(locked.values_list("pk", flat=True))
    if not ids:
        return 0
    return User.objects.filter(pk__in=ids).update(**counters_from_logs(start, end))


def usage_reset_monthly(*, now=None) -> ResetResult:
    """The monthly reset: run as often as you like, it resets each month once.

    The first run in a month records the month in ``billing_resets`` and sets
    every user's counters to *this month's* logs — zero at 00:00 UTC on the
    1st, and still right if a job was billed between midnight and the run, or
    if the run is a catch-up hours later. Later runs in the same month do nothing.
    """
    now = now or timezone.now()
    start, end = month_bounds(now)
    with transaction.atomic():
        marker, created = MonthlyReset.objects.get_or_create(month=start.date(), defaults={"reset_at": now})
        if not created:
            return ResetResult(month=marker.month, performed=False, users=0, reset_at=marker.reset_at)
        count = _lock_and_recount(User.objects.all(), start, end)
        marker.users_reset = count
        marker.save(update_fields=["users_reset"])
    return ResetResult(month=marker.month, performed=True, users=count, reset_at=now)


def usage_recompute(*, fix: bool = False, users=None, now=None) -> list[CounterMismatch]:
    """Users whose monthly counters differ from this month's logs (one entry per wrong counter).

    ``fix=True`` sets those users' counters to their logs (under a row lock, so
    billing running at the same time is neither lost nor counted twice).
    ``users`` narrows the check to a queryset of users (the admin action).
    """
    start, end = month_bounds(now or timezone.now())
    qs = (users if users is not None else User.objects.all()).annotate(
        **{f"expected_{k}": v for k, v in counters_from_logs(start, end).items()}
    )
    mismatches: list[CounterMismatch] = []
    for row in qs.order_by("email").values(
        "pk",
        "email",
        "monthly_generations_used",
        "monthly_cost_used_usd",
        "expected_monthly_generations_used",
        "expected_monthly_cost_used_usd",
    ):
        gens, cost = row["expected_monthly_generations_used"], row["expected_monthly_cost_used_usd"]
        if row["monthly_generations_used"] != gens:
            mismatches.append(
                CounterMismatch(
                    row["pk"], row["email"], "monthly_generations_used", row["monthly_generations_used"], gens
                )
            )
        stored_cost = row["monthly_cost_used_usd"]
        if stored_cost is None or abs(stored_cost - cost) > 1e-6:
            mismatches.append(
                CounterMismatch(row["pk"], row["email"], "monthly_cost_used_usd", stored_cost, cost)
            )
    if fix and mismatches:
        with transaction.atomic():
            _lock_and_recount(User.objects.filter(pk__in={m.user_id for m in mismatches}), start, end)
    return mismatches
