"""The ops status page: each connection's jobs and error rate over the last 24 hours, for staff only."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from connections.models import JobConnection
from connections.services import connection_create
from jobs.models import GenerationJob, JobRuntime
from narraforge.status import connection_errors
from projects.services import project_create

pytestmark = pytest.mark.django_db

BRIEF = {"production_type": "short_story", "genre": "fantasy", "inspiration": "A map drawn in salt."}


def _job(user, project, status, *, conn=None, cause="", hours_ago=1):
    job = GenerationJob.objects.create(user=user, project=project, production_brief=BRIEF, status=status)
    GenerationJob.objects.filter(pk=job.pk).update(created_at=timezone.now() - dt.timedelta(hours=hours_ago))
    JobRuntime.objects.create(job=job, failure_cause=cause)
    JobConnection.objects.create(
        job=job,
        connection=conn,
        own_key=conn is not None,
        name=conn.name if conn else "Server default",
        engine="openai",
    )
    return job


def test_each_connection_shows_its_jobs_and_error_rate_over_the_last_day(client, staff, owner, other_user):
    mine = connection_create(
        user=owner, name="Olive's vLLM", base_url="http://gpu.example.com/v1", model_mini="m", model_gpt4="g"
    )
    p_owner, p_other = project_create(user=owner, name="A"), project_create(user=other_user, name="B")
    for status in ("completed", "completed", "completed"):
        _job(other_user, p_other, status)
    _job(other_user, p_other, "failed", cause="model_error")
    _job(other_user, p_other, "failed", cause="model_error", hours_ago=30)  # outside the window
    _job(owner, p_owner, "completed", conn=mine)
    _job(owner, p_owner, "failed", conn=mine, cause="model_auth")
    _job(owner, p_owner, "failed", conn=mine, cause="worker_lost")
    _job(owner, p_owner, "cancelled", conn=mine, cause="cancelled")

    rows = {c.name: c for c in connection_errors(hours=24)}
    server, own = rows["Server default"], rows["Olive's vLLM"]
    assert (server.jobs, server.ended, server.failed, server.model_failures) == (4, 4, 1, 1)
    assert server.error_rate == pytest.approx(0.25) and server.owner == ""
    assert (own.jobs, own.ended, own.failed, own.model_failures) == (4, 3, 2, 1)
    assert own.error_rate == pytest.approx(2 / 3) and own.owner == "owner@example.com"

    client.force_login(staff)
    html = client.get("/ops/status/").content.decode()
    assert "Model connections, last 24 hours" in html
    assert "Olive&#x27;s vLLM" in html and "owner@example.com" in html
    assert "67 %" in html and "25 %" in html


def test_writers_cannot_open_the_status_page(client, owner):
    client.force_login(owner)
    response = client.get("/ops/status/", follow=True)
    assert response.status_code == 403
    assert "Model connections" not in response.content.decode()
