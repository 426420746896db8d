"""Which connection writes a job, with real workers and two local wire-format servers.

The operator's default (the workers' environment) is one server, a writer's own
connection another, each accepting only its own key: a request sent to the wrong
one is refused, so a job that completes proves where it went. Money is checked
the same way: the tokens each server reported are the tokens billed.
"""

from __future__ import annotations

import pytest
from django.test import Client

from accounts.models import User
from billing.models import OwnKeyUsage, UsageLog
from billing.services import usage_recompute
from connections.models import JobConnection
from connections.selectors import OPERATOR
from connections.services import connection_create, connection_delete, connection_update
from jobs.models import GenerationJob, JobRuntime, JobStatus
from jobs.pipeline.testing import FakeChatServer
from jobs.services import JobError, job_create, job_resume
from jobs.tests.conftest import SHORT_BRIEF, wait_for
from narraforge.backups import backup
from narratives.models import Narrative
from projects.services import project_create

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

# Not shaped like an OpenAI key, so only literal redaction (not a pattern) can mask it.
OWNER_KEY = "own-Zk39qPw7Lm2Xv8Rt5Yn1Bc6Hd4Jf0Gs"
OWN_PRICES = {"mini": (1.0, 2.0), "gpt4": (3.0, 6.0)}  # deliberately not the operator's prices
OPERATOR_PRICES = {"gpt-4o-mini": (0.15, 0.60), "gpt-4o": (2.50, 10.00)}


@pytest.fixture
def own_server():
    with FakeChatServer(api_key=OWNER_KEY, models=("small-model", "big-model")) as server:
        yield server


def _own_connection(user, server, **extra):
    return connection_create(
        user=user,
        name="My llama box",
        preset="llamacpp",
        base_url=server.base_url,
        api_key=OWNER_KEY,
        model_mini="small-model",
        model_gpt4="big-model",
        price_mini_input=OWN_PRICES["mini"][0],
        price_mini_output=OWN_PRICES["mini"][1],
        price_gpt4_input=OWN_PRICES["gpt4"][0],
        price_gpt4_output=OWN_PRICES["gpt4"][1],
        **extra,
    )


def _ended(job_id: str, timeout: float = 120) -> GenerationJob:
    return wait_for(
        lambda: (lambda j: j if j.status not in ("queued", "running") else None)(
            GenerationJob.objects.get(pk=job_id)
        ),
        timeout=timeout,
        what="the job to end",
    )


def _billed_tokens(job) -> int:
    return sum(UsageLog.objects.filter(job=job).values_list("tokens_used", flat=True))


def _billed_cost(job) -> float:
    return sum(UsageLog.objects.filter(job=job).values_list("cost_usd", flat=True))


