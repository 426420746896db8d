"""Every page at phone and desktop widths, light and dark: nothing scrolls sideways.

A person on a 360–390 px phone must never have to pan the page; the main
navigation folds into a menu there and opens with one tap.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, expect

from tests.browser.pages import PUBLIC_PAGES, build_site, horizontal_overflow, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

VIEWPORTS = {"phone-360": (360, 780), "phone": (390, 844), "desktop": (1280, 860)}
SCHEMES = ("light", "dark")


def _context(browser: Browser, viewport: str, scheme: str):
    width, height = VIEWPORTS[viewport]
    return browser.new_context(
        viewport={"width": width, "height": height},
        color_scheme=scheme,
        device_scale_factor=1,
        is_mobile=width < 600,
        has_touch=width < 600,
    )


def _overflowing(page, base: str, pages) -> dict:
    found = {}
    for name, path in pages:
        response = page.goto(base + path)
        assert response is not None and response.status == 200, f"{name} ({path}) answered {response.status}"
        page.wait_for_load_state("networkidle")
        problem = horizontal_overflow(page)
        if problem:
            found[name] = problem
    return found


@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_no_signed_in_page_scrolls_sideways(live_server, browser: Browser, viewport, scheme):
    site = build_site()
    context = _context(browser, viewport, scheme)
    page = context.new_page()
    sign_in(page, live_server.url, site.user)
    try:
        found = _overflowing(page, live_server.url, site.pages())
    finally:
        context.close()
    assert found == {}, f"pages wider than the {viewport} viewport: {found}"


@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_no_public_page_scrolls_sideways(live_server, browser: Browser, viewport, scheme):
    context = _context(browser, viewport, scheme)
    page = context.new_page()
    try:
        found = _overflowing(page, live_server.url, PUBLIC_PAGES)
    finally:
        context.close()
    assert found == {}, f"pages wider than the {viewport} viewport: {found}"


def test_staff_status_page_fits_a_phone(live_server, browser: Browser, staff):
    context = _context(browser, "phone", "light")
    page = context.new_page()
    sign_in(page, live_server.url, staff)
    try:
        found = _overflowing(page, live_server.url, [("ops-status", "/ops/status/")])
    finally:
        context.close()
    assert found == {}


def test_on_a_phone_the_navigation_is_a_menu_that_opens_with_a_tap(live_server, browser: Browser, owner):
    context = _context(browser, "phone", "light")
    page = context.new_page()
    sign_in(page, live_server.url, owner)
    try:
        page.goto(live_server.url + "/")
        header = page.locator(".site-header")
        usage = header.get_by_role("link", name="Usage", exact=True)
        expect(usage).to_be_hidden()
        menu = header.get_by_text("Menu", exact=True)
        expect(menu).to_be_visible()
        menu.click()
        expect(usage).to_be_visible()
        box = usage.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390
        # Every destination is in the menu, fully visible, and one tap away.
        for name in ("Dashboard", "Projects", "Jobs", "Library", "Usage", "Plans", "Profile"):
            expect(header.get_by_role("link", name=name, exact=True)).to_be_visible()
        expect(header.get_by_role("button", name="Sign out")).to_be_visible()
        # Escape closes it again.
        page.keyboard.press("Escape")
        expect(usage).to_be_hidden()
        menu.click()
        usage.click()
        expect(page.get_by_role("heading", name="Usage", level=1)).to_be_visible()
        expect(header.get_by_role("link", name="Usage", exact=True)).to_be_hidden()
    finally:
        context.close()


def test_on_a_desktop_the_navigation_is_inline(live_server, browser: Browser, owner):
    context = _context(browser, "desktop", "light")
    page = context.new_page()
    sign_in(page, live_server.url, owner)
    try:
        page.goto(live_server.url + "/")
        header = page.locator(".site-header")
        expect(header.get_by_text("Menu", exact=True)).to_be_hidden()
        for name in ("Dashboard", "Projects", "Jobs", "Library", "Usage"):
            expect(header.get_by_role("link", name=name, exact=True)).to_be_visible()
    finally:
        context.close()


def test_reader_text_is_not_justified_on_a_phone(live_server, browser: Browser):
    site = build_site()
    for viewport, expected in (("phone", ("left", "start")), ("desktop", ("justify",))):
        context = _context(browser, viewport, "light")
        page = context.new_page()
        sign_in(page, live_server.url, site.user)
        try:
            page.goto(live_server.url + f"/narratives/{site.narrative.pk}/")
            paragraph = page.locator(".chapter p").nth(1)
            align = paragraph.evaluate("p => getComputedStyle(p).textAlign")
            hyphens = paragraph.evaluate("p => getComputedStyle(p).hyphens")
            assert align in expected, (viewport, align)
            if align == "justify":
                assert hyphens == "auto"  # justified text only with hyphenation
        finally:
            context.close()
