"""The usage page and CSV export: the signed-in user's own data only; CSV safe for spreadsheets."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse

from billing.csvsafe import safe_cell
from billing.tests.helpers import complete, end_after_spending

USAGE = "/usage/"
EXPORT = "/usage/export.csv"


def csv_rows(response) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode()
    return list(csv.reader(io.StringIO(body)))


@pytest.fixture
def two_users_usage(owner, other_user, make_project, new_job):
    mine = make_project(owner, "Lighthouse Saga")
    theirs = make_project(other_user, "Secret Other Project")
    end_after_spending(new_job(owner, mine), 1.75)
    complete(new_job(owner, mine))
    end_after_spending(new_job(other_user, theirs), 6.5)
    return mine, theirs


def test_it_serves_usage_and_export_at_their_documented_urls():
    assert reverse("billing:usage") == USAGE
    assert reverse("billing:export") == EXPORT


@pytest.mark.parametrize("url", [USAGE, EXPORT])
def test_anonymous_is_sent_to_sign_in(client, db, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_usage_page_shows_only_my_usage(client, owner, two_users_usage):
    client.force_login(owner)
    response = client.get(USAGE)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Lighthouse Saga" in html
    assert "Secret Other Project" not in html and "$6.50" not in html
    assert "$1.75" in html  # this month's spend
    assert "/ 5" in html and "3 left" in html  # 2 of 5 generations
    assert '<svg class="chart" id="chart-daily-cost"' in html and 'role="img"' in html
    assert '<title id="chart-daily-cost-title">Cost per day' in html and "chart-daily-cost-desc" in html
    assert '<title id="chart-monthly-cost-title">Cost per month' in html
    assert "style=" not in html.split("<main", 1)[1]  # strict CSP: no inline styles
    assert 'href="/usage/"' in html and 'aria-current="page"' in html  # nav link


def test_staff_sees_only_their_own_usage(client, staff, two_users_usage):
    client.force_login(staff)
    html = client.get(USAGE).content.decode()
    assert "Lighthouse Saga" not in html and "Secret Other Project" not in html
    rows = csv_rows(client.get(EXPORT))
    assert len(rows) == 1  # header only


def test_enterprise_page_says_unlimited(client, owner):
    from accounts.services import user_set_tier

    user_set_tier(user=owner, tier="enterprise")
    client.force_login(owner)
    html = client.get(USAGE).content.decode()
    assert "Unlimited" in html and "Enterprise" in html


def test_csv_export_is_mine_only(client, owner, two_users_usage):
    client.force_login(owner)
    response = client.get(EXPORT)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = csv_rows(response)
    header, data = rows[0], rows[1:]
    assert header[0] == "created_at_utc" and header[-1] == "cost_usd"
    assert len(data) == 2
    assert {r[3] for r in data} == {"Lighthouse Saga"}
    assert sorted(float(r[-1]) for r in data) == [0.0, 1.75]
    assert all(r[4] and r[4] in {j.pk for j in owner.jobs.all()} for r in data)


def test_csv_month_filter_and_bad_month(client, owner, two_users_usage):
    from django.utils import timezone

    client.force_login(owner)
    this_month = timezone.now().strftime("%Y-%m")
    assert len(csv_rows(client.get(EXPORT, {"month": this_month}))) == 3
    assert len(csv_rows(client.get(EXPORT, {"month": "2001-01"}))) == 1
    bad = client.get(EXPORT, {"month": "November"})
    assert bad.status_code == 400 and b"YYYY-MM" in bad.content


@pytest.mark.parametrize(
    "name",
    ['=HYPERLINK("http://evil.example","click")', "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(A1:A9)"],
)
def test_csv_neutralises_formulas(client, owner, make_project, new_job, name):
    project = make_project(owner, name)
    end_after_spending(new_job(owner, project), 0.5)
    client.force_login(owner)
    (row,) = csv_rows(client.get(EXPORT))[1:]
    assert row[3] == "'" + name


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@x", "'@x"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("\uff1d1+1", "'\uff1d1+1"),
        ("plain", "plain"),
        ("a=b", "a=b"),
        ("", ""),
        (-1.5, -1.5),
        (3, 3),
    ],
)
def test_it_neutralises_a_csv_cell_that_a_spreadsheet_would_run(value, expected):
    assert safe_cell(value) == expected
