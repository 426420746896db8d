"""Plan review edits the story's codex: rename, add and remove characters and places, keep lore."""

from __future__ import annotations

import pytest
from django.http import QueryDict
from django.urls import reverse

from jobs.models import GenerationJob, JobStatus
from jobs.services import job_create, job_draft_from_plan
from jobs.tests.conftest import SHORT_BRIEF, wait_for
from narraforge.tests.ui_helpers import make_planning_job, offline_plan
from narratives.models import Narrative


def _post(plan, op="write", lore=(), **overrides):
    """Everything the plan-review page submits, as it drew the plan."""
    data = {
        "op": op,
        "seg-count": str(len(plan["segments"])),
        "char-count": str(len(plan["characters"])),
        "loc-count": str(len(plan["world"]["locations"])),
        "lore-count": str(len(lore)),
        "world-name": plan["world"]["name"],
        "world-theme": plan["world"]["theme"],
        "world-core_conflict": plan["world"]["core_conflict"],
        "world-laws": "\n".join(plan["world"]["laws"]),
        "world-boundaries": "\n".join(plan["world"]["boundaries"]),
    }
    for i, c in enumerate(plan["characters"]):
        for key in ("name", "gender", "role", "goal", "arc", "voice"):
            data[f"char-{i}-{key}"] = c[key]
        data[f"char-{i}-was"] = c["name"]
        data[f"char-{i}-contradictions"] = "\n".join(c["contradictions"])
    for i, loc in enumerate(plan["world"]["locations"]):
        data.update(
            {
                f"loc-{i}-name": loc["name"],
                f"loc-{i}-was": loc["name"],
                f"loc-{i}-description": loc["description"],
            }
        )
    for i, (name, text) in enumerate(lore):
        data.update({f"lore-{i}-name": name, f"lore-{i}-description": text})
    for i, a in enumerate(plan["structure"]["acts"]):
        data.update({f"act-{i}-name": a["name"], f"act-{i}-purpose": a["purpose"]})
    for i, s in enumerate(plan["segments"]):
        data.update(
            {
                f"seg-{i}-title": s["title"],
                f"seg-{i}-summary": s["summary"],
                f"seg-{i}-key_events": "\n".join(s["key_events"]),
                f"seg-{i}-characters": s["characters"],
                f"seg-{i}-location": s["location"],
                f"seg-{i}-act": str(s["act"]),
                f"seg-{i}-target_words": str(s["target_words"]),
            }
        )
    data.update(overrides)
    return data


@pytest.fixture
def review(client, owner, project):
    job = make_planning_job(owner, project)
    client.force_login(owner)
    return job, offline_plan(), reverse("jobs:plan", args=[job.id])


@pytest.mark.django_db
def test_the_page_lets_the_writer_rename_add_and_remove_characters_places_and_lore(client, review):
    job, plan, url = review
    html = client.get(url).content.decode()
    for text in (
        'name="char-0-name"',
        "+ Add a character",
        "+ Add a location",
        "+ Add lore",
        'name="loc-0-name"',
    ):
        assert text in html, text


@pytest.mark.django_db
def test_a_rename_follows_through_the_segments_and_reaches_the_draft(
    client, review, django_capture_on_commit_callbacks
):
    job, plan, url = review
    old = plan["characters"][0]["name"]
    assert any(old in s["summary"] or old in " ".join(s["key_events"]) for s in plan["segments"])
    data = _post(
        plan,
        op="write",
        lore=[("The drowned bells", "They ring at ebb.")],
        **{
            "char-0-name": "Mira Sand",
            "char-0-aliases": "Mira, the keeper",
            "char-0-description": "Grey eyes.",
        },
    )
    with django_capture_on_commit_callbacks(execute=False):
        response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:3000]
    draft = GenerationJob.objects.exclude(pk=job.pk).get()
    drafted = draft.runtime.plan
    assert drafted["characters"][0]["name"] == "Mira Sand"
    text = repr(drafted["segments"]) + drafted["world"]["core_conflict"]
    assert old not in text and "Mira Sand" in text
    codex = {e["name"]: e for e in draft.production_brief["world"]["codex"]}
    assert codex["Mira Sand"]["aliases"] == ["Mira", "the keeper"]
    assert codex["Mira Sand"]["description"] == "Grey eyes."
    assert codex["The drowned bells"] == {
        "kind": "lore",
        "name": "The drowned bells",
        "description": "They ring at ebb.",
    }


