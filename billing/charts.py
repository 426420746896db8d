"""Server-rendered SVG bar charts: no JavaScript, no inline styles (the CSP forbids both).

Colours come from ``currentColor`` so the chart follows the page's light or
dark theme. Each chart is an ``<svg role="img">`` named by its ``<title>`` and
described by its ``<desc>`` (which states the total and the largest bar); every
bar carries its own ``<title>`` with the exact value. Templates also offer the
same numbers as a table for screen readers and keyboard users.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Sequence

from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

WIDTH = 600
HEIGHT = 250
PAD_LEFT = 60
PAD_RIGHT = 12
PAD_TOP = 14
PAD_BOTTOM = 36


def _f(value: float) -> str:
    return f"{value:.1f}"


def _nice_max(value: float) -> float:
    """A round axis maximum ≥ value: 1, 2, 2.5 or 5 × 10^n."""
    if value <= 0:
        return 1.0
    exp = math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        candidate = step * 10**exp
        if candidate >= value - 1e-12:
            return float(candidate)
    return float(10 ** (exp + 1))


def money_label(value: float) -> str:
    if value == 0:
        return "$0"
    if value < 0.01:
        return f"${value:.4f}"
    if value < 10:
        return f"${value:,.2f}"
    return f"${value:,.0f}"


def count_label(value: float) -> str:
    """Whole counts as they are, big ones shortened: 7, 1,250, 12.5k, 3.2M."""
    if value >= 1_000_000:
        return f"{value / 1_000_000:.1f}M".replace(".0M", "M")
    if value >= 10_000:
        return f"{value / 1_000:.1f}k".replace(".0k", "k")
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"


def _nice_count_max(value: float) -> float:
    """An axis maximum for counts whose quarter lines are whole numbers: 4, 8, 20, 40, 80, 200…"""
    if value <= 4:
        return 4.0
    return 4 * _nice_max(value / 4)


def bar_chart(
    *,
    chart_id: str,
    title: str,
    points: Sequence[tuple[dt.date, float]],
    label_for: Callable[[dt.date], str],
    tooltip_for: Callable[[dt.date], str],
    label_every: int = 1,
    highlight: dt.date | None = None,
    value_label: Callable[[float], str] = money_label,
    nothing: str = "all $0: no spend in this period",
    counts: bool = False,
) -> SafeString:
    values = [v for _, v in points]
    total = sum(values)
    top = (_nice_count_max if counts else _nice_max)(max(values, default=0.0))
    plot_w = WIDTH - PAD_LEFT - PAD_RIGHT
    plot_h = HEIGHT - PAD_TOP - PAD_BOTTOM
    n = max(len(points), 1)
    slot = plot_w / n
    bar_w = max(slot * 0.7, 1.0)

    if total > 0:
        peak_day, peak = max(points, key=lambda p: p[1])
        desc = (
            f"{len(points)} bars, total {value_label(total)}; "
            f"highest {value_label(peak)} ({tooltip_for(peak_day)})."
        )
    else:
        desc = f"{len(points)} bars, {nothing}."

    parts: list[str] = [
        format_html(
            '<svg class="chart" id="{}" viewBox="0 0 {} {}" width="100%" role="img" '
            'aria-labelledby="{}-title {}-desc" preserveAspectRatio="xMidYMid meet">',
            chart_id,
            WIDTH,
            HEIGHT,
            chart_id,
            chart_id,
        ),
        format_html('<title id="{}-title">{}</title>', chart_id, title),
        format_html('<desc id="{}-desc">{}</desc>', chart_id, desc),
    ]
    # Grid lines and y-axis labels: 0, ¼, ½, ¾, max.
    for i in range(5):
        value = top * i / 4
        y = PAD_TOP + plot_h - plot_h * i / 4
        parts.append(
            format_html(
                '<line x1="{}" x2="{}" y1="{}" y2="{}" stroke="currentColor" stroke-opacity="{}" '
                'stroke-width="1" aria-hidden="true"/>',
                PAD_LEFT,
                WIDTH - PAD_RIGHT,
                _f(y),
                _f(y),
                "0.35" if i == 0 else "0.12",
            )
        )
        parts.append(
            format_html(
                '<text x="{}" y="{}" text-anchor="end" font-size="13" fill="currentColor" '
                'fill-opacity="0.75" aria-hidden="true">{}</text>',
                PAD_LEFT - 6,
                _f(y + 4),
                value_label(value),
            )
        )
    for index, (day, value) in enumerate(points):
        x = PAD_LEFT + slot * index + (slot - bar_w) / 2
        h = 0.0 if value <= 0 else max(plot_h * value / top, 1.5)
        y = PAD_TOP + plot_h - h
        opacity = "0.9" if day == highlight else "0.6"
        parts.append(
            format_html(
                '<rect x="{}" y="{}" width="{}" height="{}" rx="2" fill="currentColor" '
                'fill-opacity="{}"><title>{}: {}</title></rect>',
                _f(x),
                _f(y),
                _f(bar_w),
                _f(h),
                opacity,
                tooltip_for(day),
                value_label(value),
            )
        )
        if index % label_every == 0 or index == len(points) - 1:
            parts.append(
                format_html(
                    '<text x="{}" y="{}" text-anchor="middle" font-size="13" fill="currentColor" '
                    'fill-opacity="0.75" aria-hidden="true">{}</text>',
                    _f(x + bar_w / 2),
                    HEIGHT - PAD_BOTTOM + 16,
                    label_for(day),
                )
            )
    parts.append("</svg>")
    return mark_safe("".join(str(p) for p in parts))  # noqa: S308 — every piece above is format_html-escaped


def daily_cost_chart(points: Sequence[tuple[dt.date, float]], today: dt.date | None = None) -> SafeString:
    month = points[0][0].strftime("%B %Y") if points else ""
    return bar_chart(
        chart_id="chart-daily",
        title=f"Cost per day, {month}",
        points=points,
        label_for=lambda d: str(d.day),
        tooltip_for=lambda d: d.strftime("%d %b %Y"),
        label_every=3,
        highlight=today,
    )


def monthly_cost_chart(points: Sequence[tuple[dt.date, float]], current: dt.date | None = None) -> SafeString:
    span = f"{points[0][0]:%b %Y} to {points[-1][0]:%b %Y}" if points else ""
    return bar_chart(
        chart_id="chart-monthly",
        title=f"Cost per month, {span}",
        points=points,
        label_for=lambda d: d.strftime("%b"),
        tooltip_for=lambda d: d.strftime("%B %Y"),
        highlight=current,
    )


# What each measure is called and how its values read; the usage page charts all three.
MEASURES = {
    "generations": {
        "title": "Generations",
        "label": count_label,
        "nothing": "none in this period",
        "counts": True,
    },
    "tokens": {
        "title": "Tokens",
        "label": count_label,
        "nothing": "no tokens in this period",
        "counts": True,
    },
    "cost": {
        "title": "Cost",
        "label": money_label,
        "nothing": "all $0: no spend in this period",
        "counts": False,
    },
}


def daily_chart(
    measure: str, points: Sequence[tuple[dt.date, float]], today: dt.date | None = None
) -> SafeString:
    spec = MEASURES[measure]
    month = points[0][0].strftime("%B %Y") if points else ""
    return bar_chart(
        chart_id=f"chart-daily-{measure}",
        title=f"{spec['title']} per day, {month}",
        points=points,
        label_for=lambda d: str(d.day),
        tooltip_for=lambda d: d.strftime("%d %b %Y"),
        label_every=5,
        highlight=today,
        value_label=spec["label"],
        nothing=spec["nothing"],
        counts=spec["counts"],
    )


def monthly_chart(
    measure: str, points: Sequence[tuple[dt.date, float]], current: dt.date | None = None
) -> SafeString:
    spec = MEASURES[measure]
    span = f"{points[0][0]:%b %Y} to {points[-1][0]:%b %Y}" if points else ""
    return bar_chart(
        chart_id=f"chart-monthly-{measure}",
        title=f"{spec['title']} per month, {span}",
        points=points,
        label_for=lambda d: d.strftime("%b"),
        tooltip_for=lambda d: d.strftime("%B %Y"),
        label_every=1,
        highlight=current,
        value_label=spec["label"],
        nothing=spec["nothing"],
        counts=spec["counts"],
    )
