"""The signed-in user's usage page and CSV export. Only ever the signed-in user's own data."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpResponseBadRequest, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from billing import charts, selectors
from billing.csvsafe import csv_lines


@login_required
@require_GET
def usage(request):
    user = request.user
    now = timezone.now()
    summary = selectors.usage_month_summary(user, now)
    daily = selectors.usage_daily_costs(user, now)
    monthly = selectors.usage_monthly_costs(user, now)
    today = timezone.localtime(now).date()
    context = {
        "summary": summary,
        "daily": daily,
        "monthly": monthly,
        "daily_chart": charts.daily_cost_chart(daily, today=today),
        "monthly_chart": charts.monthly_cost_chart(monthly, current=summary.start.date()),
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
