"""Issue 20: the generation form's polishing pass, each option's cost, and the estimate following the pick."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.pages import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _usd(text: str) -> float:
    return float(re.search(r"\$([\d,]+\.\d\d)", text).group(1).replace(",", ""))


@pytest.mark.parametrize("width", [1280, 390], ids=["desktop", "phone"])
def test_a_writer_sees_each_polishing_pass_with_its_cost_and_the_estimate_follows_the_pick(
    live_server, page: Page, owner, settings, shoot, width
):
    from projects.services import project_create

    settings.NF_LLM_BACKEND, settings.NF_POLISH_TIER = "openai", "gpt4"  # priced (no call is made)
    project = project_create(
        user=owner, name="Tidewater", default_production_type="novel", default_genre="fantasy"
    )
    page.set_viewport_size({"width": width, "height": 860})
    sign_in(page, live_server.url, owner)
    page.goto(f"{live_server.url}/jobs/new/{project.pk}/")
    page.get_by_label("Inspiration").fill("A cartographer learns that the maps she draws change the land.")
    page.get_by_label("Length (words)").fill("100000")
    page.get_by_label("Length (words)").press("Tab")
    page.wait_for_timeout(900)  # the length's own refresh waits 600 ms after typing
    page.wait_for_load_state("networkidle")

    field = page.get_by_label("Polishing pass", exact=True)
    expect(field).to_have_value("flagged")  # the default
    assert [o.strip() for o in field.locator("option").all_inner_texts()] == [
        "Off — the draft as written",
        "Flagged segments only — fix what the checks find",
        "Every segment — a full line edit",
    ]
    costs = page.get_by_label("Estimated cost by polishing pass")
    expect(costs).to_contain_text("Flagged segments only (chosen)")
    for name in ("Off", "Flagged segments only", "Every segment"):
        expect(costs.get_by_text(name, exact=False).first).to_be_visible()
    by = {
        m: _usd(costs.locator(f'[data-polish-cost="{m}"]').inner_text()) for m in ("off", "flagged", "every")
    }
    assert 0 < by["off"] < by["flagged"] < by["every"]
    assert by["every"] > 3.0  # at gpt4 prices, a 100,000-word novel's figures (not the form's 80,000 default)
    headline = page.locator(".estimate__cost")
    expect(headline).to_have_text(re.compile(re.escape(f"${by['flagged']:,.2f}")))
    shoot(f"40-polish-estimate-{width}")

    field.select_option("every")  # the estimate follows the pick
    expect(headline).to_have_text(re.compile(re.escape(f"${by['every']:,.2f}")))
    expect(costs).to_contain_text("Every segment (chosen)")
    field.select_option("off")
    expect(headline).to_have_text(re.compile(re.escape(f"${by['off']:,.2f}")))
    expect(page.get_by_label("Estimated cost by polishing pass")).to_contain_text("Off (chosen)")

    box = page.locator("#estimate").bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width  # no sideways scroll
