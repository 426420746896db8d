"""End-to-end journeys in a real browser with a real worker and the offline engine."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

pytestmark = [pytest.mark.browser, pytest.mark.worker, pytest.mark.django_db(transaction=True)]

JOB_TIMEOUT_MS = 90_000
INSPIRATION = (
    "A lighthouse keeper finds letters addressed to someone who will not be born for a hundred years."
)


def sign_up(page: Page, base: str, email: str) -> None:
    page.goto(base + "/")
    page.get_by_role("link", name="Create a free account").click()
    expect(page.get_by_role("heading", name="Sign Up")).to_be_visible()
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password", exact=True).fill("a-long-pass-phrase-9")
    page.get_by_label("Password (again)").fill("a-long-pass-phrase-9")
    page.get_by_role("button", name="Sign Up").click()
    expect(page.get_by_role("heading", name=re.compile("Welcome"))).to_be_visible()


def create_project(page: Page, base: str, name: str) -> None:
    page.goto(base + "/projects/new/")
    page.get_by_label("Name").fill(name)
    page.get_by_label("Description").fill("Stories of the northern coast.")
    page.get_by_label("Default type").select_option("short_story")
    page.get_by_label("Default genre").select_option("fantasy")
    page.get_by_role("button", name="Create project").click()
    expect(page.get_by_role("heading", name=name, level=1)).to_be_visible()


def test_sign_up_create_project_generate_and_read(page: Page, live_server, worker, shoot):
    base = live_server.url
    page.goto(base + "/")
    shoot("01-landing", dark=True)
    page.goto(base + "/accounts/signup/")
    shoot("02-sign-up", dark=True)

    sign_up(page, base, "writer@example.com")
    shoot("03-dashboard-empty")
    create_project(page, base, "Northern Lights")

    page.get_by_role("link", name="Generate a narrative").first.click()
    expect(page.get_by_role("heading", name="Generate a narrative")).to_be_visible()
    # Prefilled from the project's defaults; the estimate is live.
    expect(page.get_by_label("Type")).to_have_value("short_story")
    expect(page.get_by_label("Genre")).to_have_value("fantasy")
    page.get_by_label("Title").fill("The Keeper of Letters")
    page.get_by_label("Inspiration").fill(INSPIRATION)
    page.get_by_label("Tone").select_option("lyrical")
    page.get_by_label("Length (words)").fill("100")
    page.get_by_label("Tone").select_option("hopeful")  # a change event → htmx estimate
    expect(page.locator("#estimate")).to_contain_text("A short story is 5,000 to 10,000 words")
    page.get_by_label("Length (words)").fill("5000")
    page.get_by_label("Tone").select_option("lyrical")
    expect(page.locator("#estimate")).to_contain_text("Estimated cost")
    expect(page.locator("#estimate")).to_contain_text("5 this month")
    shoot("04-generation-form", dark=True)

    page.get_by_role("button", name="Start writing").click()
    expect(page.get_by_role("heading", name="Progress")).to_be_visible()
    expect(page.locator(".stage")).to_have_count(10)
    shoot("05-job-page", dark=True)

    # The page polls; at 100% it moves on to the narrative by itself.
    page.wait_for_url(re.compile(r"/narratives/[0-9a-f-]+/"), timeout=JOB_TIMEOUT_MS)
    expect(page.locator("body")).to_contain_text("The Keeper of Letters")
    shoot("06-narrative", dark=True)

    # The job page of the finished job: all ten stages done, 100%.
    page.goto(base + "/jobs/")
    shoot("07-jobs-list")
    page.get_by_role("link", name="The Keeper of Letters").first.click()
    expect(page.get_by_test_id("job-percentage")).to_have_text("100%")
    expect(page.locator(".stage--done")).to_have_count(10)
    expect(page.get_by_role("link", name="Read the narrative")).to_be_visible()
    shoot("08-job-done", dark=True)

    page.goto(base + "/")
    expect(page.locator("body")).to_contain_text("The Keeper of Letters")
    shoot("09-dashboard", dark=True)
    page.get_by_role("link", name="Northern Lights").first.click()
    expect(page.locator(".stat__value").first).to_have_text("1")
    shoot("10-project", dark=True)
    page.locator(".user-chip").click()
    expect(page.get_by_role("heading", name="Your profile")).to_be_visible()
    shoot("11-profile", dark=True)


def test_it_lets_a_writer_review_and_edit_the_plan_before_drafting(page: Page, live_server, worker, shoot):
    base = live_server.url
    sign_up(page, base, "planner@example.com")
    create_project(page, base, "Glass Harbour")
    page.get_by_role("link", name="Generate a narrative").first.click()
    page.get_by_label("Title").fill("The Glass Tide")
    page.get_by_label("Inspiration").fill("A harbour town where the sea turns to glass every winter.")
    page.get_by_label("Let me review the plan first").check()
    page.get_by_role("button", name="Start writing").click()

    page.wait_for_url(re.compile(r"/jobs/[0-9a-f-]+/plan/"), timeout=JOB_TIMEOUT_MS)
    expect(page.get_by_role("heading", name=re.compile("Review the plan"))).to_be_visible()
    segments = page.get_by_test_id("segment")
    count = segments.count()
    assert count >= 2
    first_title = page.locator("#seg-0-title").input_value()
    second_title = page.locator("#seg-1-title").input_value()
    shoot("12-plan-review", dark=True)

    # Reorder: move the first segment down.
    page.get_by_role("button", name="Move segment 1 down").click()
    expect(page.locator("#seg-0-title")).to_have_value(second_title)
    expect(page.locator("#seg-1-title")).to_have_value(first_title)

    # Add a segment, leave it empty: "Write it" refuses with messages and writes nothing.
    page.get_by_role("button", name="Add a segment at the end").click()
    expect(segments).to_have_count(count + 1)
    page.get_by_role("button", name="Write it").click()
    expect(page.locator(".form-errors")).to_contain_text("1 segment needs attention")
    expect(page.locator(f"#segment-{count}")).to_contain_text("Write a short summary.")
    shoot("13-plan-review-errors")

    # Remove it again, edit the new first segment's summary, and write.
    page.get_by_role("button", name=f"Remove segment {count + 1}").click()
    expect(segments).to_have_count(count)
    page.locator("#seg-0-summary").fill(
        "The harbour freezes into glass and the ferryman's daughter walks out on it."
    )
    page.get_by_role("button", name="Write it").click()
    expect(page.get_by_role("heading", name="Progress")).to_be_visible()

    page.wait_for_url(re.compile(r"/narratives/[0-9a-f-]+/"), timeout=JOB_TIMEOUT_MS)
    expect(page.locator("body")).to_contain_text("The Glass Tide")
