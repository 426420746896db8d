"""Operators cancel and resume jobs from the admin, through the same services as writers."""

import pytest
from django.urls import reverse

from jobs.models import GenerationJob, JobStatus
from jobs.services import job_create
from projects.services import project_create

BRIEF = {
    "production_type": "short_story",
    "genre": "mystery",
    "inspiration": "A clockmaker hears a confession in the ticking.",
    "target_words": 5000,
}


@pytest.fixture
def queued_job(owner, django_capture_on_commit_callbacks):
    project = project_create(user=owner, name="Clocks")
    with django_capture_on_commit_callbacks(execute=False):
        return job_create(user=owner, project=project, brief=BRIEF)


@pytest.mark.django_db
def test_staff_cancel_a_queued_job_from_the_admin(client, staff, queued_job):
    client.force_login(staff)
    url = reverse("admin:jobs_generationjob_changelist")
    response = client.post(url, {"action": "cancel_jobs", "_selected_action": [queued_job.id]}, follow=True)
    assert response.status_code == 200
    queued_job.refresh_from_db()
    assert queued_job.status == JobStatus.CANCELLED
    assert "1 job(s) cancelled" in response.content.decode()


@pytest.mark.django_db
def test_resuming_a_job_that_cannot_resume_is_reported_not_done(client, staff, queued_job):
    client.force_login(staff)
    url = reverse("admin:jobs_generationjob_changelist")
    response = client.post(url, {"action": "resume_jobs", "_selected_action": [queued_job.id]}, follow=True)
    queued_job.refresh_from_db()
    assert queued_job.status == JobStatus.QUEUED
    assert queued_job.id[:8] in response.content.decode()


@pytest.mark.django_db
def test_writers_cannot_reach_the_jobs_admin(client, owner, queued_job):
    client.force_login(owner)
    response = client.get(reverse("admin:jobs_generationjob_changelist"))
    assert response.status_code == 302
    assert GenerationJob.objects.get(pk=queued_job.pk).status == JobStatus.QUEUED
