"""A plan cannot order more than its type allows (issue 11 §2), and plan-only jobs are metered."""

from __future__ import annotations

import copy

import pytest
from django.urls import reverse

from billing.services import LimitExceeded
from jobs.engine_settings import engine_config
from jobs.errors import JobError
from jobs.models import GenerationJob, JobRuntime
from jobs.pipeline import Brief, estimate_cost
from jobs.pipeline.plan_bounds import max_segments, plan_bound_problems, plan_words_range
from jobs.services import job_create, job_draft_from_plan
from jobs.tests.conftest import SHORT_BRIEF
from jobs.tests.test_views import _plan_post
from narraforge.tests.ui_helpers import make_planning_job, offline_plan

pytestmark = pytest.mark.django_db


def _tampered(plan: dict, segments: int, words: int) -> dict:
    """The attack from the issue: a short story planned as ``segments`` segments of ``words`` words."""
    plan = copy.deepcopy(plan)
    template = plan["segments"][0]
    plan["segments"] = [{**template, "index": i + 1, "target_words": words} for i in range(segments)]
    return plan


@pytest.fixture
def priced(settings):
    """The openai backend's prices, so estimates are not the offline engine's $0."""
    settings.NF_LLM_BACKEND = "openai"
    settings.OPENAI_API_KEY = "test-key"
    return settings


def test_the_bounds_are_the_types_range_with_a_tenth_either_side_and_a_segment_count():
    assert plan_words_range("short_story") == (4_500, 11_000)
    assert plan_words_range("epic_saga") == (108_000, 550_000)
    assert (max_segments("short_story"), max_segments("novel"), max_segments("epic_saga")) == (22, 264, 400)
    problems = plan_bound_problems(_tampered(offline_plan(), 130, 50_000), "short_story")
    text = " ".join(p.message for p in problems)
    assert "130 segments" in text and "at most 22" in text
    assert "6,500,000 words" in text and "A short story is 5,000 to 10,000 words" in text
    assert plan_bound_problems(offline_plan(), "short_story") == []


def test_the_plan_editor_says_which_segment_to_shorten_and_writes_nothing(client, owner, project):
    job = make_planning_job(owner, project)
    plan = offline_plan()
    total = sum(s["target_words"] for s in plan["segments"])
    longest = max(range(len(plan["segments"])), key=lambda i: plan["segments"][i]["target_words"])
    grown = plan["segments"][longest]["target_words"] + (11_000 - total) + 1_000  # 1,000 words over
    client.force_login(owner)
    data = _plan_post(plan, op="write", **{f"seg-{longest}-target_words": str(grown)})
    response = client.post(reverse("jobs:plan", args=[job.id]), data)
    html = response.content.decode()
    assert response.status_code == 422
    title = plan["segments"][longest]["title"]
    assert f"Shorten segment {longest + 1} “{title}” ({grown:,} words) by at least 1,000 words." in html
    assert "Shorten this segment: the plan is 1,000 words too long." in html
    assert GenerationJob.objects.count() == 1


def test_a_tampered_plan_is_refused_by_the_service_not_only_the_form(owner, project, redis_conn):
    job = make_planning_job(owner, project)
    with pytest.raises(JobError) as err:
        job_draft_from_plan(user=owner, job=job, plan=_tampered(offline_plan(), 130, 50_000))
    assert err.value.field == "plan" and "at most 22" in str(err.value)
    assert GenerationJob.objects.count() == 1


def test_a_draft_is_estimated_and_limited_on_its_plans_words_not_the_briefs_target(
    owner, project, priced, redis_conn
):
    job = make_planning_job(owner, project)  # brief target: 5,000 words
    plan = _tampered(offline_plan(), 10, 1_000)  # 10,000 words: inside the bounds, twice the target
    draft = job_draft_from_plan(user=owner, job=job, plan=plan)
    brief = Brief.from_dict({**job.production_brief, "review_plan": False})
    by_plan = estimate_cost(brief, engine_config(), "openai", plan=plan)
    assert draft.estimated_cost_usd == pytest.approx(by_plan)
    assert by_plan > estimate_cost(brief, engine_config(), "openai", part="drafting") * 1.5
    assert draft.cost_reservation.reserved_usd == pytest.approx(by_plan)


def test_plan_review_is_refused_up_front_when_the_writer_has_no_generation_left(owner, project, redis_conn):
    owner.monthly_generations_used = 5
    owner.save()
    with pytest.raises(LimitExceeded) as err:
        job_create(user=owner, project=project, brief={**SHORT_BRIEF, "review_plan": True})
    assert err.value.limit == "generations"
    assert GenerationJob.objects.count() == 0


def test_plan_review_is_refused_up_front_when_the_writing_would_not_fit_the_cost_left(
    owner, project, priced, redis_conn
):
    brief = Brief.from_dict({**SHORT_BRIEF, "review_plan": True})
    full = estimate_cost(brief, engine_config(), "openai")
    planning_only = estimate_cost(brief, engine_config(), "openai", part="planning")
    owner.monthly_cost_used_usd = 10.0 - (planning_only + full) / 2  # room to plan, not to write
    owner.save()
    with pytest.raises(LimitExceeded) as err:
        job_create(user=owner, project=project, brief={**SHORT_BRIEF, "review_plan": True})
    assert err.value.limit == "cost"


def test_a_plan_review_job_reserves_its_planning_and_holds_a_generation_while_it_runs(
    owner, project, priced, redis_conn
):
    owner.monthly_generation_limit = 1
    owner.save()
    planning = job_create(user=owner, project=project, brief={**SHORT_BRIEF, "review_plan": True})
    assert planning.runtime.kind == JobRuntime.Kind.PLANNING
    brief = Brief.from_dict({**SHORT_BRIEF, "review_plan": True})
    assert planning.estimated_cost_usd == pytest.approx(
        estimate_cost(brief, engine_config(), "openai", part="planning")
    )
    with pytest.raises(LimitExceeded):  # the one generation is held by the plan being made
        job_create(user=owner, project=project, brief=SHORT_BRIEF)


def test_the_plan_review_page_prices_the_plan_as_edited(client, owner, project, priced):
    from narraforge.templatetags.nf_ui import usd

    job = make_planning_job(owner, project)
    plan = _tampered(offline_plan(), 10, 1_000)
    client.force_login(owner)
    response = client.post(reverse("jobs:plan", args=[job.id]), _plan_post(plan, op="refresh"))
    brief = Brief.from_dict({**job.production_brief, "review_plan": False})
    expected = usd(estimate_cost(brief, engine_config(), "openai", plan=plan))
    assert f'id="write-estimate">{expected}<' in response.content.decode()