@pytest.mark.django_db
def test_a_new_character_needs_a_name_role_goal_and_arc_and_then_joins_the_cast(client, review):
    job, plan, url = review
    html = client.post(url, _post(plan, op="char-add")).content.decode()
    n = len(plan["characters"])
    assert "New character" in html and f'name="char-{n}-name"' in html
    data = _post(plan, op="write", **{"char-count": str(n + 1), f"char-{n}-name": ""})
    response = client.post(url, data)
    assert response.status_code == 422 and "Give the new character a name." in response.content.decode()
    data.update({f"char-{n}-name": "Tomas", f"char-{n}-role": "smuggler", f"char-{n}-goal": "to leave"})
    data.update(
        {f"char-{n}-arc": "from fear to courage", f"char-{n}-gender": "m", "seg-0-characters": ["Tomas"]}
    )
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:3000]
    drafted = GenerationJob.objects.exclude(pk=job.pk).get().runtime.plan
    tomas = drafted["characters"][-1]
    assert tomas["name"] == "Tomas" and tomas["gender"] == "m" and tomas["voice"] and tomas["contradictions"]
    assert drafted["segments"][0]["characters"] == ["Tomas"]


@pytest.mark.django_db
def test_removing_a_character_or_place_a_segment_depends_on_is_refused_with_a_reason(client, review):
    job, plan, url = review
    name = plan["characters"][0]["name"]
    html = client.post(url, _post(plan, op="char-remove-0", **{"seg-0-characters": [name]})).content.decode()
    assert f"{name} is the only character of segment 1: put someone else there first." in html
    used = plan["segments"][0]["location"]
    k = next(k for k, loc in enumerate(plan["world"]["locations"]) if loc["name"] == used)
    html = client.post(url, _post(plan, op=f"loc-remove-{k}")).content.decode()
    assert f"is set in {used}: move it elsewhere first" in html
    assert GenerationJob.objects.count() == 1


@pytest.mark.django_db
def test_removing_a_character_takes_them_off_every_segment(client, review):
    job, plan, url = review
    spare = next(
        (k, c["name"])
        for k, c in enumerate(plan["characters"])
        if all(s["characters"] != [c["name"]] for s in plan["segments"])
    )
    html = client.post(url, _post(plan, op=f"char-remove-{spare[0]}")).content.decode()
    assert f'value="{spare[1]}"' not in html


@pytest.mark.django_db
def test_two_characters_with_one_name_or_alias_are_refused_and_nothing_is_written(client, review):
    job, plan, url = review
    second = plan["characters"][1]["name"]
    response = client.post(url, _post(plan, **{"char-0-name": second}))
    assert response.status_code == 422 and f"“{second}” is used twice" in response.content.decode()
    response = client.post(url, _post(plan, **{"char-0-aliases": second}))
    assert response.status_code == 422 and f"“{second}” is used twice" in response.content.decode()
    response = client.post(url, _post(plan, **{"loc-0-description": ""}))
    assert response.status_code == 422 and "in a few words" in response.content.decode()
    assert GenerationJob.objects.count() == 1


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_name_changed_at_plan_review_is_the_name_in_the_written_story(owner, project, workers):
    from jobs.forms import PlanEditor
    from jobs.selectors import job_plan

    workers.start()
    planning = job_create(user=owner, project=project, brief={**SHORT_BRIEF, "review_plan": True})
    planning = wait_for(
        lambda: (lambda j: j if j.status == JobStatus.COMPLETED else None)(
            GenerationJob.objects.get(pk=planning.pk)
        ),
        timeout=30,
        what="the plan",
    )
    plan = job_plan(planning)
    old = plan["characters"][0]["name"]
    form = QueryDict(mutable=True)
    for key, value in _post(plan, **{"char-0-name": "Zofia Quill"}).items():
        form.setlist(key, value if isinstance(value, list) else [value])
    editor = PlanEditor(plan, form, brief=planning.production_brief)
    assert editor.is_valid(), editor.errors
    draft = job_draft_from_plan(user=owner, job=planning, plan=editor.plan, codex=editor.codex_entries())
    draft = wait_for(
        lambda: (lambda j: j if j.status in (JobStatus.COMPLETED, JobStatus.FAILED) else None)(
            GenerationJob.objects.get(pk=draft.pk)
        ),
        timeout=40,
        what="the draft",
    )
    assert draft.status == JobStatus.COMPLETED, draft.error_message
    text = Narrative.objects.get(job=draft).narrative_text
    assert text.count("Zofia Quill") >= 3
    assert old not in text and old.split()[0] not in text.split()
