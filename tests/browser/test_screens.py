"""The README's pictures of the newer pages, and every main page on a 390 px phone (light and dark).

Ordinary runs write them to var/screenshots; ``make screenshots`` to docs/screenshots.
Each shot also checks what it shows, so a picture of a broken page fails the run.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, expect

from tests.browser.conftest import SCREENSHOTS
from tests.browser.pages import build_site, horizontal_overflow, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 860}
MAX_HEIGHT = 2600  # a whole novel in one picture helps nobody


def _context(browser: Browser, viewport: dict, scheme: str):
    phone = viewport["width"] < 600
    return browser.new_context(
        viewport=viewport, color_scheme=scheme, device_scale_factor=1, is_mobile=phone, has_touch=phone
    )


def _shoot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.evaluate("window.scrollTo(0, 0)")
    page.wait_for_timeout(150)
    height = min(page.evaluate("document.documentElement.scrollHeight"), MAX_HEIGHT)
    width = page.viewport_size["width"]
    page.screenshot(
        path=str(SCREENSHOTS / f"{name}.png"),
        full_page=True,
        clip={"x": 0, "y": 0, "width": width, "height": height},
    )


def _visit(page, url: str) -> None:
    response = page.goto(url)
    assert response is not None and response.status == 200, url
    page.wait_for_load_state("networkidle")
    assert horizontal_overflow(page) is None, url


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_phone_screenshots_of_the_main_pages(live_server, browser: Browser, scheme):
    site = build_site()
    base = live_server.url
    suffix = "" if scheme == "light" else "-dark"
    context = _context(browser, PHONE, scheme)
    page = context.new_page()
    try:
        _visit(page, base + "/")
        expect(page.get_by_test_id("sample-excerpt")).to_be_visible()
        _shoot(page, f"30-phone-landing{suffix}")
        sign_in(page, base, site.user)
        shots = [
            ("31-phone-dashboard", "/", "Welcome back"),
            ("32-phone-generate", f"/jobs/new/{site.project.pk}/", "Generate a narrative"),
            ("33-phone-job", f"/jobs/{site.failed_job.pk}/", "A Storm of Paper"),
            ("34-phone-library", "/narratives/", "Library"),
            ("35-phone-reader", f"/narratives/{site.narrative.pk}/", site.narrative.title),
            ("36-phone-usage", "/usage/", "Usage"),
            ("37-phone-plans", "/usage/plans/", "Plans"),
        ]
        for name, path, heading in shots:
            _visit(page, base + path)
            expect(page.get_by_role("heading", name=heading, level=1).first).to_be_visible()
            _shoot(page, name + suffix)
        # The menu, open.
        page.goto(base + "/")
        page.locator(".site-header").get_by_text("Menu", exact=True).click()
        expect(page.locator(".site-header").get_by_role("link", name="Plans")).to_be_visible()
        page.screenshot(path=str(SCREENSHOTS / f"38-phone-menu{suffix}.png"))
    finally:
        context.close()


def test_desktop_screenshots_of_the_newer_pages(live_server, browser: Browser, make_user):
    site = build_site()
    base = live_server.url
    for scheme in ("light", "dark"):
        suffix = "" if scheme == "light" else "-dark"
        context = _context(browser, DESKTOP, scheme)
        page = context.new_page()
        try:
            sign_in(page, base, site.user)
            _visit(page, base + "/usage/")
            expect(page.get_by_text("Drafting and style").first).to_be_visible()
            _shoot(page, f"14-usage{suffix}")
            _visit(page, base + "/usage/plans/")
            expect(page.get_by_role("button", name="Request an upgrade")).to_be_visible()
            _shoot(page, f"15-plans{suffix}")
            _visit(page, base + f"/narratives/{site.revision.pk}/diff/?against={site.narrative.pk}")
            _shoot(page, f"22-diff{suffix}")
            newcomer = make_user(f"new-{scheme}@example.com", full_name="Nia Newcomer")
            sign_in(page, base, newcomer)
            _visit(page, base + "/")
            expect(page.get_by_role("heading", name="Welcome to NarraForge, Nia")).to_be_visible()
            _shoot(page, f"16-welcome{suffix}")
        finally:
            context.close()


@pytest.mark.worker
def test_a_writing_job_shows_its_chapter_and_words(live_server, browser: Browser, worker, owner):
    """A real worker writes an epic saga; the page is pictured while it is mid-book."""
    from jobs.services import job_create
    from projects.services import project_create

    project = project_create(user=owner, name="The Long Winter")
    brief = {
        "production_type": "epic_saga",
        "genre": "fantasy",
        "title": "The Long Winter",
        "inspiration": "Lighthouse keepers keep the last fire burning through a winter of ten years.",
        "target_words": 200000,
    }
    job = job_create(user=owner, project=project, brief=brief)
    for viewport, name in ((DESKTOP, "05-job-writing"), (PHONE, "39-phone-job-writing")):
        context = _context(browser, viewport, "light")
        page = context.new_page()
        try:
            sign_in(page, live_server.url, owner)
            page.goto(f"{live_server.url}/jobs/{job.pk}/")
            position = page.get_by_test_id("job-position")
            if viewport is DESKTOP:
                expect(position).to_contain_text("Writing chapter", timeout=60_000)
                expect(position).to_contain_text(" of ")
                expect(position).to_contain_text("words written so far, of about 200,000")
                expect(page.locator("h1 + p")).to_contain_text("200,000 words")
            _shoot(page, name)
        finally:
            context.close()
