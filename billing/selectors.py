"""Reads for usage: month arithmetic, counters from the logs, the usage page, exports and reports.

Every per-user function takes the user and filters on it: nothing here can
return another user's usage.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db.models import (
    Count,
    F,
    FloatField,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Coalesce, TruncDay, TruncMonth
from django.utils import timezone

from billing.models import OperationType, UsageLog
from billing.reservations import reservations_held_usd
from jobs.pipeline.usage import TierUsage, Usage
from narraforge.choices import ACTIVE_STATUSES

if TYPE_CHECKING:
    from accounts.models import User
    from jobs.models import GenerationJob

COUNTED_OPERATIONS = (OperationType.GENERATION, OperationType.REVISION)
TIERS = ("mini", "gpt4")

# ---------- months ----------


def month_start(now=None):
    now = timezone.localtime(now or timezone.now())
    return now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def add_months(start: dt.datetime, months: int) -> dt.datetime:
    index = start.year * 12 + (start.month - 1) + months
    return start.replace(year=index // 12, month=index % 12 + 1, day=1)


def month_bounds(now: dt.datetime | None = None) -> tuple[dt.datetime, dt.datetime]:
    """[first instant of the month, first instant of the next) — the same month billing uses."""
    start = month_start(now or timezone.now())
    return start, add_months(start, 1)


def parse_month(text: str) -> tuple[dt.datetime, dt.datetime]:
    """'2026-11' → that month's bounds (UTC). ValueError with a readable message otherwise."""
    try:
        day = dt.datetime.strptime((text or "").strip(), "%Y-%m")
    except ValueError:
        raise ValueError(f"{text!r} is not a month; write it as YYYY-MM, e.g. 2026-11.") from None
    start = day.replace(tzinfo=dt.UTC)
    return start, add_months(start, 1)


# ---------- limits: what is pending, what is left ----------


@dataclass(frozen=True)
class Pending:
    generations: int
    cost_usd: float


def usage_pending(*, user: User, exclude_job_id: str | None = None) -> Pending:
    """Queued and running work not billed yet: its generations and its estimated cost."""
    active = user.jobs.filter(status__in=ACTIVE_STATUSES)  # generation_jobs rows, through the user
    if exclude_job_id:
        active = active.exclude(pk=exclude_job_id)
    billed_jobs = UsageLog.objects.filter(
        user=user, created_at__gte=month_start(), operation_type__in=COUNTED_OPERATIONS
    ).values("job_id")
    agg = active.aggregate(
        generations=Count(
            "pk",
            # Plan reviews too: a plan is made to be written, so it holds a generation while it runs
            # (it never takes one: only generation and revision logs count).
            filter=~Q(pk__in=billed_jobs),
        ),
    )
    # The cost side is the reservation rule (billing.reservations): what active jobs hold, unbilled.
    held = reservations_held_usd(user_id=user.pk, exclude_job_id=exclude_job_id)
    return Pending(generations=agg["generations"], cost_usd=held)


def remaining_generations(user: User, pending: Pending | None = None) -> int | None:
    if user.monthly_generation_limit is None:
        return None
    pending = pending or usage_pending(user=user)
    used = (user.monthly_generations_used or 0) + pending.generations
    return max(user.monthly_generation_limit - used, 0)


def remaining_cost_usd(user: User, pending: Pending | None = None) -> float | None:
    if user.monthly_cost_limit_usd is None:
        return None
    pending = pending or usage_pending(user=user)
    used = (user.monthly_cost_used_usd or 0.0) + pending.cost_usd
    return max(round(user.monthly_cost_limit_usd - used, 6), 0.0)


def job_budget_usd(user: User) -> float | None:
    """What one job may spend: the per-job cap or the user's remaining monthly cost, whichever is less."""
    cap = getattr(settings, "NF_JOB_COST_CAP_USD", None)
    cap = None if cap in (None, "", 0) else float(cap)
    left = None
    if user.monthly_cost_limit_usd is not None:
        left = max(user.monthly_cost_limit_usd - (user.monthly_cost_used_usd or 0.0), 0.0)
    if cap is None:
        return left
    return cap if left is None else min(cap, left)


@dataclass(frozen=True)
class Billed:
    usage: Usage  # the logs hold token totals only: they are counted as prompt tokens
    rows: int


