"""Continue the project's world or start a new one, from the generation form (issue 16 §7)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from jobs.attempt import run_job
from jobs.models import GenerationJob, JobRuntime
from jobs.services import job_create
from jobs.tests.conftest import SHORT_BRIEF
from narratives.models import Narrative
from projects.models import Project
from projects.selectors import world_for_project

# The task body runs in this process; its heartbeat thread has its own connection.
pytestmark = pytest.mark.django_db(transaction=True)

FORM = {**SHORT_BRIEF, "language": "en", "tone": "neutral", "structure": "three_act", "pov": "third_limited"}
FORM.update({"tense": "past", "polish": "flagged"})


def _first_story(owner, project) -> Narrative:
    job = job_create(user=owner, project=project, brief=SHORT_BRIEF)
    assert run_job(job.pk) != "skipped"
    project.refresh_from_db()
    return Narrative.objects.get(job=job)


@pytest.fixture
def canon(owner, project, redis_conn):
    _first_story(owner, project)
    world = world_for_project(project)
    assert world is not None
    return world


def test_the_form_says_which_world_and_cast_it_continues(owner_client, project, canon) -> None:
    html = owner_client.get(reverse("jobs:create", args=[project.pk])).content.decode()
    names = [c["name"] for c in canon["characters"]]
    assert f"This story continues <strong>{canon['world']['name']}</strong>, with {names[0]}" in html
    assert "Start a new world" in html and 'value="continue"' in html and "checked" in html


def test_a_project_without_a_world_offers_no_choice(owner_client, project) -> None:
    html = owner_client.get(reverse("jobs:create", args=[project.pk])).content.decode()
    assert "This story continues" not in html and "Start a new world" not in html


def test_continuing_puts_the_project_world_into_the_brief(owner_client, project, canon) -> None:
    response = owner_client.post(
        reverse("jobs:create", args=[project.pk]), {**FORM, "world_choice": "continue"}
    )
    job = GenerationJob.objects.order_by("-created_at").first()
    assert response.status_code == 302
    assert job.production_brief["world"]["world"]["name"] == canon["world"]["name"]
    assert JobRuntime.objects.get(pk=job.pk).world_mode == "continue"


def test_starting_a_new_world_writes_a_story_in_its_own_world_and_keeps_the_canon(
    owner_client, project, canon
) -> None:
    world_id = Project.objects.get(pk=project.pk).world_id
    response = owner_client.post(
        reverse("jobs:create", args=[project.pk]),
        {**FORM, "inspiration": "A glassblower's city floats above a sea of clouds.", "world_choice": "new"},
    )
    job = GenerationJob.objects.order_by("-created_at").first()
    assert response.status_code == 302
    assert job.production_brief.get("world") is None
    assert JobRuntime.objects.get(pk=job.pk).world_mode == "new"
    assert run_job(job.pk) != "skipped"
    story = Narrative.objects.get(job=job)
    assert story.metadata["world"]["name"] != canon["world"]["name"]
    # The project's canon is the one it had: a new world is this story's, not a replacement.
    project.refresh_from_db()
    assert project.world_id == world_id
    assert world_for_project(project)["world"]["name"] == canon["world"]["name"]


def test_an_unknown_world_choice_is_refused_and_starts_nothing(owner_client, project, canon) -> None:
    before = GenerationJob.objects.count()
    response = owner_client.post(reverse("jobs:create", args=[project.pk]), {**FORM, "world_choice": "merge"})
    assert response.status_code == 200 and "Select a valid choice" in response.content.decode()
    assert GenerationJob.objects.count() == before


def test_another_users_project_form_is_a_404(client, other_user, project, canon) -> None:
    client.force_login(other_user)
    assert client.get(reverse("jobs:create", args=[project.pk])).status_code == 404
    assert (
        client.post(reverse("jobs:create", args=[project.pk]), {**FORM, "world_choice": "new"}).status_code
        == 404
    )


@pytest.fixture
def owner_client(client, owner):
    client.force_login(owner)
    return client
