"""The reader's chapter actions (regenerate, continue, revise chosen chapters) as each visitor sees them."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from django.utils.html import strip_tags

from jobs.models import GenerationJob, JobRuntime
from narratives.models import Narrative

pytestmark = pytest.mark.django_db


@pytest.fixture
def book(owner, make_narrative):
    from projects.services import project_create

    return make_narrative(owner, project=project_create(user=owner, name="Salt Coast"))


def _text(response) -> str:
    """What a person reads on the page: tags stripped, whitespace collapsed."""
    return " ".join(strip_tags(response.content.decode()).split())


def _pages(n):
    return [
        reverse("narratives:regenerate", args=[n.pk, 2]),
        reverse("narratives:continue", args=[n.pk]),
        reverse("narratives:revise", args=[n.pk]),
    ]


def test_the_reader_offers_regenerate_and_revise_under_every_chapter_and_continue_at_the_top(
    owner_client, book
):
    page = owner_client.get(reverse("narratives:detail", args=[book.pk])).content.decode()
    for number in (1, 2, 3):
        assert reverse("narratives:regenerate", args=[book.pk, number]) in page
        assert f'aria-label="Regenerate chapter {number}: ' in page
        assert f"{reverse('narratives:revise', args=[book.pk])}?chapter={number}" in page
    assert ">Continue the story</a>" in page and ">Revise chapters</a>" in page


def test_another_user_and_staff_get_a_404_and_start_nothing(client, other_user, staff, book):
    for who in (other_user, staff):
        client.force_login(who)
        for url in _pages(book):
            assert client.get(url).status_code == 404, url
            assert client.post(url, {"instructions": "Darker, much darker.", "count": 1}).status_code == 404
    assert not GenerationJob.objects.exists()


def test_the_owner_regenerates_a_chapter_and_lands_on_its_job_page(owner_client, owner, book):
    url = reverse("narratives:regenerate", args=[book.pk, 2])
    page = owner_client.get(url).content.decode()
    assert "Regenerate chapter 2" in page and "Every other chapter stays exactly as it is" in page
    assert "Free-text instructions need a language model" in page  # said before submitting (offline)
    response = owner_client.post(url, {"instructions": "Let the rain stop."})
    job = GenerationJob.objects.get(user=owner)
    assert response.status_code == 302 and response["Location"] == reverse("jobs:detail", args=[job.pk])
    runtime = JobRuntime.objects.get(pk=job.pk)
    assert runtime.kind == JobRuntime.Kind.REGENERATE and runtime.scope["chapters"] == [2]
    assert runtime.scope["instructions"] == "Let the rain stop." and runtime.parent_narrative_id == book.pk


def test_a_chapter_that_does_not_exist_is_a_404(owner_client, book):
    for number in (0, 4, 99):
        url = reverse("narratives:regenerate", args=[book.pk, number])
        assert owner_client.get(url).status_code == 404
        assert owner_client.post(url, {}).status_code == 404
    assert not GenerationJob.objects.exists()


def test_revise_needs_instructions_and_a_chapter_and_says_so(owner_client, book):
    url = reverse("narratives:revise", args=[book.pk])
    page = owner_client.get(url).content.decode()
    assert "Free-text instructions need a language model" in page
    assert 'name="chapters"' in page and "All chapters" in page
    response = owner_client.post(url, {"instructions": "", "chapters": ["1"]})
    assert response.status_code == 400 and "This field is required" in response.content.decode()
    response = owner_client.post(url, {"instructions": "Make it all darker."})
    assert response.status_code == 400 and "Tick the chapters to revise" in response.content.decode()
    assert not GenerationJob.objects.exists()


def test_revise_preticks_the_chapter_it_was_opened_from(owner_client, book):
    page = owner_client.get(reverse("narratives:revise", args=[book.pk]) + "?chapter=2").content.decode()
    boxes = dict(re.findall(r'<input type="checkbox" name="chapters" value="(\d+)"([^>]*)>', page))
    assert "checked" in boxes["2"] and "checked" not in boxes["1"] + boxes["3"]


def test_continue_shows_the_plan_for_confirmation_then_writes_from_the_edited_plan(owner_client, owner, book):
    url = reverse("narratives:continue", args=[book.pk])
    response = owner_client.post(url, {"count": 2, "instructions": "", "action": "preview"})
    page = response.content.decode()
    assert response.status_code == 200 and page.count('data-testid="new-chapter"') == 2
    assert not GenerationJob.objects.exists()  # a preview writes nothing
    data = {
        "count": 2,
        "instructions": "",
        "action": "start_with_plan",
        "new-TOTAL_FORMS": 2,
        "new-INITIAL_FORMS": 2,
        "new-MIN_NUM_FORMS": 1,
        "new-MAX_NUM_FORMS": 20,
        "new-0-title": "The Ice Road",
        "new-0-summary": "Mara crosses the frozen bay.",
        "new-1-title": "Thaw",
        "new-1-summary": "The ice breaks under the caravan.",
    }
    response = owner_client.post(url, data)
    job = GenerationJob.objects.get(user=owner)
    assert response.status_code == 302
    scope = JobRuntime.objects.get(pk=job.pk).scope
    assert scope["add"] == 2 and [s["title"] for s in scope["new_segments"]] == ["The Ice Road", "Thaw"]


@pytest.mark.parametrize("count", ["0", "21", "two", ""])
def test_continue_refuses_a_count_out_of_range(owner_client, book, count):
    response = owner_client.post(
        reverse("narratives:continue", args=[book.pk]), {"count": count, "action": "start"}
    )
    assert response.status_code == 400
    assert not GenerationJob.objects.exists()


def test_a_stale_version_says_so_and_is_refused_unless_branched(owner_client, owner, book, make_narrative):
    newer = make_narrative(
        owner, project=book.project, version=2, parent_narrative=book, title="Salt Road II"
    )
    url = reverse("narratives:regenerate", args=[book.pk, 1])
    page = owner_client.get(url).content.decode()
    assert "This is not the newest version" in page and reverse("narratives:detail", args=[newer.pk]) in page
    response = owner_client.post(url, {"instructions": ""})
    assert (
        response.status_code == 400
        and "Version 2 was already made from this version" in response.content.decode()
    )
    assert not GenerationJob.objects.exists()
    response = owner_client.post(url, {"instructions": "", "branch": "on"})
    assert response.status_code == 302 and GenerationJob.objects.count() == 1


def test_the_versions_list_and_diff_header_say_what_made_a_version(owner_client, owner, book, make_narrative):
    meta = dict(book.metadata)
    meta["revision"] = {
        "kind": "revise",
        "label": "Revised",
        "chapters": [1, 3],
        "instructions": "Rename the harbour.",
        "engine": "offline",
    }
    child = make_narrative(owner, project=book.project, version=2, parent_narrative=book, metadata=meta)
    page = _text(owner_client.get(reverse("narratives:versions", args=[child.pk])))
    assert "revised chapters 1, 3 by the offline engine with the instructions “Rename the harbour.”" in page
    diff = _text(owner_client.get(reverse("narratives:diff", args=[child.pk])))
    assert "Version 2 was made from version 1: revised chapters 1, 3 by the offline engine" in diff
    assert Narrative.objects.count() == 2
