"""One click, one job (issue 11 §3), as a person sees it: the button says it is working at once."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client
from playwright.sync_api import Page, expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_start_writing_shows_it_is_working_and_a_second_click_sends_nothing(
    live_server, page: Page, redis_conn
):
    from accounts.models import User
    from jobs.models import GenerationJob
    from projects.services import project_create

    user = User.objects.create_user(email="clicker@example.com", password="a-long-pass-phrase-9")  # noqa: S106
    project = project_create(user=user, name="Harbour")
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    page.context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": live_server.url}]
    )

    create_url = f"{live_server.url}/jobs/new/{project.id}/"
    posts = []
    page.on("request", lambda r: posts.append(r.url) if r.method == "POST" and r.url == create_url else None)
    page.goto(create_url)
    page.get_by_label("Inspiration").fill("A ferryman keeps a ledger of the drowned.")
    page.wait_for_load_state("networkidle")  # the live estimate has answered
    # Note what the button looks like right after each submit (sessionStorage survives the navigation).
    page.evaluate(
        """() => document.addEventListener("submit", (e) => {
             const b = e.submitter, log = JSON.parse(sessionStorage.getItem("nf-submits") || "[]");
             log.push([b.textContent, b.getAttribute("aria-disabled"), e.defaultPrevented]);
             sessionStorage.setItem("nf-submits", JSON.stringify(log));
           })"""
    )
    page.get_by_role("button", name="Start writing").dblclick()
    page.wait_for_url(f"{live_server.url}/jobs/*/")
    expect(page.get_by_text("Your brief is queued")).to_be_visible()
    submits = page.evaluate('() => JSON.parse(sessionStorage.getItem("nf-submits") || "[]")')
    assert submits[0] == ["Starting…", "true", False]  # the first click submits and says it is working
    assert len(submits) >= 2 and all(prevented for _, _, prevented in submits[1:])  # the second is swallowed
    assert len(posts) == 1, (posts, submits)
    assert GenerationJob.objects.filter(user=user).count() == 1
