"""The job page's one-statement read (jobs.page_query) gives what the ORM gives, scoped to the owner."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from connections.models import JobConnection
from jobs.models import GenerationJob, JobRuntime, JobStatus
from jobs.page_query import CONNECTION_FIELDS, JOB_FIELDS, PROJECT_FIELDS, RUNTIME_FIELDS, job_page_row
from projects.services import project_create

pytestmark = pytest.mark.django_db

BRIEF = {"production_type": "novel", "genre": "fantasy", "target_words": 100_000, "language": "pl"}


def _attnames(model, names):
    return [model._meta.get_field(name).attname for name in names]


@pytest.fixture
def watched(owner):
    project = project_create(user=owner, name="Żuławy")
    job = GenerationJob.objects.create(
        user=owner, project=project, production_brief=BRIEF, status=JobStatus.RUNNING,
        current_stage="sequential_generation", completed_stages=["premise_analysis", "world_building"],
        progress_percentage=42.5, started_at=timezone.now() - dt.timedelta(minutes=3), tokens_used=1234,
        actual_cost_usd=0.0123, estimated_cost_usd=1.61, output={"narrative_id": None}, retry_count=1,
    )  # fmt: skip
    JobRuntime.objects.create(
        job=job, kind=JobRuntime.Kind.GENERATION, position={"chapter": 2, "chapters": 9, "words": 4100},
        notice="The model server is slow; still waiting.",
    )  # fmt: skip
    JobConnection.objects.create(job=job, own_key=True, name="Olive's vLLM", engine="openai",
                                 tier_models={"mini": "qwen", "gpt4": "qwen-big"})  # fmt: skip
    return job


def test_it_reads_what_the_orm_reads_in_one_query(owner, watched):
    expected = GenerationJob.objects.select_related("project", "runtime", "connection_choice").get(
        pk=watched.pk
    )
    with CaptureQueriesContext(connection) as ctx:
        job = job_page_row(user_id=owner.pk, job_id=watched.pk)
        for name in _attnames(GenerationJob, JOB_FIELDS):
            assert getattr(job, name) == getattr(expected, name), name
        for model, names, relation in (
            (type(expected.project), PROJECT_FIELDS, "project"),
            (JobRuntime, RUNTIME_FIELDS, "runtime"),
            (JobConnection, CONNECTION_FIELDS, "connection_choice"),
        ):
            for name in _attnames(model, names):
                assert getattr(getattr(job, relation), name) == getattr(getattr(expected, relation), name), (
                    name
                )
        assert job.runtime.job is job and job.connection_choice.job is job
    assert len(ctx.captured_queries) == 1
    assert isinstance(job.completed_stages, list) and job.runtime.position["chapter"] == 2  # JSON decoded
    assert job.started_at.tzinfo is not None


def test_a_job_without_a_project_runtime_or_connection_reads_as_none(owner):
    job = GenerationJob.objects.create(user=owner, production_brief=BRIEF, status=JobStatus.QUEUED)
    read = job_page_row(user_id=owner.pk, job_id=job.pk)
    with CaptureQueriesContext(connection) as ctx:
        assert read.project is None
        assert read._state.fields_cache["runtime"] is None
        assert read._state.fields_cache["connection_choice"] is None
    assert len(ctx.captured_queries) == 0


def test_a_field_the_page_does_not_list_is_read_when_used(owner, watched):
    job = job_page_row(user_id=owner.pk, job_id=watched.pk)
    assert "error_message" in job.__dict__ and "updated_at" not in job.__dict__
    with CaptureQueriesContext(connection) as ctx:
        assert job.updated_at == GenerationJob.objects.get(pk=watched.pk).updated_at
    assert len(ctx.captured_queries) == 2  # deferred: read on first use (and the row to compare with)


def test_another_users_job_and_a_missing_id_read_as_nothing(owner, other_user, staff, watched):
    assert job_page_row(user_id=other_user.pk, job_id=watched.pk) is None
    assert job_page_row(user_id=staff.pk, job_id=watched.pk) is None
    assert job_page_row(user_id=owner.pk, job_id="no-such-job") is None