def usage_billed_for_job(*, job: GenerationJob) -> Billed:
    """What a job's usage logs already hold, per tier, and how many log rows it has."""
    agg = UsageLog.objects.filter(job=job).aggregate(
        mini_tokens=Coalesce(Sum("mini_tokens"), 0),
        gpt4_tokens=Coalesce(Sum("gpt4_tokens"), 0),
        mini_cost=Coalesce(Sum("mini_cost_usd"), Value(0.0), output_field=FloatField()),
        gpt4_cost=Coalesce(Sum("gpt4_cost_usd"), Value(0.0), output_field=FloatField()),
        rows=Count("pk"),
    )
    usage = Usage(
        {
            "mini": TierUsage(prompt_tokens=agg["mini_tokens"], cost_usd=agg["mini_cost"]),
            "gpt4": TierUsage(prompt_tokens=agg["gpt4_tokens"], cost_usd=agg["gpt4_cost"]),
        }
    )
    return Billed(usage=usage, rows=agg["rows"])


# ---------- the counters' rule ----------


def counters_from_logs(start: dt.datetime, end: dt.datetime) -> dict[str, Any]:
    """Expressions (for ``User`` rows) giving the monthly counters their logs in [start, end) imply.

    cost = sum of ``cost_usd`` except logs paid with the writer's own key; generations =
    distinct jobs with a generation or revision log, plus each such log whose job row is gone (the seed sets
    ``job_id`` NULL when a job is deleted: a deleted project gives no quota back).
    """
    logs = UsageLog.objects.filter(user=OuterRef("pk"), created_at__gte=start, created_at__lt=end)
    cost = logs.filter(own_key__isnull=True).order_by().values("user").annotate(s=Sum("cost_usd")).values("s")
    gens = (
        logs.filter(operation_type__in=COUNTED_OPERATIONS)
        .order_by()
        .values("user")
        .annotate(n=generations_count(counted_only=False))
        .values("n")
    )
    return {
        "monthly_generations_used": Coalesce(Subquery(gens, output_field=IntegerField()), Value(0)),
        "monthly_cost_used_usd": Coalesce(Subquery(cost, output_field=FloatField()), Value(0.0)),
    }


def generations_count(*, counted_only: bool = True):
    """The generations rule as an aggregate: distinct jobs, plus each log whose job row was deleted."""
    counted = Q(operation_type__in=COUNTED_OPERATIONS) if counted_only else Q()
    return Count("job", distinct=True, filter=counted) + Count("pk", filter=counted & Q(job__isnull=True))


# ---------- the usage page ----------


@dataclass(frozen=True)
class MonthSummary:
    start: dt.datetime
    resets_at: dt.datetime
    tier_label: str
    generations_used: int
    generation_limit: int | None
    generations_left: int | None
    cost_used_usd: float
    cost_limit_usd: float | None
    cost_left_usd: float | None
    subscription_ends_at: dt.datetime | None

    @property
    def generations_pct(self) -> float | None:
        if not self.generation_limit:
            return None
        return min(100.0, 100.0 * self.generations_used / self.generation_limit)

    @property
    def cost_pct(self) -> float | None:
        if not self.cost_limit_usd:
            return None
        return min(100.0, 100.0 * self.cost_used_usd / self.cost_limit_usd)


def usage_month_summary(user, now: dt.datetime | None = None) -> MonthSummary:
    start, end = month_bounds(now)
    return MonthSummary(
        start=start,
        resets_at=end,
        tier_label=user.tier.label,
        generations_used=user.monthly_generations_used or 0,
        generation_limit=user.monthly_generation_limit,
        generations_left=remaining_generations(user),
        cost_used_usd=user.monthly_cost_used_usd or 0.0,
        cost_limit_usd=user.monthly_cost_limit_usd,
        cost_left_usd=remaining_cost_usd(user),
        subscription_ends_at=user.subscription_ends_at,
    )


def usage_own_key_month(user, now: dt.datetime | None = None) -> dict[str, Any]:
    """This month's spend on the writer's own API keys: theirs, not counted against the cost limit."""
    start, end = month_bounds(now)
    agg = UsageLog.objects.filter(
        user_id=user.pk, created_at__gte=start, created_at__lt=end, own_key__isnull=False
    ).aggregate(
        cost=Coalesce(Sum("cost_usd"), Value(0.0), output_field=FloatField()),
        tokens=Coalesce(Sum("tokens_used"), 0),
        jobs=Count("job", distinct=True),
    )
    return {"cost_usd": agg["cost"], "tokens": agg["tokens"], "jobs": agg["jobs"]}


