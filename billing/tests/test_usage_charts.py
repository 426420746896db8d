"""The usage page charts generations and tokens, not only cost; tiers say what they did and what ran them."""

import pytest
from django.urls import reverse

from billing.models import UsageLog
from narraforge.tests.ui_helpers import make_job
from projects.services import project_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def offline_usage(owner):
    project = project_create(user=owner, name="Tidewater")
    job = make_job(owner, project, status="completed", output={"engine": "offline"})
    UsageLog.objects.create(
        user=owner,
        project=project,
        job=job,
        operation_type="generation",
        production_type="short_story",
        tokens_used=29_510,
        cost_usd=0.0,
        mini_tokens=4_883,
        gpt4_tokens=24_627,
    )
    return job


def test_usage_charts_show_generations_and_tokens_as_well_as_cost(client, owner, offline_usage):
    client.force_login(owner)
    html = client.get(reverse("billing:usage")).content.decode()
    for measure in ("generations", "tokens", "cost"):
        assert f'id="chart-daily-{measure}"' in html and f'id="chart-monthly-{measure}"' in html
    assert "Generations per day" in html and "Tokens per day" in html and "Cost per day" in html
    # An offline month is not flat: 1 generation and 29,510 tokens, though $0.
    assert "total 1;" in html and "total 29.5k" in html and "all $0" in html


def test_tiers_are_labelled_by_their_work_and_the_engine_that_ran_them(client, owner, offline_usage):
    client.force_login(owner)
    html = client.get(reverse("billing:usage")).content.decode()
    assert "GPT-4 class" not in html and "Mini models" not in html
    assert "Drafting and style" in html and "Planning and checks" in html
    assert html.count("<td>Offline engine</td>") == 2
    assert "24,627" in html and "4,883" in html


def test_a_model_run_is_labelled_as_the_model_engine(client, owner):
    project = project_create(user=owner, name="Tidewater")
    job = make_job(owner, project, status="completed", output={"engine": "openai"})
    UsageLog.objects.create(
        user=owner,
        project=project,
        job=job,
        operation_type="generation",
        tokens_used=10,
        cost_usd=0.02,
        mini_tokens=4,
        gpt4_tokens=6,
        mini_cost_usd=0.005,
        gpt4_cost_usd=0.015,
    )
    client.force_login(owner)
    html = client.get(reverse("billing:usage")).content.decode()
    assert html.count("<td>OpenAI-compatible model</td>") == 2


def test_another_writers_usage_is_not_in_my_charts(client, owner, other_user, offline_usage):
    client.force_login(other_user)
    html = client.get(reverse("billing:usage")).content.decode()
    assert "29,510" not in html and "29.5k" not in html and "No usage this month yet." in html
