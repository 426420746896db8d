"""Job services without workers: bad input writes nothing, limits hold under concurrency."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections

from billing.models import UsageLog
from jobs.models import GenerationJob, JobRuntime, JobStatus
from jobs.services import JobError, LimitExceeded, job_cancel, job_create, job_draft_from_plan, job_resume
from jobs.tests.conftest import SHORT_BRIEF
from narratives.models import Narrative

pytestmark = pytest.mark.django_db


def _counts():
    return (
        GenerationJob.objects.count(),
        JobRuntime.objects.count(),
        UsageLog.objects.count(),
        Narrative.objects.count(),
    )


@pytest.mark.parametrize(
    ("brief", "field"),
    [
        ({**SHORT_BRIEF, "genre": "cookbook"}, "genre"),
        ({**SHORT_BRIEF, "inspiration": "   "}, "inspiration"),
        ({**SHORT_BRIEF, "target_words": 999_999}, "target_words"),
        ({**SHORT_BRIEF, "colour": "blue"}, "colour"),
        ({k: v for k, v in SHORT_BRIEF.items() if k != "production_type"}, "production_type"),
    ],
)
def test_a_brief_that_fails_validation_is_refused_with_the_field_named_and_nothing_written(
    owner, project, redis_conn, brief, field
):
    before = _counts()
    with pytest.raises(JobError) as exc:
        job_create(user=owner, project=project, brief=brief)
    assert exc.value.field == field
    assert field.replace("_", " ") in str(exc.value)
    assert _counts() == before
    assert redis_conn.keys("rq:job:*") == []


def test_a_project_that_is_not_the_users_is_refused_and_nothing_written(
    owner, other_user, project, redis_conn
):
    before = _counts()
    with pytest.raises(JobError, match="not yours"):
        job_create(user=other_user, project=project, brief=SHORT_BRIEF)
    assert _counts() == before


def test_a_user_over_the_generation_limit_is_refused_with_a_message_naming_the_limit(
    owner, project, redis_conn
):
    owner.monthly_generation_limit = 1
    owner.save()
    job_create(user=owner, project=project, brief=SHORT_BRIEF)  # queued: counts as pending
    before = _counts()
    with pytest.raises(LimitExceeded) as exc:
        job_create(user=owner, project=project, brief=SHORT_BRIEF)
    assert exc.value.limit == "generations"
    assert exc.value.remaining == 0
    assert "generation limit" in str(exc.value) and "usage page" in str(exc.value)
    assert _counts() == before


def test_a_user_over_the_cost_limit_is_refused(owner, project, redis_conn):
    owner.monthly_cost_used_usd = owner.monthly_cost_limit_usd
    owner.save()
    with pytest.raises(LimitExceeded) as exc:
        job_create(user=owner, project=project, brief=SHORT_BRIEF)
    assert exc.value.limit == "cost"
    assert "$0.00" in str(exc.value) and "usage page" in str(exc.value)


def test_plan_review_needs_a_generation_left_but_never_takes_one(owner, project, redis_conn):
    """Issue 19: plan review is refused up front when nothing is left, not at "Write it"."""
    owner.monthly_generation_limit = 2
    owner.save()
    job_create(user=owner, project=project, brief=SHORT_BRIEF)
    planning = job_create(user=owner, project=project, brief={**SHORT_BRIEF, "review_plan": True})
    assert planning.runtime.kind == JobRuntime.Kind.PLANNING
    with pytest.raises(LimitExceeded):  # both generations are held: one queued, one by the plan
        job_create(user=owner, project=project, brief={**SHORT_BRIEF, "review_plan": True})


def test_an_enterprise_user_is_unlimited(make_user, redis_conn):
    from projects.services import project_create

    boss = make_user(
        "boss@example.com",
        subscription_tier="enterprise",
        monthly_generation_limit=None,
        monthly_cost_limit_usd=None,
    )
    proj = project_create(user=boss, name="Saga")
    for _ in range(7):
        job_create(user=boss, project=proj, brief=SHORT_BRIEF)
    assert GenerationJob.objects.filter(user=boss).count() == 7


def test_job_create_stores_a_queued_job_and_enqueues_it_on_commit_with_our_own_rq_id(
    owner, project, redis_conn, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        job = job_create(user=owner, project=project, brief=SHORT_BRIEF)
    job.refresh_from_db()
    assert job.status == JobStatus.QUEUED
    assert job.production_brief["production_type"] == "short_story"
    assert job.estimated_cost_usd == 0.0  # offline engine
    assert job.rq_job_id == f"nf-{job.pk}-0"
    from rq.job import Job

    rq_job = Job.fetch(job.rq_job_id, connection=redis_conn)
    assert rq_job.origin == "default"  # free tier
    assert rq_job.timeout == 30 * 60  # sized to a short story
    assert rq_job.args == (job.pk,)


def test_paid_tiers_go_to_the_high_queue(make_user, redis_conn, django_capture_on_commit_callbacks):
    from rq.job import Job

    from projects.services import project_create

    pro = make_user("pro@example.com", subscription_tier="pro", monthly_generation_limit=50)
    proj = project_create(user=pro, name="P")
    with django_capture_on_commit_callbacks(execute=True):
        job = job_create(user=pro, project=proj, brief=SHORT_BRIEF)
    assert Job.fetch(job.rq_job_id, connection=redis_conn).origin == "high"


def test_cancelling_a_queued_job_takes_it_off_the_queue(
    owner, project, redis_conn, django_capture_on_commit_callbacks
):
    import django_rq

    with django_capture_on_commit_callbacks(execute=True):
        job = job_create(user=owner, project=project, brief=SHORT_BRIEF)
    assert job.rq_job_id in django_rq.get_queue("default").job_ids
    with django_capture_on_commit_callbacks(execute=True):
        job_cancel(user=owner, job=job)
    job.refresh_from_db()
    assert job.status == JobStatus.CANCELLED and job.completed_at is not None
    assert job.rq_job_id not in django_rq.get_queue("default").job_ids


def test_another_user_cannot_cancel_or_resume_my_job_and_staff_go_through_the_admin(
    owner, other_user, staff, project, redis_conn
):
    job = job_create(user=owner, project=project, brief=SHORT_BRIEF)
    for person in (other_user, staff):
        with pytest.raises(JobError, match="not yours"):
            job_cancel(user=person, job=job)
        with pytest.raises(JobError, match="not yours"):
            job_resume(user=person, job=job)
    job.refresh_from_db()
    assert job.status == JobStatus.QUEUED


def test_a_finished_job_cannot_be_cancelled_and_a_non_resumable_one_cannot_be_resumed(
    owner, project, redis_conn
):
    job = job_create(user=owner, project=project, brief=SHORT_BRIEF)
    GenerationJob.objects.filter(pk=job.pk).update(status=JobStatus.COMPLETED)
    with pytest.raises(JobError, match="already finished"):
        job_cancel(user=owner, job=job)
    GenerationJob.objects.filter(pk=job.pk).update(status=JobStatus.FAILED, can_resume=False)
    before = GenerationJob.objects.values().get(pk=job.pk)
    with pytest.raises(JobError, match="cannot be resumed"):
        job_resume(user=owner, job=job)
    assert GenerationJob.objects.values().get(pk=job.pk) == before


def test_drafting_needs_a_completed_plan_review_job_and_a_valid_plan(owner, other_user, project, redis_conn):
    job = job_create(user=owner, project=project, brief=SHORT_BRIEF)
    with pytest.raises(JobError, match="plan is malformed|must be an object"):
        job_draft_from_plan(user=owner, job=job, plan={"nonsense": True})
    from jobs.pipeline import Brief, get_backend, run_pipeline

    plan = run_pipeline(
        Brief.from_dict({**SHORT_BRIEF, "review_plan": True}), backend=get_backend("offline")
    ).plan
    with pytest.raises(JobError, match="Only a plan-review job"):
        job_draft_from_plan(user=owner, job=job, plan=plan)
    with pytest.raises(JobError, match="not yours"):
        job_draft_from_plan(user=other_user, job=job, plan=plan)


@pytest.mark.django_db(transaction=True)
def test_concurrent_submissions_at_the_limit_boundary_take_exactly_the_remaining_slots(
    owner, project, redis_conn
):
    owner.monthly_generation_limit = 5
    owner.monthly_generations_used = 2
    owner.save()
    results: list[str] = []
    barrier = threading.Barrier(8)

    def submit():
        try:
            barrier.wait(timeout=10)
            job_create(user=owner, project=project, brief=SHORT_BRIEF)
            results.append("ok")
        except LimitExceeded:
            results.append("refused")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=submit) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert sorted(results) == ["ok"] * 3 + ["refused"] * 5
    assert GenerationJob.objects.filter(user=owner).count() == 3
    assert connection.vendor == "postgresql"
