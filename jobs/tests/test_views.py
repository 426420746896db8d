"""Job pages: generation form, estimate, live page, cancel/resume, plan review, list."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import User
from jobs.models import GenerationJob, JobRuntime, JobStatus
from jobs.selectors import job_estimate
from narraforge.tests.ui_helpers import make_job, make_narrative, make_planning_job, offline_plan
from projects.services import project_create

pytestmark = pytest.mark.django_db

FORM = {
    "production_type": "short_story",
    "genre": "fantasy",
    "title": "The Keeper",
    "inspiration": "A lighthouse keeper finds letters from the future.",
    "language": "en",
    "target_words": "",
    "tone": "neutral",
    "structure": "three_act",
    "pov": "third_limited",
    "tense": "past",
    "world_notes": "",
}


@pytest.fixture
def project(owner):
    return project_create(
        user=owner, name="Tidewater", default_genre="horror", default_production_type="novella"
    )


@pytest.fixture
def job(owner, project):
    return make_job(owner, project, status=JobStatus.RUNNING)


def _job_urls(job):
    return [
        ("get", reverse("jobs:detail", args=[job.id])),
        ("get", reverse("jobs:progress", args=[job.id])),
        ("post", reverse("jobs:cancel", args=[job.id])),
        ("post", reverse("jobs:resume", args=[job.id])),
        ("get", reverse("jobs:plan", args=[job.id])),
        ("post", reverse("jobs:plan", args=[job.id])),
    ]


def _project_urls(project):
    return [
        ("get", reverse("jobs:create", args=[project.id])),
        ("post", reverse("jobs:create", args=[project.id])),
        ("post", reverse("jobs:estimate", args=[project.id])),
    ]


def test_anonymous_is_sent_to_login(client, job, project):
    for method, url in [("get", reverse("jobs:list")), *_job_urls(job), *_project_urls(project)]:
        response = getattr(client, method)(url)
        assert response.status_code == 302, url
        assert reverse("account_login") in response["Location"]


@pytest.mark.parametrize("who", ["other_user", "staff"])
def test_someone_elses_job_and_project_are_404(client, job, project, who, request):
    client.force_login(request.getfixturevalue(who))
    for method, url in [*_job_urls(job), *_project_urls(project)]:
        assert getattr(client, method)(url, FORM if method == "post" else None).status_code == 404, url
    job.refresh_from_db()
    assert job.status == JobStatus.RUNNING
    assert GenerationJob.objects.count() == 1


def test_form_is_prefilled_from_project_defaults(client, owner, project):
    client.force_login(owner)
    response = client.get(reverse("jobs:create", args=[project.id]))
    html = response.content.decode()
    assert response.status_code == 200
    assert '<option value="novella" selected>' in html
    assert '<option value="horror" selected>' in html
    assert "Let me review the plan first" in html
    assert 'id="estimate"' in html and "Estimated cost" in html
    assert 'hx-post="' + reverse("jobs:estimate", args=[project.id]) in html


def test_submit_creates_a_queued_job(client, owner, project, django_capture_on_commit_callbacks):
    client.force_login(owner)
    with django_capture_on_commit_callbacks(execute=False):
        response = client.post(reverse("jobs:create", args=[project.id]), {**FORM, "review_plan": "on"})
    job = GenerationJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("jobs:detail", args=[job.id])
    assert job.user == owner and job.project == project and job.status == JobStatus.QUEUED
    assert job.production_brief["review_plan"] is True
    assert job.production_brief["target_words"] == 7500


@pytest.mark.parametrize(
    "change, message",
    [
        ({"inspiration": ""}, "This field is required."),
        ({"target_words": "100"}, "A short story is 5,000 to 10,000 words."),
        ({"genre": "cooking"}, "Select a valid choice."),
        ({"inspiration": "x" * 4001}, "the limit is 4,000"),
        ({"polish": "sometimes"}, "Select a valid choice."),
    ],
)
def test_bad_brief_shows_errors_and_writes_nothing(client, owner, project, change, message):
    client.force_login(owner)
    response = client.post(reverse("jobs:create", args=[project.id]), {**FORM, **change})
    assert response.status_code == 200
    assert message in response.content.decode()
    assert GenerationJob.objects.count() == 0


def test_over_limit_is_refused_with_a_clear_message(client, owner, project):
    User.objects.filter(pk=owner.pk).update(monthly_generations_used=5)
    client.force_login(owner)
    response = client.post(reverse("jobs:create", args=[project.id]), FORM)
    html = response.content.decode()
    assert response.status_code == 200
    assert 'class="form-errors"' in html
    assert "generation limit" in html.lower()
    assert f'href="{reverse("billing:plans")}"' in html
    assert GenerationJob.objects.count() == 0


def test_it_answers_an_htmx_estimate_with_a_partial_showing_cost_and_quota_left(client, owner, project):
    client.force_login(owner)
    response = client.post(
        reverse("jobs:estimate", args=[project.id]),
        {**FORM, "inspiration": ""},
        headers={"HX-Request": "true"},
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html and "Estimated cost" in html
    assert "5 this month" in html and "$10.00" in html


@pytest.mark.parametrize(
    "sent, stored", [({}, "flagged"), ({"polish": "off"}, "off"), ({"polish": "every"}, "every")]
)
def test_the_chosen_polishing_pass_is_stored_in_the_brief(
    client, owner, project, django_capture_on_commit_callbacks, sent, stored
):
    client.force_login(owner)
    with django_capture_on_commit_callbacks(execute=False):
        client.post(reverse("jobs:create", args=[project.id]), {**FORM, **sent})
    assert GenerationJob.objects.get().production_brief["polish"] == stored


def test_the_form_offers_each_polishing_pass_with_its_estimate(client, owner, project, settings):
    settings.NF_LLM_BACKEND, settings.NF_POLISH_TIER = "openai", "gpt4"  # priced calls (none is made)
    client.force_login(owner)
    page = client.get(reverse("jobs:create", args=[project.id])).content.decode()
    assert 'name="polish"' in page and "Flagged segments only" in page
    html = client.post(
        reverse("jobs:estimate", args=[project.id]), {**FORM, "target_words": "10000", "polish": "off"}
    ).content.decode()
    figures = job_estimate(owner, {**FORM, "target_words": 10000, "polish": "off"})
    costs = {o["mode"]: o["cost_usd"] for o in figures["by_polish"]}
    assert costs["off"] < costs["flagged"] <= costs["every"]
    assert figures["estimated_cost_usd"] == costs["off"]
    assert "Off (chosen)" in html and "Every segment" in html and html.count("about $") == 1
    for cost in costs.values():
        assert f"${cost:,.2f}" in html


def test_estimate_partial_explains_a_bad_length(client, owner, project):
    client.force_login(owner)
    response = client.post(reverse("jobs:estimate", args=[project.id]), {**FORM, "target_words": "12"})
    assert "A short story is 5,000 to 10,000 words." in response.content.decode()


def test_estimate_shows_when_quota_is_gone(client, owner, project):
    User.objects.filter(pk=owner.pk).update(monthly_generations_used=5)
    client.force_login(owner)
    html = client.post(reverse("jobs:estimate", args=[project.id]), FORM).content.decode()
    assert "used all of this month" in html


def test_job_page_shows_stages_and_polls(client, owner, job):
    client.force_login(owner)
    html = client.get(reverse("jobs:detail", args=[job.id])).content.decode()
    assert html.count('class="stage stage--') == 10
    assert "stage--done" in html and "stage--running" in html and "stage--waiting" in html
    assert 'hx-trigger="every 2s"' in html
    assert "42%" in html and "1,234" in html
    assert reverse("jobs:cancel", args=[job.id]) in html
    assert reverse("jobs:resume", args=[job.id]) not in html


def test_progress_partial_for_running_job(client, owner, job):
    client.force_login(owner)
    response = client.get(reverse("jobs:progress", args=[job.id]), headers={"HX-Request": "true"})
    html = response.content.decode()
    assert response.status_code == 200 and "<html" not in html and 'id="job-live"' in html


def test_progress_redirects_to_narrative_when_done(client, owner, project):
    job = make_job(owner, project, status=JobStatus.COMPLETED, progress_percentage=100.0)
    narrative = make_narrative(owner, project, job=job)
    GenerationJob.objects.filter(pk=job.pk).update(output={"narrative_id": narrative.id})
    client.force_login(owner)
    response = client.get(reverse("jobs:progress", args=[job.id]), headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert response["HX-Redirect"].endswith(f"/narratives/{narrative.id}/")
    page = client.get(reverse("jobs:detail", args=[job.id])).content.decode()
    assert "Read the narrative" in page and 'hx-trigger="every' not in page


def test_progress_redirects_to_plan_review_when_plan_is_ready(client, owner, project):
    job = make_planning_job(owner, project)
    client.force_login(owner)
    response = client.get(reverse("jobs:progress", args=[job.id]), headers={"HX-Request": "true"})
    assert response["HX-Redirect"] == reverse("jobs:plan", args=[job.id])


def test_failed_job_shows_error_and_resume(client, owner, project):
    job = make_job(
        owner,
        project,
        status=JobStatus.FAILED,
        error_message="The model endpoint <timed out>.",
        can_resume=True,
    )
    client.force_login(owner)
    html = client.get(reverse("jobs:detail", args=[job.id])).content.decode()
    assert "The model endpoint &lt;timed out&gt;." in html
    assert "resume to continue from the last checkpoint" in html
    assert reverse("jobs:resume", args=[job.id]) in html
    assert 'hx-trigger="every' not in html


def test_failed_job_without_checkpoint_says_so(client, owner, project):
    job = make_job(owner, project, status=JobStatus.FAILED, error_message="Boom", can_resume=False)
    client.force_login(owner)
    html = client.get(reverse("jobs:detail", args=[job.id])).content.decode()
    assert "no checkpoint to resume from" in html
    assert reverse("jobs:resume", args=[job.id]) not in html


def test_it_cancels_a_queued_job_at_once(client, owner, project):
    job = make_job(owner, project, status=JobStatus.QUEUED)
    JobRuntime.objects.create(job=job)
    client.force_login(owner)
    response = client.post(reverse("jobs:cancel", args=[job.id]), follow=True)
    job.refresh_from_db()
    assert response.status_code == 200
    assert job.status == JobStatus.CANCELLED and job.completed_at is not None
    assert "Cancelled before it started; nothing was charged." in response.content.decode()


def test_it_asks_a_running_job_to_stop_and_leaves_it_running_until_the_worker_does(client, owner, job):
    JobRuntime.objects.create(job=job)
    client.force_login(owner)
    response = client.post(reverse("jobs:cancel", args=[job.id]), follow=True)
    job.refresh_from_db()
    assert response.status_code == 200 and "Cancelling" in response.content.decode()
    assert job.status == JobStatus.RUNNING  # the worker ends it at its next check
    assert JobRuntime.objects.get(pk=job.pk).cancel_requested_at is not None


def test_it_refuses_to_cancel_another_users_job(client, other_user, job):
    JobRuntime.objects.create(job=job)
    client.force_login(other_user)
    assert client.post(reverse("jobs:cancel", args=[job.id])).status_code == 404
    job.refresh_from_db()
    assert job.status == JobStatus.RUNNING
    assert JobRuntime.objects.get(pk=job.pk).cancel_requested_at is None


def test_cancel_finished_job_shows_message(client, owner, project):
    job = make_job(owner, project, status=JobStatus.COMPLETED)
    client.force_login(owner)
    response = client.post(reverse("jobs:cancel", args=[job.id]), follow=True)
    assert "already finished (completed); there is nothing to cancel" in response.content.decode()


def test_cancel_and_resume_need_post(client, owner, job):
    client.force_login(owner)
    assert client.get(reverse("jobs:cancel", args=[job.id])).status_code == 405
    assert client.get(reverse("jobs:resume", args=[job.id])).status_code == 405


def test_csrf_is_enforced(owner, job):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(owner)
    assert strict.post(reverse("jobs:cancel", args=[job.id])).status_code == 403


def test_resume_refused_shows_message(client, owner, job):
    client.force_login(owner)
    response = client.post(reverse("jobs:resume", args=[job.id]), follow=True)
    assert response.status_code == 200
    assert "alert--error" in response.content.decode()


# --------------------------------------------------------------------------- plan review


def _plan_post(plan, op="write", **overrides):
    data = {
        "op": op,
        "seg-count": str(len(plan["segments"])),
        "world-name": plan["world"]["name"],
        "world-theme": plan["world"]["theme"],
        "world-core_conflict": plan["world"]["core_conflict"],
        "world-laws": "\n".join(plan["world"]["laws"]),
        "world-boundaries": "\n".join(plan["world"]["boundaries"]),
    }
    for i, c in enumerate(plan["characters"]):
        data.update({f"char-{i}-role": c["role"], f"char-{i}-goal": c["goal"], f"char-{i}-arc": c["arc"]})
    for i, a in enumerate(plan["structure"]["acts"]):
        data.update({f"act-{i}-name": a["name"], f"act-{i}-purpose": a["purpose"]})
    for i, s in enumerate(plan["segments"]):
        data.update(
            {
                f"seg-{i}-title": s["title"],
                f"seg-{i}-summary": s["summary"],
                f"seg-{i}-key_events": "\n".join(s["key_events"]),
                f"seg-{i}-characters": s["characters"],
                f"seg-{i}-location": s["location"],
                f"seg-{i}-act": str(s["act"]),
                f"seg-{i}-target_words": str(s["target_words"]),
            }
        )
    data.update(overrides)
    return data


def test_plan_review_page_shows_the_plan(client, owner, project):
    job = make_planning_job(owner, project)
    plan = offline_plan()
    client.force_login(owner)
    html = client.get(reverse("jobs:plan", args=[job.id])).content.decode()
    assert plan["world"]["name"] in html
    assert plan["characters"][0]["name"] in html
    assert plan["segments"][0]["title"] in html
    assert html.count('data-testid="segment"') == len(plan["segments"])
    assert "Write it" in html


def test_plan_review_404_for_a_job_without_plan(client, owner, job):
    client.force_login(owner)
    assert client.get(reverse("jobs:plan", args=[job.id])).status_code == 404


def test_plan_review_reorder_add_remove(client, owner, project):
    job = make_planning_job(owner, project)
    plan = offline_plan()
    titles = [s["title"] for s in plan["segments"]]
    client.force_login(owner)
    url = reverse("jobs:plan", args=[job.id])
    html = client.post(url, _plan_post(plan, op="down-0")).content.decode()
    assert html.index(titles[1]) < html.index(titles[0])
    html = client.post(url, _plan_post(plan, op="add")).content.decode()
    assert html.count('data-testid="segment"') == len(titles) + 1
    html = client.post(url, _plan_post(plan, op="remove-0")).content.decode()
    assert html.count('data-testid="segment"') == len(titles) - 1
    assert GenerationJob.objects.count() == 1


def test_plan_review_invalid_edit_shows_errors_and_writes_nothing(client, owner, project):
    job = make_planning_job(owner, project)
    plan = offline_plan()
    client.force_login(owner)
    data = _plan_post(plan, **{"seg-0-summary": "", "seg-0-characters": [], "seg-1-target_words": "10"})
    response = client.post(reverse("jobs:plan", args=[job.id]), data)
    html = response.content.decode()
    assert response.status_code == 422
    assert (
        "Write a short summary." in html
        and "Pick at least one character." in html
        and "At least 50 words." in html
    )
    assert GenerationJob.objects.count() == 1


def test_plan_review_write_it_starts_drafting_the_edited_plan(
    client, owner, project, django_capture_on_commit_callbacks
):
    job = make_planning_job(owner, project)
    plan = offline_plan()
    client.force_login(owner)
    data = _plan_post(plan, op="write", **{"seg-0-summary": "An <edited> summary.", "world-theme": "Loss"})
    with django_capture_on_commit_callbacks(execute=False):
        response = client.post(reverse("jobs:plan", args=[job.id]), data)
    assert response.status_code == 302
    draft = GenerationJob.objects.exclude(pk=job.pk).get()
    assert response["Location"] == reverse("jobs:detail", args=[draft.id])
    assert draft.production_brief["review_plan"] is False
    runtime_plan = draft.runtime.plan
    assert runtime_plan["segments"][0]["summary"] == "An <edited> summary."
    assert runtime_plan["world"]["theme"] == "Loss"


# --------------------------------------------------------------------------- list


def test_list_filters_by_status_and_project(client, owner, other_user, project):
    other_project = project_create(user=owner, name="Second")
    make_job(owner, project, status=JobStatus.RUNNING, brief={"title": "Alpha"})
    make_job(owner, other_project, status=JobStatus.FAILED, brief={"title": "Beta"})
    theirs = project_create(user=other_user, name="Theirs")
    make_job(other_user, theirs, status=JobStatus.RUNNING, brief={"title": "Gamma"})
    client.force_login(owner)
    html = client.get(reverse("jobs:list")).content.decode()
    assert "Alpha" in html and "Beta" in html and "Gamma" not in html
    html = client.get(reverse("jobs:list"), {"status": "failed"}).content.decode()
    assert "Beta" in html and "Alpha" not in html
    html = client.get(reverse("jobs:list"), {"project": project.id}).content.decode()
    assert "Alpha" in html and "Beta" not in html
    html = client.get(reverse("jobs:list"), {"project": theirs.id}).content.decode()
    assert "Gamma" not in html
    assert client.get(reverse("jobs:list"), {"status": "bogus"}).status_code == 200


def test_job_page_and_list_query_counts_are_fixed(client, make_user):
    one, many = make_user("one@example.com"), make_user("many@example.com")
    counts = {"detail": [], "list": []}
    for user, n in ((one, 1), (many, 50)):
        project = project_create(user=user, name="P")
        jobs = [make_job(user, project, status=JobStatus.RUNNING) for _ in range(n)]
        for j in jobs:
            make_narrative(user, project, job=j)
        client.force_login(user)
        for name, url in (
            ("detail", reverse("jobs:detail", args=[jobs[-1].id])),
            ("list", reverse("jobs:list")),
        ):
            with CaptureQueriesContext(connection) as ctx:
                assert client.get(url).status_code == 200
            counts[name].append(len(ctx.captured_queries))
    assert counts["detail"][0] == counts["detail"][1]
    assert counts["list"][0] == counts["list"][1]


@pytest.mark.parametrize(
    "code, words",
    [
        ("database_unavailable", "Database unavailable"),
        ("worker_lost", "Worker lost"),
        ("model_unreachable", "Model unreachable"),
        ("queue_lost", "Queue lost"),
        ("cost_ceiling", "Cost ceiling"),
    ],
)
def test_a_failed_job_page_names_the_stored_cause_in_words(client, owner, project, code, words):
    from jobs.models import JobRuntime

    job = make_job(owner, project, status=JobStatus.FAILED, error_message="It stopped.", can_resume=True)
    JobRuntime.objects.create(job=job, failure_cause=code)
    client.force_login(owner)
    html = client.get(reverse("jobs:detail", args=[job.id])).content.decode()
    assert f"<strong>Cause:</strong> {words}" in html
