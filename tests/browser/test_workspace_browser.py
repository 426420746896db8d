"""The manuscript workspace in a real browser: edit a chapter in place (issue 16 §1).

At 1280 px and 390 px: the reader's per-chapter "Edit", a draft kept in the
browser while typing (and offered back after a reload), saving as the next
version with a note, and a second save from the same version refused with the
writer's text kept on the page.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.helpers import VIEWPORTS, fits, salt_road, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def shoot_as():
    """A full-page screenshot of any page (docs/screenshots with NF_SCREENSHOTS=1, else var/)."""
    from tests.browser.conftest import SCREENSHOTS

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(page: Page, name: str) -> None:
        page.evaluate("window.scrollTo(0, 0)")
        page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)

    return take


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_a_writer_edits_a_chapter_with_a_browser_draft_and_saves_a_new_version(
    live_server, browser: Browser, viewport, shoot_as
):
    from narratives.models import Narrative

    base = live_server.url
    user, narrative = salt_road(f"editor-{viewport}@example.com", project=None)
    width, height = VIEWPORTS[viewport]
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    sign_in(page, base, user)
    page.goto(f"{base}/narratives/{narrative.pk}/")
    chapter = page.locator("#ch-2")
    expect(chapter.get_by_role("heading", name="Straße der Nacht")).to_be_visible()
    fits(page)
    chapter.get_by_role("link", name=re.compile("Edit chapter 2")).click()

    expect(page.get_by_role("heading", name=re.compile("Edit chapter 2"))).to_be_visible()
    text = page.get_by_label("Text")
    expect(text).to_have_value(re.compile("She counted the stars."))
    expect(page.locator("[data-draft-offer]")).to_be_hidden()  # no draft yet: nothing offered
    text.fill("The night road was long.\n\nShe counted the stars twice.")
    expect(page.locator("[data-draft-status]")).to_contain_text("Draft saved in this browser")
    expect(page.locator("[data-word-count]")).to_have_text("10 words")
    fits(page)
    shoot_as(page, "40-chapter-editor" + ("" if viewport == "desktop" else "-phone"))

    # A reload (or a crash) shows the server's text and offers the draft back.
    page.reload()
    offer = page.get_by_text(re.compile(r"A draft of this chapter from \S.* is saved in this browser"))
    expect(offer).to_be_visible()
    expect(page.get_by_label("Text")).to_have_value(re.compile("She counted the stars."))
    if viewport == "desktop":
        shoot_as(page, "41-chapter-editor-draft-offer")
    page.get_by_role("button", name="Restore draft").click()
    expect(page.get_by_label("Text")).to_have_value(re.compile("She counted the stars twice."))

    page.get_by_label("Note (optional)").fill("a longer night")
    page.get_by_role("button", name="Save as version 2").click()
    expect(page.get_by_text("Chapter 2 saved as version 2.")).to_be_visible()
    expect(page.locator(".reader__byline")).to_contain_text("version 2")
    expect(page.locator("#ch-2")).to_contain_text("She counted the stars twice.")
    expect(page.locator("#ch-1")).to_contain_text("Mara left the harbour before dawn.")
    fits(page)
    if viewport == "desktop":
        shoot_as(page, "42-reader-after-edit")
    child = Narrative.objects.get(parent_narrative=narrative)
    assert child.metadata["revision"]["note"] == "a longer night"
    # The saved draft is gone: opening the editor of the new version offers nothing.
    assert page.evaluate("Object.keys(localStorage).filter(k => k.startsWith('nf-draft:'))") == []
    context.close()


def test_a_second_tab_saving_from_the_same_version_is_refused_and_keeps_its_text(
    live_server, browser: Browser, shoot_as
):
    from narratives.models import Narrative

    base = live_server.url
    user, narrative = salt_road("two-tabs@example.com", project=None)
    context = browser.new_context(viewport={"width": 1280, "height": 860})
    first, second = context.new_page(), context.new_page()
    sign_in(first, base, user)
    url = f"{base}/narratives/{narrative.pk}/chapters/2/edit/"
    first.goto(url)
    second.goto(url)
    first.get_by_label("Text").fill("The first tab's night.")
    first.get_by_role("button", name="Save as version 2").click()
    expect(first.get_by_text("Chapter 2 saved as version 2.")).to_be_visible()

    second.get_by_label("Text").fill("The second tab's precious night.")
    second.get_by_role("button", name="Save as version 2").click()
    expect(second.get_by_role("alert")).to_contain_text("This chapter changed since you opened it")
    expect(second.get_by_label("Text")).to_have_value("The second tab's precious night.")
    shoot_as(second, "43-chapter-editor-conflict")
    assert Narrative.objects.filter(parent_narrative=narrative).count() == 1
    context.close()


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_a_writer_imports_a_docx_and_a_bad_file_is_refused(
    live_server, browser: Browser, viewport, tmp_path, shoot_as
):
    from narratives.models import Narrative
    from narratives.tests.test_import import docx_bytes
    from projects.models import Project

    base = live_server.url
    user, _ = salt_road(f"importer-{viewport}@example.com", project=None)
    project = Project.objects.create(user=user, name="Salt Coast", default_genre="fantasy")
    width, height = VIEWPORTS[viewport]
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    sign_in(page, base, user)
    page.goto(f"{base}/projects/{project.pk}/")
    page.get_by_role("link", name="Import a manuscript").click()
    expect(page.get_by_role("heading", name="Import a manuscript")).to_be_visible()
    expect(page.get_by_text("at most 5 MB")).to_be_visible()
    expect(page.get_by_label("Project")).to_have_value(str(project.pk))

    bad = tmp_path / "cover.docx"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64)
    page.get_by_label("Manuscript").set_input_files(str(bad))
    page.get_by_role("button", name="Import").click()
    expect(page.locator(".field__errors").first).to_contain_text("is not a Word document")
    assert not Narrative.objects.filter(project=project).exists()
    fits(page)

    good = tmp_path / "Salt Road.docx"
    good.write_bytes(docx_bytes())
    page.get_by_label("Manuscript").set_input_files(str(good))
    if viewport == "desktop":
        shoot_as(page, "44-import-manuscript")
    page.get_by_role("button", name="Import").click()
    expect(page.get_by_text("Imported “The Salt Road”: 3 chapters")).to_be_visible()
    expect(page.locator(".reader__byline")).to_contain_text("Imported manuscript")
    expect(page.locator(".reader__toc")).to_contain_text("Landfall")
    expect(page.locator("#ch-3").get_by_role("link", name=re.compile("Edit chapter 3"))).to_be_visible()
    fits(page)
    shoot_as(page, "45-imported-narrative" + ("" if viewport == "desktop" else "-phone"))
    context.close()


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_the_generation_form_says_which_world_it_continues_and_offers_a_new_one(
    live_server, browser: Browser, viewport, redis_conn, shoot_as
):
    from jobs.attempt import run_job
    from jobs.services import job_create
    from jobs.tests.conftest import SHORT_BRIEF
    from projects.selectors import world_for_project
    from projects.services import project_create

    base = live_server.url
    user, _ = salt_road(f"worlds-{viewport}@example.com", project=None)
    project = project_create(user=user, name="Lighthouse cycle")
    assert run_job(job_create(user=user, project=project, brief=SHORT_BRIEF).pk) != "skipped"
    project.refresh_from_db()
    world = world_for_project(project)
    width, height = VIEWPORTS[viewport]
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    sign_in(page, base, user)
    page.goto(f"{base}/jobs/new/{project.pk}/")
    choice = page.get_by_test_id("world-choice")
    expect(choice).to_contain_text(
        f"This story continues {world['world']['name']}, with {world['characters'][0]['name']}"
    )
    expect(page.get_by_label(re.compile("Continue " + re.escape(world["world"]["name"])))).to_be_checked()
    page.get_by_text("Start a new world").click()
    expect(page.get_by_label("Start a new world")).to_be_checked()
    fits(page)
    if viewport == "desktop":
        choice.scroll_into_view_if_needed()
        shoot_as(page, "46-generate-new-world-choice")
    context.close()
