"""The job page says where it is in the book and formats its numbers (issue 19, "Progress")."""

import pytest
from django.urls import reverse

from jobs.models import JobRuntime, JobStatus
from narraforge.tests.ui_helpers import make_job
from projects.services import project_create

pytestmark = pytest.mark.django_db

SAGA = {"production_type": "epic_saga", "target_words": 500000}


@pytest.fixture
def project(owner):
    return project_create(user=owner, name="Tidewater")


def _page(client, user, job) -> str:
    client.force_login(user)
    return client.get(reverse("jobs:detail", args=[job.id])).content.decode()


def test_the_job_header_formats_the_length_and_language(client, owner, project):
    job = make_job(owner, project, brief=SAGA)
    html = _page(client, owner, job)
    assert "500,000 words" in html and "500000" not in html
    assert "Epic saga" in html and "English" in html


def test_a_drafting_job_shows_chapter_n_of_m_and_the_words_so_far(client, owner, project):
    job = make_job(owner, project, brief=SAGA, current_stage="sequential_generation")
    JobRuntime.objects.create(
        job=job, position={"stage": "sequential_generation", "chapter": 34, "chapters": 200, "words": 84210}
    )
    html = _page(client, owner, job)
    assert "Writing <strong>chapter 34 of 200</strong>" in html
    assert "84,210</strong> words written so far, of about 500,000" in html
    partial = client.get(
        reverse("jobs:progress", args=[job.id]), headers={"HX-Request": "true"}
    ).content.decode()
    assert "chapter 34 of 200" in partial


def test_after_drafting_the_page_says_all_chapters_are_drafted(client, owner, project):
    job = make_job(owner, project, current_stage="coherence_validation")
    JobRuntime.objects.create(
        job=job, position={"stage": "sequential_generation", "chapter": 3, "chapters": 3, "words": 5012}
    )
    html = _page(client, owner, job)
    assert "All 3 chapters</strong> drafted" in html and "5,012" in html


def test_a_stopped_job_says_where_it_stopped(client, owner, project):
    job = make_job(owner, project, status=JobStatus.CANCELLED, error_message="Cancelled.")
    JobRuntime.objects.create(
        job=job, position={"stage": "sequential_generation", "chapter": 2, "chapters": 3, "words": 1700}
    )
    assert "Stopped at <strong>chapter 2 of 3</strong>" in _page(client, owner, job)


def test_another_users_job_position_is_a_404(client, owner, other_user, project):
    job = make_job(owner, project)
    JobRuntime.objects.create(job=job, position={"stage": "x", "chapter": 1, "chapters": 2, "words": 3})
    client.force_login(other_user)
    assert client.get(reverse("jobs:progress", args=[job.id])).status_code == 404


@pytest.mark.django_db(transaction=True)  # the heartbeat thread has its own connection
def test_the_worker_reports_chapters_and_words_as_it_writes(owner, project, redis_conn, monkeypatch):
    """The real task body, in-process: every chapter is reported in order with the words so far."""
    from jobs import progress
    from jobs.attempt import run_job
    from jobs.services import job_create
    from narratives.models import Narrative

    monkeypatch.setenv("NF_PROGRESS_INTERVAL_SECONDS", "0")  # every report reaches the row
    brief = {"production_type": "short_story", "genre": "fantasy", "inspiration": "A map on a storm."}
    job = job_create(user=owner, project=project, brief=brief)
    seen: list[dict] = []
    original = progress.ProgressTracker.set_position

    def spy(self, position):
        seen.append(dict(position))
        original(self, position)

    monkeypatch.setattr(progress.ProgressTracker, "set_position", spy)
    outcome = run_job(job.pk)
    assert outcome == "completed", outcome
    job.refresh_from_db()
    assert job.status == "completed", (job.status, job.error_message)
    narrative = Narrative.objects.get(job_id=job.pk)
    drafting = [p for p in seen if p["stage"] == "sequential_generation"]
    chapters = drafting[-1]["chapters"]
    assert [p["chapter"] for p in drafting] == [*range(1, chapters + 1), chapters]
    assert drafting[0]["words"] == 0 and drafting[-1]["words"] > 4000
    assert [p["words"] for p in drafting] == sorted(p["words"] for p in drafting)
    assert abs(drafting[-1]["words"] - narrative.word_count) < narrative.word_count * 0.2
    assert JobRuntime.objects.get(pk=job.pk).position["stage"] == "language_stylization"
