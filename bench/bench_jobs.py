"""Job machinery benchmark: queue latency, throughput, and time spent outside the pipeline.

Starts one real `rqworker` process (offline engine) against the configured
PostgreSQL and Redis, then prints:

* enqueue-to-start latency (p50, p95): commit of job_create → `started_at`, idle worker, jobs one at a time;
* short stories per second through that one worker (a batch queued at once);
* the share of each job's running time (started_at → completed_at) spent outside
  ``run_pipeline`` — claim, progress/checkpoint writes, the completion transaction.

Creates a throwaway enterprise user and deletes it (and its rows) at the end.
Usage: DEBUG=1 python bench/bench_jobs.py [--latency-jobs 30] [--batch 60] [--type short_story]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
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
    args = parser.parse_args()
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
    worker = subprocess.Popen(
        [
            sys.executable,
            "manage.py",
            "rqworker",
            "high",
            "default",
            "--worker-class",
            "jobs.worker.NarraForgeWorker",
            "--verbosity",
            "0",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
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
            run = (j.completed_at - j.started_at).total_seconds()
            pipe = j.output["timing"]["pipeline_seconds"]
            overheads.append((run - pipe) * 1000)
            pipeline.append(pipe * 1000)
            shares.append((run - pipe) / run * 100 if run else 0)
        per_job_wall = elapsed / len(ids) * 1000
        print(f"type: {args.type} (offline engine), one worker, {len(ids)} jobs in the batch")
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
            f"outside the pipeline, per job (claim → completed): "
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
        worker.kill()
        os.killpg(worker.pid, 9) if worker.poll() is None else None
        worker.wait(timeout=10)
        User.objects.filter(pk=user.pk).delete()


if __name__ == "__main__":
    main()
