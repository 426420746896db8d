"""The issue-16 walk, in a real browser with a real worker and the offline engine.

generate → edit chapter 2 → regenerate chapter 3 → continue with one chapter →
revise chapter 1 with instructions → the diff shows only those chapters →
import a DOCX → continue it → export. Every step makes the next version; the
test checks in the database that the chapters a step did not touch are byte
for byte what they were, and in the page what a writer sees.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.test_journeys import INSPIRATION, JOB_TIMEOUT_MS, create_project, sign_up

pytestmark = [pytest.mark.browser, pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def _viewport_shot(page: Page, name: str) -> None:
    from tests.browser.conftest import SCREENSHOTS

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"))


def _latest(title: str):
    from narratives.models import Narrative

    return Narrative.objects.filter(title=title).order_by("-version", "-created_at").first()


def _slices(narrative) -> list[str]:
    from narratives.chapters import chapter_spans

    text = narrative.narrative_text
    return [span.slice(text) for span in chapter_spans(text)]


def _wait_for_version(page: Page, version: int) -> None:
    """The job page moves on to the narrative by itself at 100%."""
    page.wait_for_url(re.compile(r"/narratives/[0-9a-f-]+/"), timeout=JOB_TIMEOUT_MS)
    expect(page.locator(".reader__byline")).to_contain_text(f"version {version}", timeout=JOB_TIMEOUT_MS)


def _same_except(old, new, changed: set[int], *, added: int = 0) -> None:
    before, after = _slices(old), _slices(new)
    assert len(after) == len(before) + added
    for number, (a, b) in enumerate(zip(before, after, strict=False), start=1):
        if number in changed:
            assert a != b, f"chapter {number} should have changed"
        elif added and number == len(before):
            # The last chapter's text is kept; its end gains the blank line before the new chapter.
            assert a.rstrip("\n") == b.rstrip("\n"), f"chapter {number} should be byte-identical"
        else:
            assert a == b, f"chapter {number} should be byte-identical"


def test_the_manuscript_workspace_walk(page: Page, live_server, worker, tmp_path, shoot):
    from narratives.tests.test_import import docx_bytes

    base = live_server.url
    sign_up(page, base, "workshop@example.com")
    create_project(page, base, "Workshop")

    # 1. Generate.
    page.get_by_role("link", name="Generate a narrative").first.click()
    page.get_by_label("Title").fill("The Keeper of Letters")
    page.get_by_label("Inspiration").fill(INSPIRATION)
    page.get_by_label("Type").select_option("novella")  # five chapters: two stay untouched throughout
    page.get_by_label("Length (words)").fill("12000")
    page.get_by_role("button", name="Start writing").click()
    _wait_for_version(page, 1)
    v1 = _latest("The Keeper of Letters")
    assert len(_slices(v1)) >= 5

    # 2. Edit chapter 2 in place.
    page.locator("#ch-2").get_by_role("link", name=re.compile("Edit chapter 2")).click()
    page.get_by_label("Text").fill("The keeper rewrote this chapter by hand.\n\nOnly this one.")
    page.get_by_label("Note (optional)").fill("by hand")
    page.get_by_role("button", name="Save as version 2").click()
    expect(page.get_by_text("Chapter 2 saved as version 2.")).to_be_visible()
    v2 = _latest("The Keeper of Letters")
    _same_except(v1, v2, {2})
    shoot("47-workspace-after-edit")

    # 3. Regenerate chapter 3.
    page.locator("#ch-3").get_by_role("link", name=re.compile("Regenerate")).click()
    page.get_by_role("button", name="Regenerate chapter 3").click()
    _wait_for_version(page, 3)
    v3 = _latest("The Keeper of Letters")
    _same_except(v2, v3, {3})

    # 4. Continue with one chapter.
    page.get_by_role("link", name="Continue the story").first.click()
    page.get_by_label("Chapters to add").fill("1")
    page.get_by_role("button", name="Continue without a plan").click()
    _wait_for_version(page, 4)
    v4 = _latest("The Keeper of Letters")
    _same_except(v3, v4, set(), added=1)

    # 5. Revise chapter 1 with instructions.
    instructions = "Make the first chapter darker and more tense."
    page.get_by_role("link", name="Revise chapters").first.click()
    page.get_by_label("What should change?").fill(instructions)
    page.get_by_role("checkbox", name=re.compile(r"^\s*1\.")).check()
    page.get_by_role("button", name="Start revision").click()
    _wait_for_version(page, 5)
    v5 = _latest("The Keeper of Letters")
    _same_except(v4, v5, {1})
    assert instructions in str(v5.metadata.get("revision"))

    # 6. The diff from version 1 shows only the chapters those steps touched.
    page.goto(f"{base}/narratives/{v5.pk}/diff/?against={v1.pk}")
    expect(page.get_by_role("heading", name="v1 → v5")).to_be_visible()
    changed = " ".join(page.locator(".diff__p--change, .diff__p--insert, .diff__p--delete").all_inner_texts())
    from narratives.text import chapters_from_text, paragraphs

    untouched = chapters_from_text(v1.narrative_text)[3:]
    for chapter in untouched:
        for para in paragraphs(chapter.body):
            assert para[:80] not in changed, f"an untouched chapter ({chapter.title}) shows as changed"
    assert "The keeper rewrote this chapter by hand." in changed
    _viewport_shot(page, "48-workspace-diff")  # the whole diff is tens of thousands of pixels tall
    page.goto(f"{base}/narratives/{v5.pk}/diff/")
    expect(page.get_by_test_id("diff-revision")).to_contain_text(instructions)

    # 7. Import a DOCX into the project.
    path = tmp_path / "Salt Road.docx"
    path.write_bytes(docx_bytes())
    page.goto(f"{base}/narratives/import/")
    page.get_by_label("Manuscript").set_input_files(str(path))
    page.get_by_role("button", name="Import").click()
    expect(page.get_by_text("Imported “The Salt Road”: 3 chapters")).to_be_visible()
    imported = _latest("The Salt Road")
    assert imported.metadata["engine"] == "imported"

    # 8. Continue it.
    page.get_by_role("link", name="Continue the story").first.click()
    page.get_by_label("Chapters to add").fill("1")
    page.get_by_role("button", name="Continue without a plan").click()
    _wait_for_version(page, 2)
    continued = _latest("The Salt Road")
    _same_except(imported, continued, set(), added=1)
    expect(page.locator(".reader__toc li")).to_have_count(4)
    shoot("49-workspace-imported-continued")

    # 9. Export it.
    with page.expect_download() as info:
        page.get_by_role("link", name="MD", exact=True).click()
    saved = tmp_path / info.value.suggested_filename
    info.value.save_as(saved)
    exported = saved.read_text(encoding="utf-8")
    assert "Landfall" in exported and "Nobody spoke of the debt." in exported
    assert chapters_from_text(continued.narrative_text)[-1].title in exported
