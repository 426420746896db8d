"""Fixtures for the security tests: an owner with one of everything, real job runs (offline engine)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

BRIEF = {
    "production_type": "short_story",
    "genre": "fantasy",
    "inspiration": "A lighthouse keeper finds a map drawn in salt.",
    "target_words": 5000,
}


def run_to_completion(job) -> None:
    from jobs.attempt import run_job
    from jobs.models import GenerationJob

    job = GenerationJob.objects.get(pk=job.pk)
    assert run_job(job.pk, job.rq_job_id) == "completed"


SUBMISSION_KEY = "0wnersf0rmkey0001"


def make_owned(
    user,
    *,
    brief: dict | None = None,
    name: str = "Owner's secret saga",
    description: str = "A description only its owner may read.",
    instructions: str = "Make the keeper braver in the second act.",
) -> SimpleNamespace:
    """A project with a world, a completed job and its narrative, a queued revision job, and a model
    connection (not the default: the jobs are the offline engine's)."""
    from connections.services import connection_create
    from jobs.services import job_create, job_create_revision
    from projects.models import Project, World
    from projects.services import project_create

    project = project_create(user=user, name=name, description=description)
    # Started from a form, so its one-time key names it too (jobs/submitted/<key>/).
    job = job_create(
        user=user, project=project, brief=brief or BRIEF, submission_key=f"form:{SUBMISSION_KEY}"
    )
    run_to_completion(job)
    job.refresh_from_db()
    narrative = job.narratives.get()
    revision = job_create_revision(user=user, narrative=narrative, instructions=instructions)
    project = Project.objects.get(pk=project.pk)
    assert project.world_id, "the first narrative should have given the project a world"
    connection = connection_create(
        user=user,
        name=f"{name} endpoint",
        base_url="http://127.0.0.1:9/v1",  # nothing listens: a test button that ran would fail loudly
        api_key="sk-owner-only-0123456789abcdef",
        model_mini="owner-mini",
        model_gpt4="owner-big",
    )
    return SimpleNamespace(
        connection=connection,
        project=project,
        job=job,
        narrative=narrative,
        revision=revision,
        world=World.objects.get(pk=project.world_id),
    )


@pytest.fixture
def owned(owner):
    return make_owned(owner)


@pytest.fixture(autouse=True)
def _clear_rate_limits():
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()
