"""Chapter jobs from the reader in a real browser with a real worker (issue 16 §2–4, issue 14 §7).

At 1280 px and 390 px: a chapter's "Regenerate" (the offline note said before
submitting), the job page to "See what changed" (only that chapter, the diff
header saying what made the version), "Continue the story" with the plan shown
and edited first, and "Revise chapters" with one chapter ticked.
"""

from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.helpers import VIEWPORTS, fits, salt_road, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

JOB_TIMEOUT = 60_000


def _finish_job(page: Page, parent) -> None:
    """On the job page (progress as for any job) until the worker is done, then on the new version:
    the page moves there by itself, or (when the job finished before the page loaded) by its
    "Read the new version" link."""
    from narratives.models import Narrative

    expect(page).to_have_url(re.compile(r"/jobs/"))
    expect(page.get_by_test_id("job-percentage")).to_be_visible()
    fits(page)
    deadline = time.monotonic() + JOB_TIMEOUT / 1000
    while True:
        child = Narrative.objects.filter(parent_narrative=parent).first()
        if child is not None and f"/narratives/{child.pk}/" in page.url:
            break
        link = page.get_by_role("link", name="Read the new version")
        if child is not None and link.count() and link.is_visible():
            link.click()
            continue
        assert time.monotonic() < deadline, "the chapter job did not finish in time"
        page.wait_for_timeout(250)
    expect(page.get_by_text("Revised from")).to_be_visible()


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_a_writer_regenerates_continues_and_revises_chapters_from_the_reader(
    live_server, worker, browser: Browser, viewport
):
    from narratives.models import Narrative
    from tests.browser.conftest import SCREENSHOTS

    base = live_server.url
    user, v1 = salt_road(f"chapters-{viewport}@example.com")
    width, height = VIEWPORTS[viewport]
    page = browser.new_context(viewport={"width": width, "height": height}).new_page()
    sign_in(page, base, user)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    suffix = "" if viewport == "desktop" else "-phone"

    def shoot(name: str) -> None:
        page.evaluate("window.scrollTo(0, 0)")
        page.screenshot(path=str(SCREENSHOTS / f"{name}{suffix}.png"), full_page=True)

    # Regenerate chapter 2 from its tools row; the offline engine's limits are said before submitting.
    page.goto(f"{base}/narratives/{v1.pk}/")
    regenerate = page.get_by_role("link", name="Regenerate chapter 2: Straße der Nacht")
    expect(regenerate).to_be_visible()
    expect(page.get_by_role("link", name="Continue the story")).to_be_visible()
    fits(page)
    shoot("50-reader-chapter-actions")
    regenerate.click()
    expect(page.get_by_role("heading", name=re.compile("Regenerate chapter 2"))).to_be_visible()
    expect(page.locator("#offline-revision-note")).to_contain_text(
        "Free-text instructions need a language model"
    )
    fits(page)
    page.get_by_label("Instructions (optional)").fill("More dialogue, please.")
    shoot("51-regenerate-chapter")
    page.get_by_role("button", name="Regenerate chapter 2").click()
    _finish_job(page, v1)
    page.get_by_role("link", name="See what changed").click()
    expect(page.get_by_test_id("diff-revision")).to_contain_text(
        "regenerated chapter 2 by the offline engine with the instructions “More dialogue, please.”"
    )
    fits(page)
    shoot("53-diff-regenerated-chapter")
    v2 = Narrative.objects.get(parent_narrative=v1)
    old_parts = v1.narrative_text.split("## ")
    new_parts = v2.narrative_text.split("## ")
    assert new_parts[1] == old_parts[1] and new_parts[3] == old_parts[3] and new_parts[2] != old_parts[2]

    # Continue the story by one chapter: the plan is shown first, and the writer's title is used.
    page.goto(f"{base}/narratives/{v2.pk}/")
    page.get_by_role("link", name="Continue the story").click()
    page.get_by_label("Chapters to add").fill("1")
    page.get_by_role("button", name="Show the plan").click()
    title = page.get_by_test_id("new-chapter").get_by_label("Title")
    expect(title).not_to_have_value("")
    fits(page)
    shoot("52-continue-plan")
    title.fill("The Ice Road")
    page.get_by_role("button", name="Write 1 chapter from this plan").click()
    _finish_job(page, v2)
    expect(page.locator(".reader__toc")).to_contain_text("The Ice Road")
    v3 = Narrative.objects.get(parent_narrative=v2)
    assert v3.narrative_text.startswith(v2.narrative_text.rstrip("\n"))

    # Revise only chapter 1: the offline note is on the form, the other chapters stay.
    page.get_by_role("link", name="Revise chapters").click()
    expect(page.locator("#offline-revision-note")).to_be_visible()
    page.get_by_label("What should change?").fill("Make the opening darker and colder.")
    page.get_by_label("1. The Salt Road").check()
    fits(page)
    shoot("54-revise-chosen-chapters")
    page.get_by_role("button", name="Start revision").click()
    _finish_job(page, v3)
    page.goto(f"{base}/narratives/{v3.pk}/versions/")
    expect(page.locator("table.versions")).to_contain_text("revised chapter 1 by the offline engine")
    fits(page)
    shoot("55-versions-what-changed")
    v4 = Narrative.objects.get(parent_narrative=v3)
    assert v4.narrative_text.split("## ")[2:] == v3.narrative_text.split("## ")[2:]
