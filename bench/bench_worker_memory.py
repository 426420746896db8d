"""Peak memory of a work horse writing an epic saga, with the worker started under DEBUG=1.

Issue 15 found a saga's work horse at 1.3 GB under `make worker` (DEBUG=1):
Django's query log kept every progress and checkpoint UPDATE. This starts one
real `rqworker` (DEBUG=1, the offline engine) against the configured
PostgreSQL and Redis, submits an epic saga, samples the work horse's resident
memory (/proc/<pid>/status VmRSS, and VmHWM, the kernel's own peak) every
20 ms until the job ends, and prints the peak. Exits 1 above the target.

Creates a throwaway enterprise user and deletes it (and its rows) at the end.
Usage: DEBUG=1 python bench/bench_worker_memory.py [--words 500000] [--target-mb 200]
"""

from __future__ import annotations

import argparse
import contextlib
import os
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

from accounts.models import User  # noqa: E402
from bench._harness import Processes, start_worker  # noqa: E402
from jobs.models import GenerationJob  # noqa: E402
from jobs.services import job_create  # noqa: E402
from projects.services import project_create  # noqa: E402


def _kib(pid: int, field: str) -> int:
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def _children(pid: int) -> list[int]:
    out: list[int] = []
    with contextlib.suppress(OSError):
        for task in Path(f"/proc/{pid}/task").iterdir():
            out += [int(c) for c in (task / "children").read_text().split()]
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--words", type=int, default=500_000)
    parser.add_argument("--target-mb", type=float, default=200.0)
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    user = User.objects.create_user(
        email=f"bench-{uuid.uuid4().hex[:8]}@bench.invalid",
        subscription_tier="enterprise",
        monthly_generation_limit=None,
        monthly_cost_limit_usd=None,
    )
    project = project_create(user=user, name="bench")
    env = {**os.environ, "NF_LLM_BACKEND": "offline", "DEBUG": "1"}
    procs = Processes()
    worker = start_worker(procs, env=env)
    try:
        time.sleep(2.0)  # the worker's imports
        brief = {
            "production_type": "epic_saga",
            "genre": "fantasy",
            "inspiration": "A river that remembers every boat it ever carried.",
            "target_words": args.words,
        }
        job = job_create(user=user, project=project, brief=brief)
        started = time.monotonic()
        peak_rss = peak_hwm = 0
        horse = None
        while True:
            kids = _children(worker.pid)
            if kids:
                horse = kids[0]
                peak_rss = max(peak_rss, _kib(horse, "VmRSS"))
                peak_hwm = max(peak_hwm, _kib(horse, "VmHWM"))
            status = GenerationJob.objects.filter(pk=job.pk).values_list("status", flat=True).first()
            if status in ("completed", "failed", "cancelled"):
                break
            if time.monotonic() - started > 1800:
                raise SystemExit("timed out waiting for the saga")
            time.sleep(0.02)
        job.refresh_from_db()
        peak_mb = max(peak_rss, peak_hwm) / 1024
        print(
            f"epic saga, {args.words:,} words target, worker DEBUG=1: job {job.status} in "
            f"{time.monotonic() - started:.1f}s, {job.output and job.output.get('word_count')} words, "
            f"progress writes {((job.output or {}).get('timing') or {}).get('progress_writes')}"
        )
        print(f"work horse peak RSS: {peak_mb:.1f} MB (target < {args.target_mb:.0f} MB), pid {horse}")
        if job.status != "completed":
            raise SystemExit(f"the saga did not complete: {job.error_message}")
        if peak_mb >= args.target_mb:
            raise SystemExit(1)
    finally:
        procs.stop_all(grace=5)
        User.objects.filter(pk=user.pk).delete()


if __name__ == "__main__":
    main()
