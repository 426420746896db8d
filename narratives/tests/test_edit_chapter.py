"""Editing a chapter in place (issue 16 §1): the next version, every other chapter byte for byte."""

from __future__ import annotations

import threading

import pytest
from django.db import connection
from django.urls import reverse

from jobs.pipeline import Brief, get_backend, run_pipeline
from narraforge.errors import UserFacingError
from narratives.chapters import append_chapters, chapter_spans, replace_chapter
from narratives.edit_services import EditConflict, chapter_for_edit, narrative_edit_chapter
from narratives.models import Narrative
from narratives.text import chapters_from_text
from projects.models import Project


def _engine_written(make_narrative, user, **extra):
    brief = {
        "production_type": "short_story",
        "genre": "fantasy",
        "inspiration": "A salt-road courier carries her father's debt across the dunes.",
        "target_words": 5000,
    }
    result = run_pipeline(Brief.from_dict(brief), backend=get_backend("offline"))
    return make_narrative(
        user, text=result.text, metadata=result.metadata, word_count=result.word_count, **extra
    )


def _edit(narrative, number=2, body="A new second chapter.\n\nIt has two paragraphs.", **kw):
    base = kw.pop("base", None) or chapter_for_edit(narrative=narrative, number=number).base
    return narrative_edit_chapter(
        narrative=narrative, number=number, title=kw.pop("title", ""), body=body, base=base, **kw
    )


# --- the splice ----------------------------------------------------------------


def test_chapter_spans_number_chapters_as_the_reader_does() -> None:
    text = "A preface.\n\n## One\n\nFirst.\n\n## Two\n\nSecond.\n"
    spans = chapter_spans(text)
    parsed = chapters_from_text(text)
    assert [s.title for s in spans] == [c.title for c in parsed] == ["", "One", "Two"]
    assert [s.body(text) for s in spans] == [c.body for c in parsed]
    assert "".join(s.slice(text) for s in spans) == text


def test_replacing_a_chapter_keeps_every_byte_outside_it() -> None:
    text = "## One\n\nFirst,  with  odd   spacing.  \n\n\n\n## Two\n\nSecond.\n\n## Three\n\nThird\ttabbed.\n"
    spans = chapter_spans(text)
    out = replace_chapter(text, 2, title="Two, rewritten", body="Brand new.")
    assert out.startswith(text[: spans[1].start])
    assert out.endswith(text[spans[2].start :])
    assert [c.title for c in chapters_from_text(out)] == ["One", "Two, rewritten", "Three"]
    with pytest.raises(IndexError):
        replace_chapter(text, 4, title="x", body="y")


def test_appending_chapters_keeps_every_existing_byte() -> None:
    text = "## One\n\nFirst."
    out = append_chapters(text, [("Two", "Second.")])
    assert out.startswith(text) and [c.title for c in chapters_from_text(out)] == ["One", "Two"]


# --- the service ----------------------------------------------------------------


def test_an_edit_makes_the_next_version_and_keeps_other_chapters_byte_identical(
    owner, make_narrative
) -> None:
    project = Project.objects.create(user=owner, name="Dunes", narrative_count=1, total_word_count=100)
    narrative = _engine_written(make_narrative, owner, project=project)
    before = chapter_spans(narrative.narrative_text)
    child = _edit(narrative, title="The Well", note="shorter middle")
    after = chapter_spans(child.narrative_text)
    assert child.version == 2 and child.parent_narrative_id == narrative.pk
    assert len(after) == len(before)
    for old, new in zip(before, after, strict=True):
        if old.number == 2:
            assert new.title == "The Well"
            assert new.body(child.narrative_text) == "A new second chapter.\n\nIt has two paragraphs."
        else:
            assert new.slice(child.narrative_text) == old.slice(narrative.narrative_text)
    # Word counts and the contents follow the text.
    entries = {c["index"]: c for c in child.metadata["chapters"]}
    assert entries[2]["word_count"] == 8 and entries[2]["title"] == "The Well"
    assert entries[1] == narrative.metadata["chapters"][0]
    expected = (
        sum(c["word_count"] for c in narrative.metadata["chapters"])
        - narrative.metadata["chapters"][1]["word_count"]
        + 8
    )
    assert child.word_count == expected
    assert child.metadata["revision"] == {
        "kind": "edit",
        "chapters": [2],
        "note": "shorter middle",
        "instructions": "",
        "engine": "manual",
    }
    assert child.generation_cost_usd == 0 and child.tokens_used == 0
    narrative.refresh_from_db()
    assert "A new second chapter" not in narrative.narrative_text  # the earlier version is untouched
    project.refresh_from_db()
    assert project.narrative_count == 2 and project.total_word_count == 100 + child.word_count


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("", "The chapter is empty"),
        ("   \n\n  ", "The chapter is empty"),
        ("…  — !", "no words"),
        ("Fine start.\n## Sneaky heading\nmore", "would start a new chapter"),
    ],
)
def test_an_empty_or_malformed_edit_is_refused_and_writes_nothing(
    owner, make_narrative, body, message
) -> None:
    narrative = make_narrative(owner)
    with pytest.raises(UserFacingError, match=message):
        _edit(narrative, body=body)
    assert not Narrative.objects.filter(parent_narrative=narrative).exists()


