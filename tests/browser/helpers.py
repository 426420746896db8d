"""What the browser tests share: the two widths, signing a writer in, a finished book, no sideways scroll."""

from __future__ import annotations

from django.conf import settings
from django.test import Client
from playwright.sync_api import Page

VIEWPORTS = {"desktop": (1280, 860), "phone": (390, 844)}


def sign_in(page: Page, base: str, user) -> None:
    """The browser carries a session of ``user`` (signing in through the form is tested elsewhere)."""
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    page.context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": base}])


def salt_road(email: str, *, project: str | None = "Salt Coast"):
    """A writer with one finished short story in chapters ("The Salt Road"): (user, narrative)."""
    from accounts.models import User
    from narratives.models import Narrative
    from narratives.tests.conftest import SAMPLE_CHAPTERS, chapter_text, sample_metadata
    from projects.services import project_create

    user = User.objects.create_user(email=email, password="a-long-pass-phrase-9")  # noqa: S106
    text = chapter_text(SAMPLE_CHAPTERS)
    return user, Narrative.objects.create(
        user=user,
        project=project_create(user=user, name=project) if project else None,
        title="The Salt Road",
        production_type="short_story",
        genre="fantasy",
        narrative_text=text,
        word_count=len(text.split()),
        generation_cost_usd=0.0,
        tokens_used=0,
        metadata=sample_metadata("en"),
    )


def fits(page: Page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], f"the page scrolls sideways ({width} px)"
