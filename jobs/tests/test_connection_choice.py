"""Before it writes: the generation form says which connection and models will write, estimates at
that connection's prices, and offers the writer's own connections (theirs only); the job page and the
reader say what wrote each version."""

from __future__ import annotations

import pytest
from django.urls import reverse

from connections.selectors import connection_info
from connections.services import connection_create, job_connection_attach
from jobs.models import GenerationJob
from narraforge.tests.ui_helpers import make_job, make_narrative, make_planning_job
from projects.services import project_create

pytestmark = pytest.mark.django_db

KEY = "sk-live-abcdefghijklmnop1234"
FORM = {
    "production_type": "short_story",
    "genre": "fantasy",
    "title": "The Keeper",
    "inspiration": "A lighthouse keeper finds letters from the future.",
    "language": "en",
    "target_words": "5000",
    "tone": "neutral",
    "structure": "three_act",
    "pov": "third_limited",
    "tense": "past",
    "world_notes": "",
    "polish": "off",
}


@pytest.fixture
def project(owner):
    return project_create(
        user=owner, name="Tidewater", default_genre="fantasy", default_production_type="short_story"
    )


def _mine(user, **changes):
    fields = {
        "name": "Home llama",
        "base_url": "http://127.0.0.1:9/v1",
        "api_key": KEY,
        "model_mini": "qwen2.5-7b",
        "model_gpt4": "llama-3.1-70b",
        "price_mini_input": 1.0,
        "price_mini_output": 2.0,
        "price_gpt4_input": 10.0,
        "price_gpt4_output": 40.0,
    }
    fields.update(changes)
    return connection_create(user=user, **fields)


def _estimate(client, project, **data) -> str:
    return client.post(reverse("jobs:estimate", args=[project.id]), {**FORM, **data}).content.decode()


def test_with_no_connection_the_form_says_the_offline_engine_will_write_and_links_to_connections(
    client, owner, project
) -> None:
    client.force_login(owner)
    page = client.get(reverse("jobs:create", args=[project.id])).content.decode()
    assert "The offline engine will write this" in page
    assert reverse("connections:list") in page and reverse("help-connect-model") in page


def test_the_default_connection_is_named_with_its_models_and_priced_at_its_prices(
    client, owner, project
) -> None:
    row = _mine(owner, is_default=True)
    client.force_login(owner)
    page = client.get(reverse("jobs:create", args=[project.id])).content.decode()
    assert "<strong>Home llama</strong> will write this, with your own key" in page
    assert "llama-3.1-70b" in page and "qwen2.5-7b" in page
    assert f'<option value="{row.pk}" selected>' in page
    assert KEY not in page
    mine = _estimate(client, project, connection=row.pk)
    cheap = _mine(
        owner,
        name="Cheap",
        price_gpt4_input=0.1,
        price_gpt4_output=0.4,
        price_mini_input=0.0,
        price_mini_output=0.0,
    )
    cheaper = _estimate(client, project, connection=cheap.pk)
    assert _cost(mine) > _cost(cheaper) > 0
    assert "does not use your plan's monthly budget" in mine


def _cost(html: str) -> float:
    start = html.index('class="estimate__cost">') + len('class="estimate__cost">')
    return float(html[start : html.index("<", start)].strip().lstrip("$").replace(",", ""))


def test_the_form_can_choose_the_server_default_for_one_job(client, owner, project) -> None:
    _mine(owner, is_default=True)
    client.force_login(owner)
    html = _estimate(client, project, connection="operator")
    assert "The offline engine will write this" in html  # the server has no model in tests


def test_another_users_connection_cannot_be_chosen(client, owner, other_user, project) -> None:
    theirs = _mine(other_user, name="Oscar's")
    client.force_login(owner)
    assert "does not exist or is not yours" in _estimate(client, project, connection=theirs.pk)
    response = client.post(reverse("jobs:create", args=[project.id]), {**FORM, "connection": theirs.pk})
    assert response.status_code == 200 and not GenerationJob.objects.filter(user=owner).exists()
    assert "Oscar" not in response.content.decode()


def test_the_job_page_says_which_connection_and_models_write_it(client, owner, project) -> None:
    row = _mine(owner)
    client.force_login(owner)
    response = client.post(reverse("jobs:create", args=[project.id]), {**FORM, "connection": row.pk})
    job = GenerationJob.objects.get(user=owner)
    assert response.status_code == 302
    page = client.get(reverse("jobs:detail", args=[job.id])).content.decode()
    assert 'data-testid="job-connection"' in page and "Home llama" in page and "llama-3.1-70b" in page
    assert KEY not in page


def test_the_reader_badge_names_the_connection_and_the_model_that_wrote_the_version(
    client, owner, project
) -> None:
    job = make_job(owner, project)
    narrative = make_narrative(owner, project, job=job)
    narrative.metadata = {
        **(narrative.metadata or {}),
        "engine": "openai",
        "connection": {
            "name": "Home llama",
            "own_key": True,
            "engine": "openai",
            "models": {"mini": "qwen2.5-7b", "gpt4": "llama-3.1-70b"},
        },
    }
    narrative.save(update_fields=["metadata"])
    client.force_login(owner)
    page = client.get(reverse("narratives:detail", args=[narrative.pk])).content.decode()
    assert "Home llama · llama-3.1-70b" in page
    assert "planning: qwen2.5-7b" in page


def test_the_plan_review_prices_the_writing_at_the_connection_that_planned_it(client, owner, project) -> None:
    row = _mine(owner)
    job = make_planning_job(owner, project)
    client.force_login(owner)
    server_priced = client.get(reverse("jobs:plan", args=[job.id])).content.decode()
    job_connection_attach(job=job, info=connection_info(row))
    page = client.get(reverse("jobs:plan", args=[job.id])).content.decode()
    assert 'data-testid="plan-connection"' in page and "Home llama" in page and "llama-3.1-70b" in page
    assert _figure(page, 'id="write-estimate">') > _figure(server_priced, 'id="write-estimate">') == 0.0
    assert "Left this month" not in page  # own key: not drawn from the plan's budget


def _figure(html: str, marker: str) -> float:
    start = html.index(marker) + len(marker)
    return float(html[start : html.index("<", start)].strip().lstrip("$").replace(",", ""))
