"""The reader's quality report speaks to a writer; the offline engine says what it is."""

from __future__ import annotations

import html

import pytest
from django.urls import reverse

from jobs.pipeline import Brief, EngineConfig, get_backend, run_pipeline
from jobs.pipeline.connection import Connection, JsonModeMemory
from jobs.pipeline.testing import FakeChatServer


def _offline_narrative(make_narrative, user, language: str):
    brief = Brief.from_dict(
        {
            "production_type": "short_story",
            "genre": "mystery",
            "language": language,
            "target_words": 5000,
            "inspiration": "The lighthouse keeper is called Mira Vell; her brother Tomas is a smuggler."
            if language == "en"
            else "Latarniczka Jadwiga Żmuda przewozi listy przez Wisłę.",
        }
    )
    result = run_pipeline(brief, backend=get_backend("offline"))
    return make_narrative(
        user,
        text=result.text,
        language=language,
        metadata=result.metadata,
        quality_metrics=result.quality_metrics,
        overall_quality_score=result.overall_quality_score,
    )


@pytest.mark.parametrize(
    ("language", "source"), [("en", "Python's documentation"), ("pl", "Polish manual pages")]
)
def test_the_quality_report_names_each_measure_with_its_typical_range(
    owner_client, owner, make_narrative, language, source
) -> None:
    narrative = _offline_narrative(make_narrative, owner, language)
    page = html.unescape(owner_client.get(reverse("narratives:detail", args=[narrative.pk])).content.decode())
    for label in (
        "Follows the plan",
        "Repeated sentences",
        "Repeated phrases",
        "Grammar glitches",
        "Vocabulary variety",
    ):
        assert label in page
    assert "Typical:" in page and source in page
    assert (
        page.index("Follows the plan") < page.index("Repeated sentences") < page.index("Vocabulary variety")
    )
    assert "Lexical diversity" not in page and "Plan coverage" not in page  # internal names stay internal


def test_the_offline_label_says_what_it_is_and_links_to_connecting_a_model(
    owner_client, owner, make_narrative
) -> None:
    narrative = _offline_narrative(make_narrative, owner, "en")
    page = owner_client.get(reverse("narratives:detail", args=[narrative.pk])).content.decode()
    assert "not a language model" in page
    assert reverse("help-connect-model") in page


def test_the_help_page_tells_how_to_connect_a_model(client) -> None:
    page = client.get(reverse("help-connect-model"))
    assert page.status_code == 200
    assert "OPENAI_API_KEY" in page.content.decode() and "offline engine" in page.content.decode()


def test_the_revise_form_says_before_submitting_that_instructions_need_a_model(
    owner_client, narrative, settings
) -> None:
    settings.NF_LLM_BACKEND = "offline"
    page = owner_client.get(reverse("narratives:revise", args=[narrative.pk])).content.decode()
    assert "Free-text instructions need a language model" in page
    settings.NF_LLM_BACKEND = "openai"
    page = owner_client.get(reverse("narratives:revise", args=[narrative.pk])).content.decode()
    assert "Free-text instructions need a language model" not in page


def test_another_users_revise_form_is_a_404(client, other_user, narrative) -> None:
    client.force_login(other_user)
    assert client.get(reverse("narratives:revise", args=[narrative.pk])).status_code == 404


def test_the_quality_report_says_which_chapters_were_polished_and_why(
    owner_client, owner, make_narrative
) -> None:
    brief = Brief.from_dict(
        {
            "production_type": "short_story",
            "genre": "mystery",
            "target_words": 5000,
            "inspiration": "A ferry.",
        }
    )
    with FakeChatServer(flaw_rates={"cliches": 1.0}) as server:  # every passage leans on stock phrases
        config = EngineConfig(
            connection=Connection(base_url=server.base_url, api_key=server.api_key),
            json_modes=JsonModeMemory(),
            backoff_base=0.01,
        )
        result = run_pipeline(brief, backend=get_backend("openai", config), config=config)
    narrative = make_narrative(
        owner,
        text=result.text,
        metadata=result.metadata,
        quality_metrics=result.quality_metrics,
        overall_quality_score=result.overall_quality_score,
    )
    page = html.unescape(owner_client.get(reverse("narratives:detail", args=[narrative.pk])).content.decode())
    polished = narrative.metadata["polish"]["polished"]
    assert polished and "Polishing pass" in page
    assert f"{len(polished)} of {narrative.metadata['polish']['checked']} chapters were flagged" in page
    assert f"Chapter {polished[0]['segment']}: it leans on stock phrases" in page


def test_the_quality_report_says_when_nothing_needed_polishing(owner_client, owner, make_narrative) -> None:
    narrative = _offline_narrative(make_narrative, owner, "en")
    page = html.unescape(owner_client.get(reverse("narratives:detail", args=[narrative.pk])).content.decode())
    assert f"0 of {narrative.metadata['polish']['checked']} chapters were flagged" in page