def test_a_writers_connection_writes_their_jobs_while_another_user_gets_the_operator_default(
    owner, other_user, staff, workers, fake_llm, own_server, tmp_path
):
    own = _own_connection(owner, own_server, is_default=True)
    workers.start(env=fake_llm.worker_env, log_path=tmp_path / "worker.log")
    mine = job_create(user=owner, project=project_create(user=owner, name="Mine"), brief=SHORT_BRIEF)
    theirs = job_create(
        user=other_user, project=project_create(user=other_user, name="Theirs"), brief=SHORT_BRIEF
    )
    mine, theirs = _ended(mine.pk), _ended(theirs.pk)
    assert mine.status == JobStatus.COMPLETED, mine.error_message
    assert theirs.status == JobStatus.COMPLETED, theirs.error_message

    # Each server saw only its own writer's job: its models, and (it refuses others) its key.
    assert {r["model"] for r in own_server.requests} == {"small-model", "big-model"}
    assert {r["model"] for r in fake_llm.requests} <= {"gpt-4o-mini", "gpt-4o"}
    # Provider-reported tokens are the billed tokens, for the own key as for the platform.
    assert mine.tokens_used == own_server.reported_tokens() == _billed_tokens(mine) > 0
    assert theirs.tokens_used == fake_llm.reported_tokens() == _billed_tokens(theirs) > 0
    own_cost = own_server.reported_cost({"small-model": OWN_PRICES["mini"], "big-model": OWN_PRICES["gpt4"]})
    assert _billed_cost(mine) == pytest.approx(own_cost, abs=1e-5) and own_cost > 0
    assert _billed_cost(theirs) == pytest.approx(fake_llm.reported_cost(OPERATOR_PRICES), abs=1e-5)

    # Every version says which connection and models wrote it.
    mine_meta = Narrative.objects.get(job=mine).metadata["connection"]
    assert mine_meta == {
        "name": "My llama box",
        "own_key": True,
        "engine": "openai",
        "models": {"mini": "small-model", "gpt4": "big-model"},
    }
    theirs_meta = Narrative.objects.get(job=theirs).metadata["connection"]
    assert theirs_meta["name"] == "Server default" and theirs_meta["own_key"] is False
    assert theirs_meta["models"] == {"mini": "gpt-4o-mini", "gpt4": "gpt-4o"}
    assert mine.output["connection"] == mine_meta
    assert JobConnection.objects.get(job=mine).connection_id == own.pk

    # Own key: the generation counts; the cost is the writer's, not the platform's monthly limit.
    owner_row, other_row = User.objects.get(pk=owner.pk), User.objects.get(pk=other_user.pk)
    assert owner_row.monthly_generations_used == 1
    assert owner_row.monthly_cost_used_usd == 0.0
    assert OwnKeyUsage.objects.filter(usage_log__job=mine, connection_name="My llama box").count() == 1
    assert other_row.monthly_generations_used == 1
    assert other_row.monthly_cost_used_usd == pytest.approx(_billed_cost(theirs))
    assert not OwnKeyUsage.objects.filter(usage_log__job=theirs).exists()

    # The key is nowhere in clear: not in a backup of the database, a page, or a worker's log line.
    dump = backup(tmp_path / "narraforge.sql").path.read_text(errors="replace")
    assert "model_connections" in dump and "My llama box" in dump
    assert OWNER_KEY not in dump and OWNER_KEY[4:-4] not in dump
    pages = []
    writer = Client()
    writer.force_login(owner)
    for url in (
        f"/jobs/{mine.pk}/",
        "/jobs/",
        "/",
        "/usage/",
        f"/narratives/{Narrative.objects.get(job=mine).pk}/",
    ):
        response = writer.get(url)
        assert response.status_code == 200, url
        pages.append(response.content.decode())
    narrative = Narrative.objects.get(job=mine)
    for fmt in ("txt", "md"):
        response = writer.get(f"/narratives/{narrative.pk}/download/{fmt}/")
        assert response.status_code == 200, fmt
        assert OWNER_KEY not in response.content.decode()
    assert usage_recompute() == []  # the counters' rule (own-key logs excluded) holds as recomputed
    admin = Client()
    admin.force_login(staff)
    for url in (
        "/admin/connections/modelconnection/",
        f"/admin/connections/modelconnection/{own.pk}/change/",
        f"/admin/jobs/generationjob/{mine.pk}/change/",
        "/ops/status/",
    ):
        response = admin.get(url)
        assert response.status_code == 200, url
        pages.append(response.content.decode())
    assert 'id="own-key-spend"' in pages[3] and "not counted against your limit" in pages[3]  # /usage/
    assert OWNER_KEY[-4:] in pages[5]  # the admin shows the hint…
    for page in pages:
        assert OWNER_KEY not in page  # …and never the key
    assert OWNER_KEY not in (tmp_path / "worker.log").read_text(errors="replace")


def test_the_generation_forms_choice_overrides_the_default_and_another_users_connection_is_refused(
    owner, other_user, workers, fake_llm, own_server
):
    _own_connection(owner, own_server, is_default=True)
    theirs = connection_create(
        user=other_user, name="Theirs", base_url="http://127.0.0.1:9/v1", model_mini="a", model_gpt4="b"
    )
    project = project_create(user=owner, name="Mine")
    with pytest.raises(JobError, match="does not exist or is not yours") as caught:
        job_create(user=owner, project=project, brief=SHORT_BRIEF, connection=theirs.pk)
    assert caught.value.field == "connection"
    assert not GenerationJob.objects.exists()

    workers.start(env=fake_llm.worker_env)
    job = _ended(job_create(user=owner, project=project, brief=SHORT_BRIEF, connection=OPERATOR).pk)
    assert job.status == JobStatus.COMPLETED, job.error_message
    assert own_server.requests == []  # the writer's default was not used: the form said "server default"
    assert Narrative.objects.get(job=job).metadata["connection"]["own_key"] is False
    assert User.objects.get(pk=owner.pk).monthly_cost_used_usd == pytest.approx(_billed_cost(job))


def test_own_key_jobs_do_not_draw_on_the_monthly_cost_limit_but_platform_jobs_still_stop_at_it(
    owner, workers, fake_llm, own_server, settings
):
    """README, "Limits with your own key": the ceiling applies to the platform's connection only."""
    User.objects.filter(pk=owner.pk).update(monthly_cost_limit_usd=0.002)
    owner.refresh_from_db()
    _own_connection(owner, own_server, is_default=True)
    project = project_create(user=owner, name="Mine")
    workers.start(env=fake_llm.worker_env)
    own_job = _ended(job_create(user=owner, project=project, brief=SHORT_BRIEF).pk)
    assert own_job.status == JobStatus.COMPLETED, own_job.error_message
    assert _billed_cost(own_job) > 0.002  # more than the whole platform limit, on the writer's key
    assert own_job.tokens_used == own_server.reported_tokens() == _billed_tokens(own_job)

    platform_job = _ended(job_create(user=owner, project=project, brief=SHORT_BRIEF, connection=OPERATOR).pk)
    assert platform_job.status == JobStatus.FAILED
    assert JobRuntime.objects.get(pk=platform_job.pk).failure_cause == "cost_ceiling"
    assert "monthly cost limit" in platform_job.error_message
    owner.refresh_from_db()
    assert owner.monthly_cost_used_usd <= 0.002 + 1e-9  # what the platform was paid stayed under its limit
    assert owner.monthly_generations_used == 2  # both jobs spent model time: both count


