"""Bring your own model, in a real browser with a real worker (issue 17).

A writer connects a local wire-format server from the profile (the llama.cpp
preset fills the form), tests it — first with a model the server does not
offer, then with the one it lists, picked from the result — saves it as the
default, sees on the generation form that it will write (and at what price),
and writes a short story with it: the worker's calls reach that server, and
the reader's badge names the connection and the model. At 1280 and 390 px.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from jobs.pipeline.testing import FakeChatServer
from tests.browser.conftest import SCREENSHOTS
from tests.browser.pages import horizontal_overflow, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.worker, pytest.mark.django_db(transaction=True)]

JOB_TIMEOUT_MS = 120_000
MODEL = "story-7b"
KEY = "sk-local-test-key-0042"


def _writer(email: str):
    from accounts.models import User
    from projects.services import project_create

    user = User.objects.create_user(email=email, password="a-long-pass-phrase-9")  # noqa: S106
    project = project_create(
        user=user, name="Northern Lights", default_genre="fantasy", default_production_type="short_story"
    )
    return user, project


def _connect_from_the_profile(page: Page, base: str, server: FakeChatServer, shoot, suffix: str = "") -> None:
    page.goto(base + "/profile/")
    page.get_by_test_id("profile-connections").get_by_role("link", name="Model connections").click()
    expect(page.get_by_role("heading", name="Model connections", level=1)).to_be_visible()
    page.get_by_role("link", name="Add a connection").first.click()
    expect(page.get_by_role("heading", name="Add a model connection")).to_be_visible()
    page.wait_for_load_state("load")  # htmx and the preset script (deferred) are ready

    page.get_by_label("Kind of server").select_option("llamacpp")
    expect(page.get_by_label("Base URL")).to_have_value("http://localhost:8080/v1")  # the preset filled it
    expect(page.get_by_label("Name")).to_have_value("llama.cpp server")
    expect(page.locator("[data-preset-hint]")).to_contain_text("llama-server")
    page.get_by_label("Name").fill("Home llama")
    page.get_by_label("Base URL").fill(server.base_url)
    page.get_by_label("API key").fill(KEY)

    # The preset's placeholder model is not one the server offers: the test says so and lists its models.
    page.get_by_role("button", name="Test connection").click()
    result = page.get_by_test_id("probe-result")
    expect(result).to_have_attribute("data-cause", "unknown_model")
    expect(result).to_contain_text("does not offer the model")
    page.get_by_role("button", name=f"Use {MODEL} for planning").click()
    page.get_by_role("button", name=f"Use {MODEL} for writing").click()
    expect(page.get_by_label("Model for writing the prose (gpt4)")).to_have_value(MODEL)

    page.get_by_role("button", name="Test connection").click()
    expect(result).to_have_attribute("data-cause", "ok")
    expect(result).to_contain_text("Connected")
    expect(result).to_contain_text("answered in")
    expect(result).to_contain_text("8,192 tokens (stated by the server)")
    assert KEY not in page.content()
    shoot(f"61-connection-test{suffix}")

    page.get_by_label("Write my jobs with this connection by default").check()
    page.get_by_role("button", name="Save connection").click()
    expect(page.locator(".alert--success")).to_contain_text("“Home llama” was saved")
    row = page.get_by_test_id("connection")
    expect(row).to_contain_text("Home llama")
    expect(row).to_contain_text("Default")
    expect(row.get_by_test_id("key-hint")).to_contain_text("0042")
    assert KEY not in page.content()
    row.get_by_role("button", name="Test").click()
    expect(row.get_by_test_id("probe-result")).to_have_attribute("data-cause", "ok")
    expect(page.get_by_test_id("writes-with")).to_contain_text("Home llama")
    shoot(f"60-connections-list{suffix}")


def test_a_writer_connects_a_local_server_tests_it_and_writes_a_story_with_it(
    page: Page, live_server, worker, shoot
) -> None:
    user, project = _writer("byok@example.com")
    base = live_server.url
    with FakeChatServer(api_key=KEY, models=(MODEL,), context_window=8192) as server:
        sign_in(page, base, user)
        _connect_from_the_profile(page, base, server, shoot)

        page.goto(f"{base}/projects/{project.id}/")
        page.get_by_role("link", name="Generate a narrative").first.click()
        estimate = page.locator("#estimate")
        expect(estimate.get_by_test_id("what-will-write")).to_contain_text("Home llama will write this")
        expect(estimate).to_contain_text(MODEL)
        expect(page.get_by_label("Written by")).to_have_value(re.compile(r".+"))
        page.get_by_label("Title").fill("The Keeper of Letters")
        page.get_by_label("Inspiration").fill(
            "A lighthouse keeper finds letters addressed to someone who will not be born for a hundred years."
        )
        page.get_by_label("Length (words)").fill("5000")
        page.get_by_label("Tone").select_option("lyrical")
        expect(estimate).to_contain_text("billed by your provider")
        shoot("62-generation-form-connection")

        page.get_by_role("button", name="Start writing").click()
        expect(page.get_by_test_id("job-connection")).to_contain_text("Home llama")
        page.wait_for_url(re.compile(r"/narratives/[0-9a-f-]+/"), timeout=JOB_TIMEOUT_MS)
        expect(page.locator(".reader__byline .badge")).to_contain_text(f"Home llama · {MODEL}")
        page.evaluate("window.scrollTo(0, 0)")  # the top of the reader, where the badge is (a story is long)
        page.screenshot(path=str(SCREENSHOTS / "63-reader-connection.png"))
        drafted = [r for r in server.requests if r.get("model") == MODEL]
    assert len(drafted) >= 5  # planning, drafting and the checks all went to the writer's own server
    assert all(r.get("model") == MODEL for r in server.requests)


def test_the_connection_pages_fit_a_phone(page: Page, live_server, shoot) -> None:
    user, project = _writer("phone@example.com")
    base = live_server.url
    page.set_viewport_size({"width": 390, "height": 844})
    with FakeChatServer(api_key=KEY, models=(MODEL,), context_window=8192) as server:
        sign_in(page, base, user)
        _connect_from_the_profile(page, base, server, shoot, suffix="-phone")
        assert horizontal_overflow(page) is None
        page.get_by_role("link", name="Edit").click()
        page.wait_for_load_state("load")
        expect(page.get_by_label("API key")).to_have_value("")  # write-only: never sent back
        assert horizontal_overflow(page) is None
        page.get_by_role("button", name="Test connection").click()
        expect(page.get_by_test_id("probe-result")).to_have_attribute("data-cause", "ok")  # the stored key
        assert horizontal_overflow(page) is None
        shoot("64-phone-connection-form")
        page.goto(f"{base}/jobs/new/{project.id}/")
        expect(page.get_by_test_id("what-will-write")).to_contain_text("Home llama")
        assert horizontal_overflow(page) is None
        shoot("65-phone-generate-connection")
