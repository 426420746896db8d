"""The operator status page: staff only, the seed's monitoring figures, a fixed query count."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

BRIEF = {"production_type": "short_story", "genre": "fantasy", "inspiration": "A map drawn in salt."}


def _jobs(user, statuses):
    from jobs.models import GenerationJob
    from projects.services import project_create

    project = project_create(user=user, name="Ops")
    made = []
    for status in statuses:
        made.append(
            GenerationJob.objects.create(user=user, project=project, production_brief=BRIEF, status=status)
        )
    return made


@pytest.mark.django_db
def test_staff_see_the_monitoring_figures(client, staff, owner):
    from jobs.models import GenerationJob

    jobs = _jobs(owner, ["queued", "queued", "running", "completed", "completed", "completed", "failed"])
    two_days_ago = timezone.now() - dt.timedelta(days=2)
    GenerationJob.objects.filter(pk=jobs[-1].pk).update(created_at=two_days_ago)  # outside the 24 hours
    GenerationJob.objects.filter(pk=jobs[0].pk).update(created_at=timezone.now() - dt.timedelta(hours=3))
    client.force_login(staff)
    response = client.get("/ops/status/")
    assert response.status_code == 200
    html = response.content.decode()
    assert (
        'id="jobs-queued">2<' in html and 'id="jobs-completed">3<' in html and 'id="jobs-failed">0<' in html
    )
    assert 'id="oldest-queued">3' in html  # "3 hours"
    for table in ("users", "projects", "generation_jobs", "narratives", "usage_logs"):
        assert f"<td>{table}</td>" in html
    assert 'id="queue-high"' in html and 'id="queue-default"' in html
    assert 'href="/django-rq/"' in html
    assert "Queries running over 1 s" in html
    ctx = response.context
    assert ctx["database"].connections_total >= 1
    assert [q.name for q in ctx["queues"]] == ["high", "default"]
    assert all(not q.error for q in ctx["queues"])


@pytest.mark.django_db
def test_the_query_count_does_not_grow_with_the_data(client, staff, owner, other_user):
    client.force_login(staff)
    client.get("/ops/status/")  # warm: session, content types
    _jobs(owner, ["queued", "completed"])
    with CaptureQueriesContext(connection) as first:
        assert client.get("/ops/status/").status_code == 200
    _jobs(other_user, ["queued", "running", "failed", "cancelled"] * 5)
    with CaptureQueriesContext(connection) as second:
        assert client.get("/ops/status/").status_code == 200
    assert len(first) == len(second) <= 8, [q["sql"] for q in second.captured_queries]


@pytest.mark.django_db
def test_queue_figures_come_from_rq(client, staff, settings):
    import django_rq

    queue = django_rq.get_queue("high", commit_mode="auto")
    queue.connection.flushdb()
    try:
        queue.enqueue("jobs.tasks.reap_orphans_task")
        client.force_login(staff)
        high = next(q for q in client.get("/ops/status/").context["queues"] if q.name == "high")
        assert high.queued == 1 and high.workers == 0 and high.failed == 0
        assert high.oldest_enqueued_at is not None and timezone.is_aware(high.oldest_enqueued_at)
    finally:
        queue.connection.flushdb()


@pytest.mark.django_db
def test_redis_down_still_shows_the_database_side(client, staff, settings):
    # New dicts: the settings fixture restores RQ_QUEUES, not dicts changed in place.
    down = "redis://127.0.0.1:1/0"
    settings.RQ_QUEUES = {name: {**cfg, "URL": down} for name, cfg in settings.RQ_QUEUES.items()}
    client.force_login(staff)
    response = client.get("/ops/status/")
    assert response.status_code == 200
    assert "Redis unreachable" in response.content.decode()


@pytest.mark.django_db
def test_non_staff_are_refused_and_visitors_sent_to_sign_in(client, owner):
    response = client.get("/ops/status/")
    assert response.status_code == 302 and response["Location"].startswith("/admin/login/")
    response = client.get("/ops/status/", follow=True)
    assert response.redirect_chain[-1][0].startswith("/accounts/login/")
    client.force_login(owner)
    response = client.get("/ops/status/", follow=True)
    assert response.status_code == 403


@pytest.mark.django_db
def test_the_admin_index_links_to_the_status_page_and_django_rq(client, staff):
    client.force_login(staff)
    html = client.get("/admin/").content.decode()
    assert 'href="/ops/status/"' in html and 'href="/django-rq/"' in html
    assert "Site administration" in html  # still the stock index around it
