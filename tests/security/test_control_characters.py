"""Control characters (\\x01, \\x1b ...) never get in: every form and every service strips them.

They are invisible, break EPUB/DOCX exports (XML cannot hold them) and would
drive a terminal; the original report: a title or brief holding them made
the EPUB and DOCX downloads answer 500.
"""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from jobs.models import GenerationJob
from narraforge.tests.ui_helpers import make_narrative, make_planning_job, offline_plan
from projects.models import Project

pytestmark = pytest.mark.django_db

CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
DIRTY = "Salt\x01 and \x1b[31mFire\x1b[0m\x07"


def _clean(value) -> bool:
    """True when no string anywhere in ``value`` (keys included) holds a control character."""
    if isinstance(value, str):
        return not CONTROL.search(value)
    if isinstance(value, dict):
        return all(_clean(k) and _clean(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return all(_clean(v) for v in value)
    return True


def test_the_cleaner_keeps_text_emoji_and_line_breaks_and_drops_controls_and_escapes():
    from narraforge.textclean import clean_data, strip_control_chars

    assert strip_control_chars(DIRTY) == "Salt and Fire"
    assert strip_control_chars("a\r\nb\tc\x00d\x85e") == "a\nb\tcd\ne"
    assert strip_control_chars("one\ntwo\tthree", multiline=False) == "one two three"
    assert strip_control_chars("👩\u200d🚀 ❤\ufe0f Zażółć") == "👩\u200d🚀 ❤\ufe0f Zażółć"
    assert clean_data({"a\x01": ["b\x1b[1m", {"c": "d\x7f"}], "n": 3}) == {"a": ["b", {"c": "d"}], "n": 3}


def test_the_project_form_strips_them_and_keeps_the_description_lines(client, owner):
    client.force_login(owner)
    response = client.post(
        reverse("projects:create"), {"name": DIRTY, "description": "Line one\x02\nLine two\x1b"}
    )
    assert response.status_code == 302
    project = Project.objects.get(user=owner)
    assert project.name == "Salt and Fire"
    assert project.description == "Line one\nLine two"


def test_a_project_name_of_only_control_characters_is_refused_like_an_empty_one(client, owner):
    client.force_login(owner)
    response = client.post(reverse("projects:create"), {"name": "\x01\x02\x1b"})
    assert response.status_code == 200
    assert "This field is required." in response.content.decode()
    assert not Project.objects.exists()


def test_the_profile_form_strips_them_from_the_name_exports_print(client, owner):
    client.force_login(owner)
    client.post(reverse("accounts:profile"), {"full_name": "Olive\x01 Owner\x1b[0m", "avatar_url": ""})
    owner.refresh_from_db()
    assert owner.full_name == "Olive Owner"


def test_services_strip_them_for_commands_too(owner):
    from narratives.services import narrative_rename
    from projects.codex_services import codex_entry_create
    from projects.services import project_create, project_update, world_update

    project = project_create(user=owner, name=DIRTY, description="a\x01b")
    assert (project.name, project.description) == ("Salt and Fire", "ab")
    project_update(project=project, name="New\x1b[2J name")
    assert Project.objects.get(pk=project.pk).name == "New name"
    world = world_update(
        project=project,
        name="World\x01",
        bible={"laws": ["Salt\x07 remembers"]},
        timeline=[],
    )
    codex_entry_create(project=project, kind="character", name="Mara\x1b", description="Grey\x07 eyes")
    world.refresh_from_db()
    assert (world.name, world.bible["laws"], world.characters[0]["name"]) == (
        "World",
        ["Salt remembers"],
        "Mara",
    )
    narrative = make_narrative(owner, project)
    narrative_rename(narrative=narrative, title="Retitled\x01\x1b[0m")
    narrative.refresh_from_db()
    assert narrative.title == "Retitled"


def test_the_world_form_strips_them(client, owner):
    from projects.services import project_create

    project = project_create(user=owner, name="Coast")
    client.force_login(owner)
    data = {
        "name": "Salt\x01 Coast",
        "theme": "Debt\x1b[1m",
        "core_conflict": "",
        "laws": "Salt\x07 remembers\nNo\x08 lies",
        "boundaries": "",
        "timeline": "",
    }
    response = client.post(reverse("projects:world", args=[project.pk]), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    from projects.models import World

    project.refresh_from_db()
    world = World.objects.get(pk=project.world_id)
    assert world.name == "Salt Coast"
    assert _clean(world.bible)
    assert world.bible["laws"] == ["Salt remembers", "No lies"]
    response = client.post(
        reverse("projects:codex-add", args=[project.pk, "character"]),
        {"name": "Mara\x1b", "role": "keeper\x02", "aliases": "Ma\x07ra's, M"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    world.refresh_from_db()
    assert _clean(world.characters)
    assert world.characters[0]["name"] == "Mara" and world.characters[0]["role"] == "keeper"


def test_the_generation_form_and_job_create_strip_them_from_the_brief(client, owner, redis_conn):
    from jobs.services import job_create
    from projects.services import project_create

    project = project_create(user=owner, name="Coast")
    client.force_login(owner)
    response = client.post(
        reverse("jobs:create", args=[project.pk]),
        {
            "production_type": "short_story",
            "genre": "fantasy",
            "title": "The\x01 Keeper\x1b[0m",
            "inspiration": "A keeper\x1b[31m finds\x07 a map.\nDrawn in salt.",
            "language": "en",
            "target_words": "5000",
            "tone": "neutral",
            "structure": "three_act",
            "pov": "third_limited",
            "tense": "past",
            "world_notes": "No\x08 magic",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    brief = GenerationJob.objects.get(user=owner).production_brief
    assert brief["title"] == "The Keeper"
    assert brief["inspiration"] == "A keeper finds a map.\nDrawn in salt."
    assert brief["world_notes"] == "No magic"

    # The service alone (what `manage.py forge --user` and any other caller reach).
    job = job_create(
        user=owner,
        project=project,
        brief={"production_type": "short_story", "genre": "fantasy", "inspiration": "Salt\x01\x1b[2J road"},
    )
    assert job.production_brief["inspiration"] == "Salt road"


def test_the_plan_editor_strips_them(client, owner, django_capture_on_commit_callbacks):
    from jobs.tests.test_views import _plan_post
    from projects.services import project_create

    project = project_create(user=owner, name="Coast")
    job = make_planning_job(owner, project)
    client.force_login(owner)
    data = _plan_post(
        offline_plan(), **{"seg-0-summary": "An\x01 edited\x1b[1m summary.", "world-theme": "Loss\x07"}
    )
    with django_capture_on_commit_callbacks(execute=False):
        response = client.post(reverse("jobs:plan", args=[job.id]), data)
    assert response.status_code == 302
    plan = GenerationJob.objects.exclude(pk=job.pk).get().runtime.plan
    assert plan["segments"][0]["summary"] == "An edited summary."
    assert plan["world"]["theme"] == "Loss"
    assert _clean(plan)


def test_rename_and_revise_forms_strip_them(client, owner, redis_conn):
    from tests.security.conftest import make_owned

    owned = make_owned(owner)
    client.force_login(owner)
    response = client.post(reverse("narratives:rename", args=[owned.narrative.pk]), {"title": DIRTY})
    assert response.status_code in (200, 302)
    owned.narrative.refresh_from_db()
    assert owned.narrative.title == "Salt and Fire"

    before = set(GenerationJob.objects.values_list("pk", flat=True))
    response = client.post(
        reverse("narratives:revise", args=[owned.narrative.pk]),
        {"instructions": "Make the\x01 ending\x1b[31m darker, please.", "all_chapters": "on"},
    )
    assert response.status_code in (200, 302)
    new = GenerationJob.objects.exclude(pk__in=before).get()
    assert new.runtime.scope["instructions"] == "Make the ending darker, please."


def test_a_brief_with_control_characters_ends_in_exports_that_all_download(client, owner, redis_conn):
    """The report itself: control characters in the title and brief, then every export."""
    from jobs.services import job_create
    from projects.services import project_create
    from tests.security.conftest import run_to_completion

    project = project_create(user=owner, name="Salt\x01 Coast")
    brief = {
        "production_type": "short_story",
        "genre": "fantasy",
        "title": "The\x01 Keeper\x1b",
        "inspiration": "A lighthouse\x1b[31m keeper finds a map\x01 drawn in salt.",
        "target_words": 5000,
    }
    job = job_create(user=owner, project=project, brief=brief)
    run_to_completion(job)
    narrative = GenerationJob.objects.get(pk=job.pk).narratives.get()
    assert narrative.title == "The Keeper"
    assert _clean(narrative.narrative_text)
    client.force_login(owner)
    for fmt in ("txt", "md", "epub", "docx", "pdf"):
        response = client.get(reverse("narratives:download", args=[narrative.pk, fmt]))
        assert response.status_code in (200, 202, 302), (fmt, response.status_code)
