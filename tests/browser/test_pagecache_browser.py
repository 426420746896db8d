"""The page cache as a writer meets it, in a real browser at 1280 px and 390 px (issue 18 §6).

The browser has its own CSRF cookie, so the library, the dashboard and the
reader are served from narraforge.pagecache after the first open. What a
person must see: a book a worker finished meanwhile, and a rename made
elsewhere, on the next open; forms on a page from the cache still work.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, expect

from tests.browser.helpers import VIEWPORTS, fits, salt_road, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_pages_from_the_cache_show_what_changed_meanwhile_and_their_forms_work(
    live_server, browser: Browser, viewport
):
    from narraforge import pagecache
    from narratives.models import Narrative

    user, book = salt_road(f"cached-{viewport}@example.com")
    width, height = VIEWPORTS[viewport]
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    base = live_server.url
    sign_in(page, base, user)
    pagecache.pages.clear()

    for _ in range(2):  # the second open comes from the cache
        page.goto(f"{base}/narratives/")
        expect(page.get_by_role("link", name="The Salt Road")).to_be_visible()
    assert len(pagecache.pages) >= 1, "the library was not kept"
    fits(page)

    # Meanwhile a worker finishes another book, and the title is changed by a plain UPDATE.
    Narrative.objects.create(
        user=user, project=book.project, title="The Iron Coast", production_type="short_story",
        genre="fantasy", narrative_text=book.narrative_text, word_count=book.word_count,
        generation_cost_usd=0.0, tokens_used=0, metadata=book.metadata,
    )  # fmt: skip
    Narrative.objects.filter(pk=book.pk).update(title="The Salt Road, Revised")
    page.goto(f"{base}/narratives/")
    expect(page.get_by_role("link", name="The Iron Coast")).to_be_visible()
    expect(page.get_by_role("link", name="The Salt Road, Revised")).to_be_visible()

    page.goto(f"{base}/")
    page.goto(f"{base}/")
    expect(page.get_by_text("The Iron Coast").first).to_be_visible()
    fits(page)

    page.goto(f"{base}/narratives/{book.pk}/")
    page.goto(f"{base}/narratives/{book.pk}/")
    expect(page.get_by_role("heading", name="The Salt Road, Revised", level=1)).to_be_visible()
    fits(page)

    # A form on a page from the cache carries this browser's CSRF token: signing out works.
    if viewport == "phone":
        page.get_by_text("Menu").click()
        page.locator(".nav-menu__signout").get_by_role("button", name="Sign out").click()
    else:
        page.locator(".site-header__end").get_by_role("button", name="Sign out").first.click()
    expect(page.get_by_role("link", name="Sign in").first).to_be_visible()
    page.goto(f"{base}/narratives/")
    assert "/accounts/login/" in page.url  # nothing of the writer's is served after signing out
    context.close()
