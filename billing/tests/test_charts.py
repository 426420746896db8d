import datetime as dt
import xml.etree.ElementTree as ET

from billing.charts import _nice_max, daily_cost_chart, monthly_cost_chart

SVG = "{http://www.w3.org/2000/svg}"


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg.replace("<svg ", '<svg xmlns="http://www.w3.org/2000/svg" ', 1))  # noqa: S314 (our own SVG)


def test_daily_chart_is_accessible_svg():
    days = [(dt.date(2026, 11, d), 0.0) for d in range(1, 31)]
    days[4] = (dt.date(2026, 11, 5), 2.5)
    root = parse(str(daily_cost_chart(days, today=dt.date(2026, 11, 24))))
    assert root.get("role") == "img"
    assert root.get("aria-labelledby") == "chart-daily-title chart-daily-desc"
    assert root.find(f"{SVG}title").text == "Cost per day, November 2026"
    desc = root.find(f"{SVG}desc").text
    assert "total $2.50" in desc and "05 Nov 2026" in desc
    bars = root.findall(f"{SVG}rect")
    assert len(bars) == 30
    assert bars[4].find(f"{SVG}title").text == "05 Nov 2026: $2.50"
    assert float(bars[4].get("height")) > 0 and float(bars[0].get("height")) == 0


def test_monthly_chart_escapes_and_handles_zero():
    months = [(dt.date(2026, m, 1), 0.0) for m in range(1, 13)]
    root = parse(str(monthly_cost_chart(months)))
    assert root.find(f"{SVG}title").text == "Cost per month, Jan 2026 to Dec 2026"
    assert "all $0" in root.find(f"{SVG}desc").text
    assert len(root.findall(f"{SVG}rect")) == 12


def test_it_rounds_a_chart_axis_up_to_a_nice_number():
    assert [_nice_max(v) for v in (0, 0.003, 0.7, 1, 3.2, 7, 42, 120)] == [1, 0.005, 1, 1, 5, 10, 50, 200]
