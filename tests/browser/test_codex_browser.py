"""The codex in a browser: a writer adds a character, edits it, is refused a duplicate, removes one."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import SCREENSHOTS
from tests.browser.pages import horizontal_overflow, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("width", [1280, 390])
def test_a_writer_adds_and_edits_a_codex_entry(live_server, page: Page, owner, width):
    from projects.models import CodexEntry
    from projects.services import project_create

    page.set_viewport_size({"width": width, "height": 860})
    project = project_create(user=owner, name="Tidewater")
    sign_in(page, live_server.url, owner)
    page.goto(f"{live_server.url}/projects/{project.pk}/")
    codex = page.get_by_test_id("codex")
    expect(codex.get_by_role("heading", name="Codex")).to_be_visible()
    codex.get_by_role("link", name="Add a character").click()
    page.get_by_label("Name").fill("Mira Vell")
    page.get_by_label("Aliases").fill("Mira, the keeper")
    page.get_by_label("Role").fill("lighthouse keeper")
    page.get_by_label("Goal").fill("to find her brother")
    page.get_by_label("Description").fill("Salt-grey hair; she limps since the winter of the wreck.")
    page.get_by_label("Relationships").fill("Tomas: her younger brother")
    page.get_by_role("button", name="Add to the codex").click()
    expect(page.locator(".messages, [role=status]").first).to_contain_text("“Mira Vell” added to the codex")
    entry = page.get_by_test_id("codex-entry").filter(has_text="Mira Vell")
    expect(entry).to_contain_text("also Mira, the keeper")
    expect(entry).to_contain_text("lighthouse keeper")

    # A second character may not take Mira's alias: the form says so and keeps what was typed.
    codex.get_by_role("link", name="Add a character").click()
    page.get_by_label("Name").fill("The Keeper")
    page.get_by_role("button", name="Add to the codex").click()
    expect(page.locator("#id_name_error")).to_contain_text("“The Keeper” is already an alias of Mira Vell")
    expect(page.get_by_label("Name")).to_have_value("The Keeper")
    assert CodexEntry.objects.count() == 1
    page.get_by_role("link", name="Cancel").click()

    # Edit the description; the page shows the new text.
    page.get_by_role("link", name="Edit Mira Vell").click()
    page.get_by_label("Description").fill("White hair now; she carries the lantern everywhere.")
    page.get_by_role("button", name="Save").click()
    expect(entry).to_contain_text("White hair now")
    assert horizontal_overflow(page) is None
    codex.get_by_role("link", name="Add a place").click()
    page.get_by_label("Name").fill("Salt Archive")
    page.get_by_label("Description").fill("A drowned library under the harbour.")
    page.get_by_role("button", name="Add to the codex").click()
    expect(page.get_by_test_id("codex-place")).to_contain_text("Salt Archive")
    page.get_by_test_id("codex").scroll_into_view_if_needed()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    # The sticky header would cover the card's top in an element shot (CSSOM, which the CSP allows).
    page.evaluate("document.querySelector('.site-header').style.position = 'static'")
    name = "46-codex" if width == 1280 else "47-phone-codex"
    page.get_by_test_id("codex").screenshot(path=str(SCREENSHOTS / f"{name}.png"))

    # Removing asks first.
    page.get_by_role("link", name="Remove Salt Archive").click()
    heading = page.get_by_role("heading", name=re.compile("Remove “Salt Archive” from the codex"))
    expect(heading).to_be_visible()
    assert CodexEntry.objects.filter(name="Salt Archive").exists()
    page.get_by_role("button", name="Remove Salt Archive").click()
    expect(page.get_by_test_id("codex-place")).to_contain_text("None yet.")
    assert list(CodexEntry.objects.values_list("name", flat=True)) == ["Mira Vell"]
