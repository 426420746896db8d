"""One click, one job (issue 11 §3): every POST that starts a job is idempotent on the server."""

from __future__ import annotations

import threading

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from billing.services import remaining_generations
from jobs.models import GenerationJob, JobRuntime, JobStatus
from jobs.submissions import ALREADY_STARTED
from jobs.tests.test_views import FORM, _plan_post
from narraforge.tests.ui_helpers import make_job, make_narrative, make_planning_job, offline_plan
from projects.services import project_create


@pytest.fixture
def project(owner):
    return project_create(user=owner, name="Tidewater")


def _key(html: str) -> str:
    marker = 'name="submission_key" value="'
    assert marker in html, "the form carries no one-time key"
    return html.split(marker, 1)[1].split('"', 1)[0]


@pytest.mark.django_db(transaction=True)
def test_a_double_clicked_start_writing_makes_one_job_and_takes_one_generation(owner, project, redis_conn):
    page = Client()
    page.force_login(owner)
    html = page.get(reverse("jobs:create", args=[project.id])).content.decode()
    data = {**FORM, "submission_key": _key(html)}
    assert 'data-busy-label="Starting…"' in html  # the button says it is working after the first click

    barrier = threading.Barrier(2)
    responses = []

    def click() -> None:
        client = Client()
        client.force_login(owner)
        barrier.wait(timeout=10)
        try:
            responses.append(client.post(reverse("jobs:create", args=[project.id]), data))
        finally:
            connection.close()

    threads = [threading.Thread(target=click) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    job = GenerationJob.objects.get()  # exactly one job
    assert [r.status_code for r in responses] == [302, 302]
    assert {r["Location"] for r in responses} == {reverse("jobs:detail", args=[job.id])}
    owner.refresh_from_db()
    assert remaining_generations(owner) == 4  # one of five generations taken, not two

    # The back button and a resubmit of the same page: still that one job, and the writer is told.
    again = page.post(reverse("jobs:create", args=[project.id]), data, follow=True)
    assert GenerationJob.objects.count() == 1
    assert ALREADY_STARTED in again.content.decode()
    # A fresh form is a new submission.
    html = page.get(reverse("jobs:create", args=[project.id])).content.decode()
    page.post(reverse("jobs:create", args=[project.id]), {**FORM, "submission_key": _key(html)})
    assert GenerationJob.objects.count() == 2


@pytest.mark.django_db
def test_a_repeated_post_without_a_key_within_seconds_is_the_same_submission(
    client, owner, project, django_capture_on_commit_callbacks
):
    client.force_login(owner)
    with django_capture_on_commit_callbacks(execute=False):
        first = client.post(reverse("jobs:create", args=[project.id]), FORM)
        second = client.post(reverse("jobs:create", args=[project.id]), FORM)
        other = client.post(reverse("jobs:create", args=[project.id]), {**FORM, "title": "Another"})
    assert first["Location"] == second["Location"] != other["Location"]
    assert GenerationJob.objects.count() == 2


@pytest.mark.django_db
def test_a_double_posted_resume_resumes_once(client, owner, project, django_capture_on_commit_callbacks):
    job = make_job(owner, project, status=JobStatus.FAILED, can_resume=True, error_message="Stopped.")
    JobRuntime.objects.create(job=job, checkpoint={"completed_stages": ["brief_interpretation"]})
    client.force_login(owner)
    html = client.get(reverse("jobs:detail", args=[job.id])).content.decode()
    data = {"submission_key": _key(html)}
    assert 'data-busy-label="Resuming…"' in html
    with django_capture_on_commit_callbacks(execute=False):
        client.post(reverse("jobs:resume", args=[job.id]), data)
        second = client.post(reverse("jobs:resume", args=[job.id]), data, follow=True)
    job.refresh_from_db()
    assert job.status == JobStatus.QUEUED and job.retry_count == 1
    assert ALREADY_STARTED in second.content.decode() and "alert--error" not in second.content.decode()


@pytest.mark.django_db
def test_a_double_posted_write_it_starts_one_draft(
    client, owner, project, django_capture_on_commit_callbacks
):
    planning = make_planning_job(owner, project)
    client.force_login(owner)
    html = client.get(reverse("jobs:plan", args=[planning.id])).content.decode()
    assert 'data-busy-label="Starting…"' in html
    data = {**_plan_post(offline_plan(), op="write"), "submission_key": _key(html)}
    with django_capture_on_commit_callbacks(execute=False):
        first = client.post(reverse("jobs:plan", args=[planning.id]), data)
        second = client.post(reverse("jobs:plan", args=[planning.id]), data)
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"]
    assert GenerationJob.objects.exclude(pk=planning.pk).count() == 1


@pytest.mark.django_db
def test_a_double_posted_revision_starts_one_job(client, owner, project, django_capture_on_commit_callbacks):
    source = make_job(owner, project, status=JobStatus.COMPLETED)
    narrative = make_narrative(
        owner, project, job=source, metadata={"language": "en", "plan": offline_plan()}
    )
    client.force_login(owner)
    html = client.get(reverse("narratives:revise", args=[narrative.pk])).content.decode()
    data = {"instructions": "Make the ending darker.", "all_chapters": "on", "submission_key": _key(html)}
    with django_capture_on_commit_callbacks(execute=False):
        first = client.post(reverse("narratives:revise", args=[narrative.pk]), data)
        second = client.post(reverse("narratives:revise", args=[narrative.pk]), data)
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"]
    assert GenerationJob.objects.exclude(pk=source.pk).count() == 1
    # The versions page starts no job itself: it links to the revise page (whose form has the key).
    html = client.get(reverse("narratives:versions", args=[narrative.pk])).content.decode()
    assert reverse("narratives:revise", args=[narrative.pk]) in html