def test_an_unchanged_chapter_is_not_a_new_version(owner, make_narrative) -> None:
    narrative = make_narrative(owner)
    draft = chapter_for_edit(narrative=narrative, number=1)
    with pytest.raises(UserFacingError, match="Nothing changed"):
        narrative_edit_chapter(narrative=narrative, number=1, title="", body=draft.body, base=draft.base)
    assert not Narrative.objects.filter(parent_narrative=narrative).exists()


def test_a_chapter_that_does_not_exist_is_refused(owner, make_narrative) -> None:
    narrative = make_narrative(owner)
    with pytest.raises(UserFacingError, match="no chapter 9"):
        chapter_for_edit(narrative=narrative, number=9)
    base = chapter_for_edit(narrative=narrative, number=1).base
    with pytest.raises(UserFacingError):
        narrative_edit_chapter(narrative=narrative, number=9, title="", body="Words here.", base=base)
    assert not Narrative.objects.filter(parent_narrative=narrative).exists()


def test_a_second_save_from_the_same_version_is_refused_never_merged(owner, make_narrative) -> None:
    narrative = make_narrative(owner)
    first = chapter_for_edit(narrative=narrative, number=2)
    second = chapter_for_edit(narrative=narrative, number=2)
    child = _edit(narrative, base=first.base, body="Mine: the first writer's text.")
    with pytest.raises(EditConflict, match="This chapter changed since you opened it: version 2"):
        _edit(narrative, base=second.base, body="Theirs: the second writer's text.")
    assert list(Narrative.objects.filter(parent_narrative=narrative)) == [child]
    assert "Theirs" not in Narrative.objects.get(pk=child.pk).narrative_text


def test_a_save_after_another_chapter_was_changed_is_refused_too(owner, make_narrative) -> None:
    narrative = make_narrative(owner)
    on_two = chapter_for_edit(narrative=narrative, number=2)
    _edit(narrative, number=3, body="Chapter three, changed by someone else.")
    with pytest.raises(EditConflict, match="This narrative changed since you opened it"):
        _edit(narrative, base=on_two.base, body="My chapter two.")
    assert Narrative.objects.filter(parent_narrative=narrative).count() == 1


def test_a_forged_or_foreign_base_token_is_refused(owner, make_narrative) -> None:
    narrative = make_narrative(owner)
    other = make_narrative(owner, title="Another")
    with pytest.raises(EditConflict, match="out of date"):
        _edit(narrative, base="not-a-token")
    with pytest.raises(EditConflict, match="another chapter or version"):
        _edit(narrative, base=chapter_for_edit(narrative=other, number=2).base)
    with pytest.raises(EditConflict, match="another chapter or version"):
        _edit(narrative, base=chapter_for_edit(narrative=narrative, number=1).base)
    assert not Narrative.objects.filter(parent_narrative__in=[narrative, other]).exists()


@pytest.mark.django_db(transaction=True)
def test_two_saves_at_once_from_the_same_version_make_exactly_one_version(owner, make_narrative) -> None:
    narrative = make_narrative(owner)
    bases = [chapter_for_edit(narrative=narrative, number=2).base for _ in range(2)]
    outcomes: list[str] = []
    barrier = threading.Barrier(2)

    def save(i: int) -> None:
        try:
            barrier.wait()
            _edit(narrative, base=bases[i], body=f"Writer {i} was here.")
            outcomes.append("saved")
        except EditConflict:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=save, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["refused", "saved"]
    assert Narrative.objects.filter(parent_narrative=narrative).count() == 1


