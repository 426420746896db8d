"""Found 4: how fast a lost worker is noticed.

* The worker's main process sees its work horse die (RQ's monitor loop) and
  ends that job at once — failed, resumable, cause "worker lost" — instead of
  leaving it to the reaper's stale-heartbeat rule (set to a minute here, so
  only the immediate path can pass).
* With every worker gone, the cron scheduler process (``manage.py rqcron
  jobs.cron``) runs the reaper itself, so the running job still ends within a
  minute (here: the test's 3 s orphan rule plus a reaper interval).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from jobs.models import GenerationJob, JobRuntime, JobStatus
from jobs.services import job_create
from jobs.tests.conftest import ROOT, _children
from tests.faults.conftest import (
    SHORT_BRIEF,
    billed_tokens,
    billed_usd,
    finished,
    provider_tokens,
    report,
    wait_for,
)

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def _running_with_a_checkpoint(job_id):
    job = GenerationJob.objects.get(pk=job_id)
    if job.status != JobStatus.RUNNING:
        return None
    return "brief_interpretation" in (JobRuntime.objects.get(pk=job_id).checkpoint or {}).get(
        "completed_stages", []
    )


def _a_call_at_the_server(fake_llm) -> bool:
    with fake_llm.lock:
        return len(fake_llm.requests) > len(fake_llm.usage)


def test_a_dead_work_horse_fails_its_job_at_once_not_when_the_reaper_looks(
    owner, project, workers, fake_llm, openai_settings
):
    fake_llm.latency = 0.3
    worker = workers.start(env={**fake_llm.worker_env, "NF_ORPHAN_AFTER_SECONDS": "60"}, scheduler=False)
    job = job_create(user=owner, project=project, brief=SHORT_BRIEF)
    wait_for(lambda: _running_with_a_checkpoint(job.pk), timeout=30, what="a running job with a checkpoint")
    # Killed while a request is at the model server (the kill lands mid-call, not between calls).
    wait_for(lambda: _a_call_at_the_server(fake_llm), timeout=20, interval=0.01, what="a call in flight")
    horses = _children(worker.pid)
    assert len(horses) == 1, horses
    os.kill(horses[0], signal.SIGKILL)  # the OOM killer's signal
    killed_at = time.monotonic()
    ended = wait_for(lambda: finished(job.pk), timeout=20, interval=0.02, what="the job to end")
    detected_after = time.monotonic() - killed_at
    assert ended.status == JobStatus.FAILED and ended.can_resume, (ended.status, ended.error_message)
    assert JobRuntime.objects.get(pk=job.pk).failure_cause == "worker_lost"
    wait_for(lambda: not len(fake_llm.requests) > len(fake_llm.usage), timeout=10, what="the hang-up")
    report(
        "4 work horse SIGKILLed",
        provider=provider_tokens(fake_llm),
        billed=billed_tokens(job.pk),
        detection_s=round(detected_after, 2),
    )
    assert detected_after < 3.0, f"detected after {detected_after:.1f}s"
    assert billed_usd(job.pk) == pytest.approx(ended.actual_cost_usd, abs=1e-9)
    assert billed_tokens(job.pk) == provider_tokens(fake_llm)
    assert worker.poll() is None  # the worker itself lives on and takes the next job


def test_with_every_worker_gone_the_cron_process_ends_a_running_job_within_a_minute(
    owner, project, workers, fake_llm, openai_settings
):
    fake_llm.latency = 0.3
    worker = workers.start(env=fake_llm.worker_env)
    job = job_create(user=owner, project=project, brief=SHORT_BRIEF)
    wait_for(lambda: _running_with_a_checkpoint(job.pk), timeout=30, what="a running job with a checkpoint")
    wait_for(lambda: _a_call_at_the_server(fake_llm), timeout=20, interval=0.01, what="a call in flight")
    workers.kill(worker)  # the whole host: worker, work horse, scheduler
    killed_at = time.monotonic()
    cron = subprocess.Popen(
        [sys.executable, "manage.py", "rqcron", "jobs.cron"],
        cwd=ROOT,
        env=workers.env(fake_llm.worker_env),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    workers.procs.append(cron)
    ended = wait_for(lambda: finished(job.pk), timeout=30, interval=0.1, what="the cron process to reap")
    detected_after = time.monotonic() - killed_at
    assert ended.status == JobStatus.FAILED and ended.can_resume
    assert JobRuntime.objects.get(pk=job.pk).failure_cause == "worker_lost"
    assert "worker" in ended.error_message.lower()
    wait_for(lambda: not len(fake_llm.requests) > len(fake_llm.usage), timeout=10, what="the hang-up")
    report(
        "4 every worker gone (cron process reaps; test orphan rule 3 s)",
        provider=provider_tokens(fake_llm),
        billed=billed_tokens(job.pk),
        detection_s=round(detected_after, 1),
    )
    assert detected_after < 15.0, f"detected after {detected_after:.1f}s"
    assert billed_tokens(job.pk) == provider_tokens(fake_llm)


def test_a_hung_endpoint_is_bounded_by_the_call_deadline_and_the_page_says_it_is_waiting(
    client, owner, project, workers, fake_llm, openai_settings
):
    from django.urls import reverse

    # Answers, then every request hangs 3 s — three times the client's timeout — for good.
    fake_llm.script.extend([("ok",)] * 3 + [("sleep", 3.0)] * 100)
    env = {
        **fake_llm.worker_env,
        "NF_LLM_TIMEOUT_SECONDS": "1",
        "NF_LLM_MAX_ATTEMPTS": "6",
        "NF_LLM_CALL_DEADLINE_SECONDS": "6",
    }
    workers.start(env=env)
    job = job_create(user=owner, project=project, brief=SHORT_BRIEF)
    client.force_login(owner)
    wait_for(lambda: len(fake_llm.requests) >= 4, timeout=30, interval=0.02, what="the first hung request")
    hung_at = time.monotonic()

    def page_says_waiting():
        html = client.get(reverse("jobs:progress", args=[job.pk])).content.decode()
        return "Waiting for the model, retry 2 of 6" in html and html

    wait_for(page_says_waiting, timeout=15, interval=0.1, what="the job page to say it is waiting")
    ended = wait_for(lambda: finished(job.pk), timeout=40, interval=0.1, what="the deadline")
    took = time.monotonic() - hung_at
    wait_for(lambda: not _a_call_at_the_server(fake_llm), timeout=10, what="the server to bill its hang-ups")
    report(
        "4 hung endpoint (1 s timeout, 6 attempts, 6 s call deadline)",
        provider=provider_tokens(fake_llm),
        billed=billed_tokens(job.pk),
        detection_s=round(took, 1),
    )
    assert ended.status == JobStatus.FAILED and ended.can_resume
    assert JobRuntime.objects.get(pk=job.pk).failure_cause == "model_unreachable"
    # The 6 s deadline plus the attempt under way (1 s), not 6 attempts of 1 s plus their backoff.
    assert took < 9.0, f"ended {took:.1f}s after the endpoint hung"
    # Every abandoned attempt was sent, so possibly billed: our bill is the provider's.
    assert billed_tokens(job.pk) == provider_tokens(fake_llm)
