"""Job machinery benchmark: queue latency, throughput, and time spent outside the pipeline.

Starts one real `rqworker` process (offline engine) against the configured
PostgreSQL and Redis, then prints:

* enqueue-to-start latency (p50, p95): commit of job_create → `started_at`, idle worker, jobs one at a time;
* short stories per second through that one worker (a batch queued at once);
* the share of each job's running time spent outside ``run_pipeline``: from the
  claim (``started_at``, taken before the work horse's first database round trip,
  so its connection set-up counts) to the commit of the completion transaction
  (the job row's last ``updated_at``: narrative insert, usage rows and counters
  included), minus the pipeline's own time. Progress and checkpoint writes made
  from the pipeline's callbacks run inside ``run_pipeline`` and count as pipeline.

``--backend openai --llm-latency 0.1`` runs the openai backend against the local
Chat Completions server (``jobs.pipeline.testing.FakeChatServer``) answering each
call after that many seconds — far faster than real models, so the share it
prints is an upper bound for real use. The offline engine's short story is the
worst case: ~40 ms of pipeline, against which a handful of round trips is a lot.

Creates a throwaway enterprise user and deletes it (and its rows) at the end.
Usage: DEBUG=1 python bench/bench_jobs.py [--latency-jobs 30] [--batch 60] [--type short_story]
       DEBUG=1 python bench/bench_jobs.py --backend openai --llm-latency 0.1 --latency-jobs 3 --batch 8
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "narraforge.settings")
os.environ.setdefault("DEBUG", "1")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from accounts.models import User  # noqa: E402
from bench._harness import Processes, start_worker  # noqa: E402
from jobs.models import GenerationJob  # noqa: E402
from jobs.services import job_create  # noqa: E402
from projects.services import project_create  # noqa: E402

BRIEFS = {
    "short_story": {"production_type": "short_story", "genre": "mystery", "target_words": 5000},
    "novella": {"production_type": "novella", "genre": "mystery", "target_words": 25000},
    "novel": {"production_type": "novel", "genre": "mystery", "target_words": 80000},
}


def pct(values, q):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q / 100 * (len(values) - 1))))]


def wait_done(ids, timeout=600):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        left = GenerationJob.objects.filter(pk__in=ids).exclude(
            status__in=["completed", "failed", "cancelled"]
        )
        if not left.exists():
            return
        time.sleep(0.01)
    raise SystemExit("timed out waiting for jobs")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--latency-jobs", type=int, default=30)
    parser.add_argument("--batch", type=int, default=60)
    parser.add_argument("--type", default="short_story", choices=BRIEFS)
    parser.add_argument("--backend", default="offline", choices=["offline", "openai"])
    parser.add_argument("--llm-latency", type=float, default=0.1, help="seconds per call (openai backend)")
    args = parser.parse_args()
    fake_llm = None
    if args.backend == "openai":
        from django.conf import settings

        from jobs.pipeline.testing import FakeChatServer

        fake_llm = FakeChatServer(api_key="bench-key", latency=args.llm_latency).__enter__()
        settings.NF_LLM_BACKEND, settings.OPENAI_API_KEY = "openai", "bench-key"
        settings.OPENAI_BASE_URL = fake_llm.base_url
    call_command("migrate", verbosity=0)
    email = f"bench-{uuid.uuid4().hex[:8]}@bench.invalid"
    user = User.objects.create_user(
        email=email,
        subscription_tier="enterprise",
        monthly_generation_limit=None,
        monthly_cost_limit_usd=None,
    )
    project = project_create(user=user, name="bench")
    env = {**os.environ, "NF_LLM_BACKEND": "offline"}
    if fake_llm is not None:
        env.update(NF_LLM_BACKEND="openai", OPENAI_API_KEY="bench-key", OPENAI_BASE_URL=fake_llm.base_url)
    procs = Processes()
    start_worker(procs, env=env)
    try:
        brief = {**BRIEFS[args.type], "inspiration": "A clockmaker's apprentice hears time stop."}
        # warm-up: imports in the worker, first connections
        warm = job_create(user=user, project=project, brief=brief, new_world=True)
        wait_done([warm.pk], timeout=120)
        warm.refresh_from_db()
        print(f"warm-up job: {warm.status} {warm.error_message or ''}")

        latencies = []
        for i in range(args.latency_jobs):
            with transaction.atomic():
                job = job_create(
                    user=user, project=project, brief={**brief, "title": f"L{i}"}, new_world=True
                )
            committed = timezone.now()
            wait_done([job.pk])
            job.refresh_from_db()
            if job.started_at is None:
                raise SystemExit(f"job {job.pk} ended {job.status} without starting: {job.error_message}")
            latencies.append((job.started_at - committed).total_seconds() * 1000)

        start = time.perf_counter()
        ids = []
        for i in range(args.batch):
            ids.append(
                job_create(user=user, project=project, brief={**brief, "title": f"B{i}"}, new_world=True).pk
            )
        wait_done(ids, timeout=1800)
        elapsed = time.perf_counter() - start
        jobs = list(GenerationJob.objects.filter(pk__in=ids))
        failed = [j for j in jobs if j.status != "completed"]
        shares, overheads, pipeline = [], [], []
        for j in jobs:
            if j.status != "completed":
                continue
            run = (j.updated_at - j.started_at).total_seconds()  # claim → completion transaction's end
            pipe = j.output["timing"]["pipeline_seconds"]
            overheads.append((run - pipe) * 1000)
            pipeline.append(pipe * 1000)
            shares.append((run - pipe) / run * 100 if run else 0)
        per_job_wall = elapsed / len(ids) * 1000
        engine = "offline engine" if fake_llm is None else f"openai backend, {args.llm_latency:g} s per call"
        print(f"type: {args.type} ({engine}), one worker, {len(ids)} jobs in the batch")
        print(
            f"enqueue-to-start latency (idle worker, n={len(latencies)}): "
            f"p50 {pct(latencies, 50):.1f} ms, p95 {pct(latencies, 95):.1f} ms"
        )
        print(
            f"throughput: {len(ids) / elapsed:.2f} {args.type.replace('_', ' ')}s/s "
            f"({per_job_wall:.1f} ms wall per job incl. fork and queue)"
        )
        print(f"pipeline time per job: median {statistics.median(pipeline):.1f} ms")
        print(
            f"outside the pipeline, per job (claim → completion committed): "
            f"median {statistics.median(overheads):.2f} ms, "
            f"share median {statistics.median(shares):.2f}% / p95 {pct(shares, 95):.2f}%"
        )
        print(
            f"outside the pipeline incl. fork and queue (wall per job − pipeline): "
            f"{(per_job_wall - statistics.median(pipeline)) / per_job_wall * 100:.1f}%"
        )
        if failed:
            print(f"WARNING: {len(failed)} job(s) did not complete: {failed[0].error_message}")
    finally:
        procs.stop_all(grace=5)
        User.objects.filter(pk=user.pk).delete()
        if fake_llm is not None:
            fake_llm.__exit__(None, None, None)


if __name__ == "__main__":
    main()
