"""Forms as a writer uses them in a browser: long pastes, Back after a submit, the search box."""

from __future__ import annotations

import contextlib
import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.pages import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def writer_page(live_server, page: Page, owner):
    from projects.services import project_create

    project = project_create(
        user=owner, name="Tidewater", default_production_type="short_story", default_genre="fantasy"
    )
    sign_in(page, live_server.url, owner)
    page.goto(f"{live_server.url}/jobs/new/{project.pk}/")
    return page


def test_a_pasted_20000_character_inspiration_is_counted_and_refused_not_cut(writer_page: Page):
    from jobs.models import GenerationJob

    page = writer_page
    text = ("The keeper counts the letters again. " * 600)[:20_000]
    box = page.get_by_label("Inspiration")
    box.fill(text)  # as a paste: the whole text at once
    assert len(box.input_value()) == 20_000  # the browser kept all of it
    counter = page.locator('[data-counter-for="id_inspiration"]')
    expect(counter).to_contain_text("20,000 / 4,000 characters")
    expect(counter).to_contain_text("16,000 over the limit")
    expect(counter).to_have_class(re.compile("field__counter--over"))
    page.get_by_role("button", name="Start writing").click()
    expect(page.locator("#id_inspiration_error")).to_contain_text(
        "This is 20,000 characters long; the limit is 4,000. Shorten it by 16,000 characters"
    )
    assert len(page.get_by_label("Inspiration").input_value()) == 20_000
    assert GenerationJob.objects.count() == 0
    page.get_by_label("Inspiration").fill("A harbour that freezes into glass.")
    expect(counter).to_contain_text("34 / 4,000 characters")
    expect(counter).not_to_have_class(re.compile("field__counter--over"))


def test_back_after_a_submit_says_the_job_exists_and_links_to_it(writer_page: Page, live_server):
    from jobs.models import GenerationJob

    page = writer_page
    page.get_by_label("Title").fill("The Keeper of Letters")
    page.get_by_label("Inspiration").fill("A lighthouse keeper finds letters from the future.")
    page.get_by_role("button", name="Start writing").click()
    expect(page.get_by_role("heading", name="Progress")).to_be_visible()
    job = GenerationJob.objects.get()
    page.go_back()
    notice = page.get_by_test_id("already-submitted")
    expect(notice).to_contain_text("You already sent this form: it started The Keeper of Letters")
    expect(notice.get_by_role("link", name="Open the job")).to_have_attribute("href", f"/jobs/{job.pk}/")
    # Sending the very same form again opens that job (one click, one job) ...
    page.get_by_role("button", name="Start writing").click()
    expect(page).to_have_url(re.compile(f"/jobs/{job.pk}/$"))
    assert GenerationJob.objects.count() == 1
    # ... and "start afresh" gives an empty form that says nothing about it.
    page.go_back()
    expect(notice).to_be_visible()
    notice.get_by_role("link", name="Start afresh from an empty form").click()
    expect(page.get_by_role("heading", name="Generate a narrative")).to_be_visible()
    page.wait_for_load_state("networkidle")
    expect(page.get_by_test_id("already-submitted")).to_have_count(0)
    expect(page.get_by_label("Inspiration")).to_have_value("")


def test_the_library_search_box_cancels_stale_requests(live_server, page: Page, owner):
    """A slow answer to an old query never replaces the results of the newest one."""
    from narratives.models import Narrative
    from narratives.tests.conftest import sample_metadata

    for title, text in (
        ("The Salt Road", "## One\n\nThe harbour at dawn."),
        ("Glass", "## One\n\nA lighthouse."),
    ):
        Narrative.objects.create(
            user=owner,
            title=title,
            narrative_text=text,
            word_count=4,
            production_type="short_story",
            genre="fantasy",
            generation_cost_usd=0.0,
            tokens_used=1,
            metadata=sample_metadata("en"),
        )
    sign_in(page, live_server.url, owner)
    page.goto(live_server.url + "/narratives/")
    held, aborted = [], []

    def hold_the_first_query(route):
        if "q=harbour" in route.request.url and not held:
            held.append(route)  # answered later, after the newer query
            return
        route.continue_()

    page.route(re.compile(r"/narratives/\?"), hold_the_first_query)
    page.on("requestfailed", lambda request: aborted.append(request.url))
    search = page.get_by_label("Search")
    search.fill("harbour")
    page.wait_for_timeout(700)  # past the 400 ms delay: the first request is in flight (held)
    assert held
    search.fill("lighthouse")
    expect(page.get_by_text("1 narrative matching")).to_be_visible()
    expect(page.get_by_role("link", name="Glass")).to_be_visible()
    # htmx aborted the stale request instead of letting it land later.
    page.wait_for_timeout(300)
    assert any("q=harbour" in url for url in aborted), aborted
    # The aborted request may already be gone, which is the point.
    with contextlib.suppress(Exception):
        held[0].continue_()
    page.wait_for_timeout(500)
    expect(page.get_by_role("link", name="Glass")).to_be_visible()
    expect(page.get_by_role("link", name="The Salt Road")).to_have_count(0)