def user_logs(user) -> QuerySet[UsageLog]:
    return UsageLog.objects.filter(user_id=user.pk)


def _money_sum(field: str = "cost_usd"):
    return Coalesce(Sum(field), Value(0.0), output_field=FloatField())


def usage_daily_costs(user, now: dt.datetime | None = None) -> list[tuple[dt.date, float]]:
    """Cost per day of this month, every day from the 1st to the last day of the month."""
    start, end = month_bounds(now)
    rows = (
        user_logs(user)
        .filter(created_at__gte=start, created_at__lt=end)
        .annotate(day=TruncDay("created_at"))
        .order_by()
        .values("day")
        .annotate(cost=_money_sum())
    )
    by_day = {row["day"].date(): row["cost"] for row in rows}
    days = (end - start).days
    return [
        ((start + dt.timedelta(days=i)).date(), by_day.get((start + dt.timedelta(days=i)).date(), 0.0))
        for i in range(days)
    ]


def usage_monthly_costs(
    user, now: dt.datetime | None = None, months: int = 12
) -> list[tuple[dt.date, float]]:
    """Cost per month for the last ``months`` months, this one included, oldest first."""
    start, end = month_bounds(now)
    first = add_months(start, -(months - 1))
    rows = (
        user_logs(user)
        .filter(created_at__gte=first, created_at__lt=end)
        .annotate(month=TruncMonth("created_at"))
        .order_by()
        .values("month")
        .annotate(cost=_money_sum())
    )
    by_month = {row["month"].date(): row["cost"] for row in rows}
    out = []
    for i in range(months):
        m = add_months(first, i).date()
        out.append((m, by_month.get(m, 0.0)))
    return out


def _totals_by(user, trunc, first: dt.datetime, end: dt.datetime, keys: list[dt.date]):
    """Generations, tokens and cost per period (``trunc`` of created_at), every key present."""
    rows = (
        user_logs(user)
        .filter(created_at__gte=first, created_at__lt=end)
        .annotate(period=trunc("created_at"))
        .order_by()
        .values("period")
        .annotate(cost=_money_sum(), tokens=Coalesce(Sum("tokens_used"), 0), generations=generations_count())
    )
    by_key = {row["period"].date(): row for row in rows}
    return {
        measure: [(key, (by_key.get(key) or {}).get(measure, 0) or 0) for key in keys]
        for measure in ("generations", "tokens", "cost")
    }


def usage_daily_totals(user, now: dt.datetime | None = None) -> dict[str, list[tuple[dt.date, float]]]:
    """Generations, tokens and cost per day of this month (every day), for the usage page's charts."""
    start, end = month_bounds(now)
    days = [(start + dt.timedelta(days=i)).date() for i in range((end - start).days)]
    return _totals_by(user, TruncDay, start, end, days)


def usage_monthly_totals(
    user, now: dt.datetime | None = None, months: int = 12
) -> dict[str, list[tuple[dt.date, float]]]:
    """Generations, tokens and cost per month for the last ``months`` months, oldest first."""
    start, end = month_bounds(now)
    first = add_months(start, -(months - 1))
    return _totals_by(user, TruncMonth, first, end, [add_months(first, i).date() for i in range(months)])


def usage_by_project(user, now: dt.datetime | None = None) -> list[dict[str, Any]]:
    """This month per project: cost, tokens, generations, operations. Deleted projects show as one row."""
    start, end = month_bounds(now)
    rows = (
        user_logs(user)
        .filter(created_at__gte=start, created_at__lt=end)
        .order_by()
        .values("project_id", "project__name")
        .annotate(
            cost=_money_sum(),
            tokens=Coalesce(Sum("tokens_used"), 0),
            generations=generations_count(),
            operations=Count("pk"),
        )
        .order_by("-cost", "project__name")
    )
    return list(rows)


# The two model tiers by the work they do, and the engines that can run them.
TIER_WORK = {"gpt4": "Drafting and style", "mini": "Planning and checks"}
ENGINE_LABELS = {"offline": "Offline engine", "openai": "OpenAI-compatible model"}