def test_a_job_whose_connection_was_deleted_after_it_was_queued_fails_in_plain_words(
    owner, workers, fake_llm, own_server
):
    own = _own_connection(owner, own_server, is_default=True)
    job = job_create(user=owner, project=project_create(user=owner, name="Mine"), brief=SHORT_BRIEF)
    with pytest.raises(Exception, match="writing 1 job"):
        connection_delete(user=owner, connection_id=own.pk)  # refused while the job is queued…
    own.delete()  # …so remove it behind the service's back, as a race would
    workers.start(env=fake_llm.worker_env)
    job = _ended(job.pk)
    assert job.status == JobStatus.FAILED
    assert "“My llama box”" in job.error_message and "deleted" in job.error_message
    assert own_server.requests == [] and fake_llm.requests == []  # nothing else wrote it instead
    assert User.objects.get(pk=owner.pk).monthly_generations_used == 0
    with pytest.raises(JobError):
        job_resume(user=owner, job=job)


def test_a_key_the_server_echoes_back_is_masked_in_the_job_error_staff_detail_and_log(
    owner, workers, fake_llm, own_server, tmp_path
):
    own_server.outage = ("status", 401, {}, f"Incorrect API key provided: {OWNER_KEY}.")
    _own_connection(owner, own_server, is_default=True)
    log_path = tmp_path / "worker.log"
    workers.start(env={**fake_llm.worker_env, "NF_LLM_MAX_ATTEMPTS": "1"}, log_path=log_path)
    job = _ended(
        job_create(user=owner, project=project_create(user=owner, name="Mine"), brief=SHORT_BRIEF).pk
    )
    assert job.status == JobStatus.FAILED
    runtime = JobRuntime.objects.get(pk=job.pk)
    assert runtime.failure_cause == "model_auth"
    # The key is the writer's: the words say so (not "on our side") and name the connection.
    assert "Your connection “My llama box” was refused" in job.error_message
    assert "on our side" not in job.error_message
    assert OWNER_KEY not in (job.error_message or "")
    assert runtime.error_detail and OWNER_KEY not in runtime.error_detail
    assert OWNER_KEY not in log_path.read_text(errors="replace")


def test_a_model_the_writers_server_does_not_list_stops_the_job_in_words_about_their_connection(
    owner, workers, fake_llm
):
    with FakeChatServer(api_key=OWNER_KEY, models=("only-this-one",)) as server:
        _own_connection(owner, server, is_default=True)
        workers.start(env=fake_llm.worker_env)
        job = _ended(
            job_create(user=owner, project=project_create(user=owner, name="M"), brief=SHORT_BRIEF).pk
        )
    assert job.status == JobStatus.FAILED
    assert "Your connection “My llama box” names a model its server does not offer" in job.error_message
    assert server.requests == [] and fake_llm.requests == []  # stopped before any paid call
    assert User.objects.get(pk=owner.pk).monthly_generations_used == 0


def test_after_the_writer_fixes_a_refused_key_the_resumed_job_finishes_on_their_connection_billed_once(
    owner, workers, fake_llm
):
    new_key = "own-NEWkey-4b8c2d6e0f1a3b5c7d9e"
    with FakeChatServer(api_key=OWNER_KEY, models=("small-model", "big-model"), latency=0.05) as server:
        own = _own_connection(owner, server, is_default=True)
        workers.start(env={**fake_llm.worker_env, "NF_LLM_MAX_ATTEMPTS": "1"})
        job = job_create(user=owner, project=project_create(user=owner, name="R"), brief=SHORT_BRIEF)
        # The provider revokes the key mid-book (after a few answers and at least one checkpoint).
        wait_for(lambda: len(server.usage) >= 8, timeout=60, what="a few answers")
        server.api_key = new_key
        job = _ended(job.pk)
        assert job.status == JobStatus.FAILED and job.can_resume, job.error_message
        assert "Your connection “My llama box” was refused" in job.error_message
        first_tokens = server.reported_tokens()

        connection_update(user=owner, connection_id=own.pk, api_key=new_key)
        job_resume(user=owner, job=job)
        job = _ended(job.pk)
    assert job.status == JobStatus.COMPLETED, job.error_message
    assert server.reported_tokens() > first_tokens  # the resume wrote on the writer's server…
    assert fake_llm.requests == []  # …and nothing went to the operator's
    assert job.tokens_used == server.reported_tokens() == _billed_tokens(job)  # billed once, all of it
    owner.refresh_from_db()
    assert owner.monthly_generations_used == 1 and owner.monthly_cost_used_usd == 0.0
