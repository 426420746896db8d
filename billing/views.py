"""The signed-in user's usage page, CSV export and plans page. Only ever the signed-in user's own data."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponseBadRequest, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from accounts.forms import UpgradeRequestForm
from accounts.selectors import upgrade_request_pending, upgrade_requests_recent
from accounts.services import UpgradeError, upgrade_request_create
from accounts.tiers import TIER_ORDER, TIERS, tiers_above
from billing import charts, selectors
from billing.csvsafe import csv_lines


@login_required
@require_GET
def usage(request):
    user = request.user
    now = timezone.now()
    summary = selectors.usage_month_summary(user, now)
    daily = selectors.usage_daily_totals(user, now)
    monthly = selectors.usage_monthly_totals(user, now)
    today = timezone.localtime(now).date()
    measures = ("generations", "tokens", "cost")
    context = {
        "summary": summary,
        "own_key": selectors.usage_own_key_month(user, now),
        # One row per day / month: (date, generations, tokens, cost), for the tables under the charts.
        "daily": [(d, g, t, c) for (d, g), (_, t), (_, c) in zip(*(daily[m] for m in measures), strict=True)],
        "monthly": [
            (d, g, t, c) for (d, g), (_, t), (_, c) in zip(*(monthly[m] for m in measures), strict=True)
        ],
        "daily_charts": [
            {
                "measure": m,
                "title": charts.MEASURES[m]["title"],
                "svg": charts.daily_chart(m, daily[m], today),
            }
            for m in measures
        ],
        "monthly_charts": [
            {
                "measure": m,
                "title": charts.MEASURES[m]["title"],
                "svg": charts.monthly_chart(m, monthly[m], summary.start.date()),
            }
            for m in measures
        ],
        "by_project": selectors.usage_by_project(user, now),
        "by_tier": selectors.usage_by_model_tier(user, now),
        "recent_jobs": selectors.usage_recent_jobs(user),
        "this_month": summary.start.strftime("%Y-%m"),
    }
    return render(request, "billing/usage.html", context)


@login_required
@require_GET
def usage_export(request):
    """The user's usage logs as CSV: all of them, or one month with ?month=YYYY-MM."""
    month = request.GET.get("month", "").strip()
    start = end = None
    if month:
        try:
            start, end = selectors.parse_month(month)
        except ValueError as exc:
            return HttpResponseBadRequest(str(exc), content_type="text/plain; charset=utf-8")
    rows = selectors.usage_export_rows(request.user, start, end)
    response = StreamingHttpResponse(
        csv_lines(selectors.EXPORT_HEADER, rows), content_type="text/csv; charset=utf-8"
    )
    name = f"narraforge-usage-{month or 'all'}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
@require_http_methods(["GET", "POST"])
def plans(request):
    """The tiers, what each allows, this month's use, and a request for a bigger plan (staff approve it)."""
    user = request.user
    form = UpgradeRequestForm(request.POST or None, user=user)
    if request.method == "POST" and form.is_valid():
        try:
            upgrade_request_create(user=user, tier=form.cleaned_data["tier"], note=form.cleaned_data["note"])
        except UpgradeError as exc:
            form.add_error(None, str(exc))
        else:
            label = TIERS[form.cleaned_data["tier"]].label
            messages.success(
                request, f"Your request for {label} is with staff. This page shows when it is answered."
            )
            return redirect("billing:plans")
    current = user.subscription_tier or "free"
    above = tiers_above(current)
    context = {
        "summary": selectors.usage_month_summary(user),
        "tiers": [
            {"tier": TIERS[name], "current": name == current, "bigger": name in above} for name in TIER_ORDER
        ],
        "form": form,
        "can_request": bool(above),
        "pending": upgrade_request_pending(user=user),
        "history": upgrade_requests_recent(user=user),
    }
    status = 422 if request.method == "POST" else 200
    return render(request, "billing/plans.html", context, status=status)
