"""The job page shows the passage being written, as a real worker streams it from a model server."""

from __future__ import annotations

import pytest
from django.conf import settings
from playwright.sync_api import Page, expect

from jobs.pipeline.testing import FakeChatServer
from jobs.services import job_create
from jobs.tests.conftest import SHORT_BRIEF, Workers
from projects.services import project_create
from tests.browser.helpers import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.worker, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def slow_model():
    # Slow tokens: a passage takes seconds to stream, as on a real server.
    with FakeChatServer(api_key="browser-key", token_delay=0.03, chunk_chars=24) as server:
        yield server


@pytest.fixture
def model_worker(live_server, redis_conn, slow_model):
    pool = Workers(settings.DATABASES["default"]["NAME"], settings.REDIS_URL)
    pool.start(
        env={
            "NF_LLM_BACKEND": "openai",
            "OPENAI_API_KEY": "browser-key",
            "OPENAI_BASE_URL": slow_model.base_url,
            "NF_LIVE_PROSE_SECONDS": "0.3",
            "NF_PROGRESS_INTERVAL_SECONDS": "0.2",
        }
    )
    yield pool
    pool.stop_all()


@pytest.mark.parametrize("width", [1280, 390], ids=["desktop", "phone"])
def test_the_job_page_shows_the_prose_as_it_is_streamed(
    page: Page, live_server, model_worker, owner, shoot, width
):
    page.set_viewport_size({"width": width, "height": 860})
    sign_in(page, live_server.url, owner)
    job = job_create(user=owner, project=project_create(user=owner, name="Lanterns"), brief=SHORT_BRIEF)
    page.goto(f"{live_server.url}/jobs/{job.pk}/")
    live = page.get_by_test_id("live-prose")
    expect(live).to_be_visible(timeout=90_000)
    expect(live.get_by_role("heading")).to_contain_text("Writing chapter")
    first = live.locator(".live-prose__text").inner_text()
    assert len(first.split()) >= 3
    # It grows while the page sits there: the panel re-polls and the worker keeps streaming.
    page.wait_for_function(
        "([n]) => { const el = document.querySelector('[data-testid=live-prose]');"
        " return el && el.innerText.split(/\\s+/).length > n; }",
        arg=[len(first.split()) + 5],
        timeout=60_000,
    )
    box = live.bounding_box()
    assert box is not None and box["width"] <= width  # no sideways scrolling on a phone
    shoot(f"13-live-prose-{width}")