def engine_label(engine: str | None) -> str:
    if not engine:
        return "Unknown engine (job deleted)"
    return ENGINE_LABELS.get(engine, engine.capitalize())


def usage_by_model_tier(user, now: dt.datetime | None = None) -> list[dict[str, Any]]:
    """This month's tokens and cost per tier *and* per engine that ran it (from each log's job).

    Offline-engine tokens are the offline engine's, not a model class's: a row
    says both what the work was (drafting and style / planning and checks)
    and what did it.
    """
    start, end = month_bounds(now)
    rows = (
        user_logs(user)
        .filter(created_at__gte=start, created_at__lt=end)
        .order_by()
        .values(engine=KeyTextTransform("engine", "job__output"))
        .annotate(
            mini_tokens=Coalesce(Sum("mini_tokens"), 0),
            gpt4_tokens=Coalesce(Sum("gpt4_tokens"), 0),
            mini_cost=_money_sum("mini_cost_usd"),
            gpt4_cost=_money_sum("gpt4_cost_usd"),
        )
        .order_by("engine")
    )
    out = []
    for row in rows:
        for tier in ("gpt4", "mini"):
            out.append(
                {
                    "tier": tier,
                    "work": TIER_WORK[tier],
                    "engine": row["engine"] or "",
                    "engine_label": engine_label(row["engine"]),
                    "label": f"{TIER_WORK[tier]} ({engine_label(row['engine'])})",
                    "tokens": row[f"{tier}_tokens"],
                    "cost": row[f"{tier}_cost"],
                }
            )
    return out


def usage_recent_jobs(user, limit: int = 10):
    """The user's latest jobs with what their usage logs billed."""
    billed = (
        UsageLog.objects.filter(job=OuterRef("pk"))
        .order_by()
        .values("job")
        .annotate(s=Sum("cost_usd"))
        .values("s")
    )
    return (
        user.jobs.all()  # generation_jobs rows, through the user (billing sits below jobs)
        .select_related("project")
        .annotate(billed_usd=Coalesce(Subquery(billed, output_field=FloatField()), Value(0.0)))
        .order_by("-created_at")[:limit]
    )


# ---------- exports and reports ----------

EXPORT_HEADER = [
    "created_at_utc",
    "operation",
    "production_type",
    "project",
    "job_id",
    "tokens",
    "mini_tokens",
    "gpt4_tokens",
    "mini_cost_usd",
    "gpt4_cost_usd",
    "cost_usd",
]


def usage_export_rows(user, start: dt.datetime | None = None, end: dt.datetime | None = None):
    """The user's usage logs as CSV rows (unescaped values), newest first."""
    logs = user_logs(user).select_related("project").order_by("-created_at")
    if start is not None:
        logs = logs.filter(created_at__gte=start, created_at__lt=end)
    for log in logs.iterator(chunk_size=500):
        yield [
            log.created_at.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S"),
            log.operation_type,
            log.production_type or "",
            log.project.name if log.project else "",
            log.job_id or "",
            log.tokens_used,
            log.mini_tokens or 0,
            log.gpt4_tokens or 0,
            f"{log.mini_cost_usd or 0.0:.6f}",
            f"{log.gpt4_cost_usd or 0.0:.6f}",
            f"{log.cost_usd:.6f}",
        ]


def usage_report(start: dt.datetime, end: dt.datetime) -> dict[str, list[dict[str, Any]]]:
    """Operators' per-user and per-project totals for [start, end)."""
    logs = UsageLog.objects.filter(created_at__gte=start, created_at__lt=end).order_by()
    totals = {
        "operations": Count("pk"),
        "generations": generations_count(),
        "planning": Count("pk", filter=Q(operation_type=OperationType.PLANNING)),
        "tokens": Coalesce(Sum("tokens_used"), 0),
        "cost": _money_sum(),
    }
    users = list(
        logs.values(email=F("user__email"), tier=F("user__subscription_tier"))
        .annotate(**totals)
        .order_by("-cost", "email")
    )
    projects = list(
        logs.values(project_name=F("project__name"), project_key=F("project_id"), email=F("user__email"))
        .annotate(**totals)
        .order_by("-cost", "email", "project_name")
    )
    return {"users": users, "projects": projects}
