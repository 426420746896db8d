"""Project pages: access rules, forms, deletion, the world editor, query counts."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from jobs.models import GenerationJob, JobStatus
from narraforge.tests.ui_helpers import make_job, make_narrative
from narratives.models import Narrative
from projects.codex_services import codex_entry_create
from projects.models import Project, World
from projects.services import project_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def project(owner):
    return project_create(
        user=owner, name="Tidewater", description="A drowned city.", default_genre="fantasy"
    )


def _urls(project):
    return [
        ("get", reverse("projects:detail", args=[project.id])),
        ("get", reverse("projects:edit", args=[project.id])),
        ("post", reverse("projects:edit", args=[project.id])),
        ("get", reverse("projects:delete", args=[project.id])),
        ("post", reverse("projects:delete", args=[project.id])),
        ("get", reverse("projects:world", args=[project.id])),
        ("post", reverse("projects:world", args=[project.id])),
    ]


def test_anonymous_is_sent_to_login(client, project):
    for method, url in [
        ("get", reverse("projects:list")),
        ("get", reverse("projects:create")),
        *_urls(project),
    ]:
        response = getattr(client, method)(url)
        assert response.status_code == 302, url
        assert reverse("account_login") in response["Location"]


@pytest.mark.parametrize("who", ["other_user", "staff"])
def test_someone_elses_project_is_404(client, project, who, request):
    client.force_login(request.getfixturevalue(who))
    for method, url in _urls(project):
        assert getattr(client, method)(url).status_code == 404, url
    assert Project.objects.filter(pk=project.pk).exists()


def test_missing_project_is_404(client, owner):
    client.force_login(owner)
    assert client.get(reverse("projects:detail", args=["nope"])).status_code == 404


def test_list_shows_only_mine(client, owner, other_user, project):
    project_create(user=other_user, name="Elsewhere")
    client.force_login(owner)
    html = client.get(reverse("projects:list")).content.decode()
    assert "Tidewater" in html and "Elsewhere" not in html


def test_it_creates_a_project_and_shows_its_name_escaped(client, owner):
    client.force_login(owner)
    response = client.post(
        reverse("projects:create"),
        {
            "name": "New <b>World</b>",
            "description": "",
            "default_genre": "horror",
            "default_production_type": "novella",
        },
    )
    project = Project.objects.get(user=owner)
    assert response.status_code == 302
    assert response["Location"] == reverse("projects:detail", args=[project.id])
    assert project.default_genre == "horror"
    html = client.get(response["Location"]).content.decode()
    assert "New &lt;b&gt;World&lt;/b&gt;" in html
    assert "created" in html


def test_create_bad_form_writes_nothing(client, owner):
    client.force_login(owner)
    response = client.post(reverse("projects:create"), {"name": "   ", "default_genre": "cooking"})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'class="field__errors"' in html
    assert Project.objects.count() == 0


def test_it_saves_an_edited_project_and_clears_an_emptied_default(client, owner, project):
    client.force_login(owner)
    url = reverse("projects:edit", args=[project.id])
    assert "Tidewater" in client.get(url).content.decode()
    response = client.post(
        url,
        {"name": "Tidewater II", "description": "", "default_genre": "", "default_production_type": "novel"},
    )
    assert response.status_code == 302
    project.refresh_from_db()
    assert (
        project.name == "Tidewater II"
        and project.default_genre is None
        and project.default_production_type == "novel"
    )


def test_edit_bad_form_changes_nothing(client, owner, project):
    client.force_login(owner)
    response = client.post(reverse("projects:edit", args=[project.id]), {"name": "", "default_genre": "nope"})
    assert response.status_code == 200
    assert 'class="field__errors"' in response.content.decode()
    project.refresh_from_db()
    assert project.name == "Tidewater"


def test_delete_confirmation_says_what_goes(client, owner, project):
    job = make_job(owner, project, status=JobStatus.COMPLETED)
    make_narrative(owner, project, job=job)
    make_narrative(owner, project, job=job, title="Second")
    client.force_login(owner)
    html = client.get(reverse("projects:delete", args=[project.id])).content.decode()
    assert '<strong class="num">2</strong> narratives' in html
    assert '<strong class="num">1</strong> generation job' in html
    response = client.post(reverse("projects:delete", args=[project.id]))
    assert response.status_code == 302
    assert not Project.objects.filter(pk=project.pk).exists()
    assert Narrative.objects.count() == 0 and GenerationJob.objects.count() == 0


def test_delete_needs_post(client, owner, project):
    client.force_login(owner)
    client.get(reverse("projects:delete", args=[project.id]))
    assert Project.objects.filter(pk=project.pk).exists()


def test_detail_shows_narratives_jobs_world_and_statistics(client, owner, project):
    job = make_job(owner, project, status=JobStatus.COMPLETED)
    make_narrative(owner, project, job=job, title="Drowned Bells")
    Project.objects.filter(pk=project.pk).update(
        narrative_count=1, total_word_count=12345, total_cost_usd=1.5
    )
    world = World.objects.create(
        user=owner,
        name="Tidewater",
        bible={"theme": "Memory", "laws": ["Salt remembers"]},
        timeline=[{"when": "Year 1", "event": "The flood"}],
    )
    Project.objects.filter(pk=project.pk).update(world_id=world.pk)
    project.refresh_from_db()
    codex_entry_create(project=project, kind="character", name="Mira", role="archivist")
    client.force_login(owner)
    html = client.get(reverse("projects:detail", args=[project.id])).content.decode()
    for text in ("Drowned Bells", "12,345", "$1.50", "Salt remembers", "Mira", "The flood", "Edit world"):
        assert text in html, text
    assert reverse("jobs:create", args=[project.id]) in html


def test_world_edit_creates_and_updates_the_world(client, owner, project):
    client.force_login(owner)
    url = reverse("projects:world", args=[project.id])
    assert client.get(url).status_code == 200
    codex_entry_create(
        project=project, kind="character", name="Mira", role="archivist", goal="save the books"
    )
    codex_entry_create(project=project, kind="place", name="The Archive", description="a drowned library")
    data = {
        "name": "Tidewater",
        "theme": "Memory",
        "core_conflict": "The sea against the archive",
        "laws": "Salt remembers\nNo one swims at night",
        "boundaries": "No magic",
        "timeline": "Year 1: The flood\nThe bells fell silent",
    }
    response = client.post(url, data)
    assert response.status_code == 302
    project.refresh_from_db()
    world = World.objects.get(pk=project.world_id)
    assert world.user == owner
    assert world.bible["laws"] == ["Salt remembers", "No one swims at night"]
    # The cast and the places are the codex's: the world form keeps them as they are.
    assert world.bible["locations"] == [{"name": "The Archive", "description": "a drowned library"}]
    assert world.characters == [{"name": "Mira", "role": "archivist", "goal": "save the books"}]
    assert world.timeline[0] == {"when": "Year 1", "event": "The flood"}
    client.post(url, {**data, "theme": "Loss"})
    assert World.objects.count() == 1
    assert World.objects.get().characters[0]["name"] == "Mira"


def test_world_edit_bad_form_writes_nothing(client, owner, project):
    client.force_login(owner)
    response = client.post(reverse("projects:world", args=[project.id]), {"name": ""})
    assert response.status_code == 200
    assert "This field is required." in response.content.decode()
    assert World.objects.count() == 0


def _fill(user, n):
    project = project_create(user=user, name="Big")
    for i in range(n):
        job = make_job(user, project, status=JobStatus.COMPLETED)
        make_narrative(user, project, job=job, title=f"N{i}")
    return project


def test_detail_query_count_is_fixed(client, make_user):
    one, many = make_user("one@example.com"), make_user("many@example.com")
    small_project, large_project = _fill(one, 1), _fill(many, 50)
    counts = []
    for user, project in ((one, small_project), (many, large_project)):
        client.force_login(user)
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(reverse("projects:detail", args=[project.id])).status_code == 200
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1]


def test_list_query_count_is_fixed(client, make_user):
    one, many = make_user("one@example.com"), make_user("many@example.com")
    project_create(user=one, name="A")
    for i in range(50):
        project_create(user=many, name=f"P{i}")
    counts = []
    for user in (one, many):
        client.force_login(user)
        with CaptureQueriesContext(connection) as ctx:
            client.get(reverse("projects:list"))
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1]
