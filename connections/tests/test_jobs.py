"""Jobs with a connection: estimated at its prices, admitted by the own-key rule, remembered per job."""

from __future__ import annotations

import pytest

from accounts.models import User
from billing.services import LimitExceeded
from connections.models import JobConnection
from connections.selectors import OPERATOR, job_connection_info
from connections.services import ConnectionInvalid, connection_create, connection_delete
from jobs.engine_settings import engine_estimate_usd
from jobs.models import GenerationJob, JobStatus
from jobs.pipeline import Brief
from jobs.pipeline.connection import Connection
from jobs.selectors import job_estimate
from jobs.services import JobError, job_create
from projects.services import project_create

pytestmark = pytest.mark.django_db

BRIEF = {
    "production_type": "short_story",
    "genre": "fantasy",
    "inspiration": "A lighthouse keeper finds a map drawn in salt.",
    "target_words": 5000,
}


@pytest.fixture(autouse=True)
def _operator_offline(settings):
    settings.NF_LLM_BACKEND = "offline"
    settings.OPENAI_API_KEY = ""


def _own(user, **extra):
    return connection_create(
        user=user,
        name="Mine",
        base_url="http://127.0.0.1:8080/v1",
        api_key="local-key-0123456789abcdef",
        model_mini="small",
        model_gpt4="big",
        price_mini_input=1.0,
        price_mini_output=2.0,
        price_gpt4_input=5.0,
        price_gpt4_output=15.0,
        **extra,
    )


def test_the_estimate_is_at_the_chosen_connections_prices_and_says_what_will_write(owner):
    own = _own(owner)
    offline = job_estimate(owner, BRIEF)
    assert offline["estimated_cost_usd"] == 0.0 and offline["connection"].id == OPERATOR
    figures = job_estimate(owner, BRIEF, connection=own.pk)
    expected = engine_estimate_usd(
        Brief.from_dict({**BRIEF, "polish": "flagged"}),
        connection=Connection(
            tier_models={"mini": "small", "gpt4": "big"}, prices={"small": (1.0, 2.0), "big": (5.0, 15.0)}
        ),
        backend="openai",
    )
    assert figures["estimated_cost_usd"] == pytest.approx(expected) and expected > 0
    assert figures["connection"].name == "Mine" and figures["connection"].own_key
    assert figures["remaining_cost_usd"] is None  # no platform cost limit on the writer's own key
    assert [p["cost_usd"] > 0 for p in figures["by_polish"]] == [True] * len(figures["by_polish"])


def test_another_users_connection_cannot_be_estimated_or_chosen(owner, other_user):
    theirs = _own(other_user)
    with pytest.raises(JobError, match="does not exist or is not yours"):
        job_estimate(owner, BRIEF, connection=theirs.pk)
    with pytest.raises(JobError, match="does not exist or is not yours"):
        job_create(
            user=owner, project=project_create(user=owner, name="P"), brief=BRIEF, connection=theirs.pk
        )
    assert not GenerationJob.objects.exists() and not JobConnection.objects.exists()


def test_an_own_key_job_is_admitted_when_the_platform_cost_limit_is_used_up_but_not_past_the_generations(
    owner, settings
):
    settings.NF_FIXED_ESTIMATE_USD = 2.0
    User.objects.filter(pk=owner.pk).update(monthly_cost_used_usd=10.0, monthly_cost_limit_usd=10.0)
    owner.refresh_from_db()
    own = _own(owner, is_default=True)
    project = project_create(user=owner, name="P")
    with pytest.raises(LimitExceeded, match="monthly cost limit"):
        job_create(user=owner, project=project, brief=BRIEF, connection=OPERATOR)
    job = job_create(user=owner, project=project, brief=BRIEF)  # the default: the writer's own key
    chosen = JobConnection.objects.get(job=job)
    assert chosen.own_key and chosen.connection_id == own.pk
    assert job_connection_info(job=job) == {
        "name": "Mine",
        "own_key": True,
        "engine": "openai",
        "models": {"mini": "small", "gpt4": "big"},
    }
    User.objects.filter(pk=owner.pk).update(monthly_generations_used=owner.monthly_generation_limit - 1)
    with pytest.raises(LimitExceeded, match="generation limit"):  # the queued job holds the last one
        job_create(user=owner, project=project, brief=BRIEF)


def test_a_connection_can_be_deleted_once_its_jobs_have_ended(owner):
    own = _own(owner, is_default=True)
    job = job_create(user=owner, project=project_create(user=owner, name="P"), brief=BRIEF)
    with pytest.raises(ConnectionInvalid, match="writing 1 job right now"):
        connection_delete(user=owner, connection_id=own.pk)
    GenerationJob.objects.filter(pk=job.pk).update(status=JobStatus.COMPLETED)
    connection_delete(user=owner, connection_id=own.pk)
    record = JobConnection.objects.get(job=job)
    assert record.connection_id is None and record.name == "Mine"  # the job still says what wrote it
