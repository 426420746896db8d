"""The landing page and the dashboard."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from jobs.models import JobStatus
from narraforge.tests.ui_helpers import make_job, make_narrative
from projects.services import project_create

pytestmark = pytest.mark.django_db


def test_anonymous_gets_the_landing_page(client):
    response = client.get("/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "Create a free account" in html
    assert reverse("account_signup") in html


def test_dashboard_shows_projects_running_jobs_narratives_and_usage(client, owner, other_user):
    project = project_create(user=owner, name="Salt & <Iron>")
    make_job(owner, project, status=JobStatus.RUNNING)
    make_narrative(owner, project, title="First Light")
    theirs = project_create(user=other_user, name="Not Yours")
    make_narrative(other_user, theirs, title="Secret Tale")
    client.force_login(owner)
    html = client.get("/").content.decode()
    assert "Salt &amp; &lt;Iron&gt;" in html
    assert "First Light" in html
    assert "Sequential generation" in html or "sequential_generation" in html
    assert 'hx-get="/dashboard/running/"' in html
    assert "Not Yours" not in html and "Secret Tale" not in html
    assert "Usage this month" in html


def test_dashboard_does_not_poll_without_running_jobs(client, owner):
    client.force_login(owner)
    html = client.get("/").content.decode()
    assert 'hx-trigger="every' not in html
    assert "No projects yet" in html


def test_it_answers_an_htmx_poll_with_the_running_jobs_partial_only(client, owner):
    project = project_create(user=owner, name="P")
    make_job(owner, project, status=JobStatus.RUNNING)
    client.force_login(owner)
    response = client.get(reverse("dashboard-running"), headers={"HX-Request": "true"})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="running-jobs"' in html and "42%" in html
    assert "<html" not in html


def test_running_partial_requires_login(client):
    response = client.get(reverse("dashboard-running"))
    assert response.status_code == 302


def _fill(user, n):
    for i in range(n):
        project = project_create(user=user, name=f"Project {i}")
        job = make_job(user, project, status=JobStatus.RUNNING)
        make_narrative(user, project, job=job, title=f"Narrative {i}")


def _count(client, url):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_dashboard_query_count_is_fixed(client, make_user, settings):
    settings.NF_PAGE_CACHE_SECONDS = 0  # what building the page costs (a page-cache hit: tests/perf)
    one, many = make_user("one@example.com"), make_user("many@example.com")
    _fill(one, 1)
    _fill(many, 50)
    client.force_login(one)
    small = _count(client, "/")
    client.force_login(many)
    large = _count(client, "/")
    assert small == large
    assert large <= 8