# --- the pages ----------------------------------------------------------------


def test_the_reader_offers_edit_on_every_chapter(owner_client, narrative) -> None:
    html = owner_client.get(reverse("narratives:detail", args=[narrative.pk])).content.decode()
    for n in (1, 2, 3):
        assert reverse("narratives:edit-chapter", args=[narrative.pk, n]) in html
    assert "js/drafts.js" in html


def test_the_editor_shows_the_chapter_and_saving_opens_the_new_version(owner_client, narrative) -> None:
    url = reverse("narratives:edit-chapter", args=[narrative.pk, 2])
    page = owner_client.get(url)
    html = page.content.decode()
    assert page.status_code == 200 and "Straße der Nacht" in html and "She counted the stars." in html
    assert 'data-draft-key="' + f"{narrative.pk}:2" in html
    base = page.context["form"].initial["base"]
    response = owner_client.post(
        url, {"title": "Night Road", "body": "She counted the stars again.", "note": "tighter", "base": base}
    )
    child = Narrative.objects.get(parent_narrative=narrative)
    assert response.status_code == 302
    assert response.url == reverse("narratives:detail", args=[child.pk]) + "#ch-2"
    reader = owner_client.get(response.url).content.decode()
    assert "Chapter 2 saved as version 2." in reader
    assert f'data-clear-draft="{narrative.pk}:2"' in reader
    assert "Night Road" in reader and "She counted the stars again." in reader


def test_a_stale_save_is_refused_with_the_writers_text_kept_on_the_page(owner_client, narrative) -> None:
    url = reverse("narratives:edit-chapter", args=[narrative.pk, 2])
    base = owner_client.get(url).context["form"].initial["base"]
    owner_client.post(url, {"title": "", "body": "First save.", "base": base})
    response = owner_client.post(
        url, {"title": "", "body": "Second writer's precious paragraph.", "base": base}
    )
    html = response.content.decode()
    assert response.status_code == 409
    assert "This chapter changed since you opened it" in html
    assert "Second writer&#x27;s precious paragraph." in html
    assert Narrative.objects.filter(parent_narrative=narrative).count() == 1


def test_an_empty_edit_through_the_page_is_refused(owner_client, narrative) -> None:
    url = reverse("narratives:edit-chapter", args=[narrative.pk, 1])
    base = owner_client.get(url).context["form"].initial["base"]
    response = owner_client.post(url, {"title": "", "body": "   ", "base": base})
    assert response.status_code == 400 and "The chapter is empty" in response.content.decode()
    assert not Narrative.objects.filter(parent_narrative=narrative).exists()


def test_a_missing_chapter_sends_the_writer_back_with_a_message(owner_client, narrative) -> None:
    response = owner_client.get(reverse("narratives:edit-chapter", args=[narrative.pk, 7]), follow=True)
    assert "This narrative has no chapter 7." in response.content.decode()
    response = owner_client.post(
        reverse("narratives:edit-chapter", args=[narrative.pk, 7]), {"body": "x y z", "base": "b"}
    )
    assert response.status_code == 302
    assert not Narrative.objects.filter(parent_narrative=narrative).exists()


@pytest.mark.parametrize("who", ["other_user", "staff"])
def test_another_users_chapter_is_a_404(client, owner, narrative, request, who) -> None:
    base = chapter_for_edit(narrative=narrative, number=1).base
    client.force_login(request.getfixturevalue(who))
    url = reverse("narratives:edit-chapter", args=[narrative.pk, 1])
    assert client.get(url).status_code == 404
    assert client.post(url, {"title": "", "body": "Hijacked.", "base": base}).status_code == 404
    assert not Narrative.objects.filter(parent_narrative=narrative).exists()


def test_signed_out_visitors_are_sent_to_sign_in(client, narrative) -> None:
    response = client.get(reverse("narratives:edit-chapter", args=[narrative.pk, 1]))
    assert response.status_code == 302 and "login" in response.url


def test_the_versions_list_says_a_chapter_was_edited_by_hand_with_its_note(owner_client, narrative) -> None:
    child = _edit(narrative, note="tighter middle")
    html = owner_client.get(reverse("narratives:versions", args=[child.pk])).content.decode()
    assert "edited chapter 2 by hand (“tighter middle”)" in html
    assert "by a model (manual)" not in html
