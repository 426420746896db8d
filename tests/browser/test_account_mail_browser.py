"""Password reset by the mailed link, read from the development mailbox, at phone and laptop widths."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NEW_PASSWORD = "a-fresh-pass-phrase-77"  # noqa: S105


def _no_sideways_scroll(page: Page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], f"{page.url} scrolls sideways: {width}px"


@pytest.mark.parametrize("width", [390, 1280])
def test_a_writer_resets_the_password_from_the_development_mailbox(
    live_server, page: Page, settings, tmp_path, width, shoot
):
    from accounts.models import User

    settings.DEBUG = True  # the mailbox is open to anyone only in development
    settings.MAILERS = {"default": {"BACKEND": "narraforge.devmail.DevMailboxBackend"}}
    settings.NF_DEV_MAILBOX_DIR = tmp_path
    user = User.objects.create_user(email="writer@example.com", password="the-old-pass-phrase-1")  # noqa: S106
    page.set_viewport_size({"width": width, "height": 860})
    base = live_server.url

    page.goto(base + "/accounts/password/reset/")
    page.get_by_label("Email").fill(user.email)
    page.get_by_role("button", name="Reset My Password").click()
    expect(page).to_have_url(base + "/accounts/password/reset/done/")

    page.goto(base + "/dev/mail/")
    _no_sideways_scroll(page)
    page.locator("ul.list a").first.click()
    mail = page.get_by_test_id("mail")
    expect(mail).to_contain_text(user.email)
    _no_sideways_scroll(page)
    if width == 390:
        shoot("30-dev-mailbox-phone")
    mail.locator("a[href*='/accounts/password/reset/key/']").click()

    page.get_by_label("New Password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("New Password (again)").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Change Password").click()
    expect(page.get_by_text("Your password is now changed.")).to_be_visible()

    page.goto(base + "/accounts/login/")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    expect(page).to_have_url(base + "/")
