"""Cost ceiling under concurrency: one free user, 3 and 5 jobs at once, several real workers.

The local Chat Completions server (``jobs.pipeline.testing.FakeChatServer``)
writes every answer to its ``max_tokens`` — a verbose model whose real cost
runs well above the estimate — and keeps what it reported (the provider's
bill). Prices are scaled (``--price-scale``) so every job's *estimate* fits
the free tier's $10 limit while their real cost would pass it several times.

For each round it prints the provider's tokens and cost, the billed tokens
and cost (``usage_logs``) against the monthly limit, and how the jobs ended;
it exits non-zero when the provider was paid past the limit or billed tokens
differ from the provider's.

Creates throwaway free users and deletes them (and their rows) at the end.
Usage: DEBUG=1 python bench/bench_ceiling.py [--jobs 3 5] [--workers 3] [--price-scale 10]
"""

from __future__ import annotations

import argparse
import json
import os
import signal
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

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402

from accounts.models import User  # noqa: E402
from billing.models import UsageLog  # noqa: E402
from jobs.models import GenerationJob  # noqa: E402
from jobs.pipeline.testing import FakeChatServer  # noqa: E402
from jobs.services import job_create  # noqa: E402
from projects.services import project_create  # noqa: E402

BRIEF = {
    "production_type": "short_story",
    "genre": "mystery",
    "inspiration": "A clockmaker's apprentice hears time stop.",
    "target_words": 5000,
}
BASE_PRICES = {"gpt-4o-mini": (0.15, 0.60), "gpt-4o": (2.50, 10.00)}


def start_worker(env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "manage.py", "rqworker", "high", "default", "--worker-class",
         "jobs.worker.NarraForgeWorker", "--verbosity", "0"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip


def wait_done(ids, timeout=600) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not GenerationJob.objects.filter(pk__in=ids, status__in=["queued", "running"]).exists():
            return
        time.sleep(0.05)
    raise SystemExit("timed out waiting for jobs")


def round_of(n_jobs: int, n_workers: int, scale: float) -> bool:
    prices = {m: (p[0] * scale, p[1] * scale) for m, p in BASE_PRICES.items()}
    user = User.objects.create_user(email=f"ceiling-{uuid.uuid4().hex[:8]}@bench.invalid")  # free tier
    project = project_create(user=user, name="ceiling bench")
    procs: list[subprocess.Popen] = []
    try:
        with FakeChatServer(api_key="bench-key", fill_max_tokens=True) as server:
            settings.NF_LLM_BACKEND, settings.OPENAI_API_KEY = "openai", "bench-key"
            settings.OPENAI_BASE_URL = server.base_url
            settings.NF_MODEL_PRICES = {m: list(p) for m, p in prices.items()}
            env = {
                **os.environ,
                "NF_LLM_BACKEND": "openai",
                "OPENAI_API_KEY": "bench-key",
                "OPENAI_BASE_URL": server.base_url,
                "NF_MODEL_PRICES": json.dumps(settings.NF_MODEL_PRICES),
                "NF_LLM_MAX_ATTEMPTS": "2",
            }
            procs = [start_worker(env) for _ in range(n_workers)]
            time.sleep(2.0)  # let the workers start, so the jobs really run at once
            jobs = [job_create(user=user, project=project, brief=BRIEF) for _ in range(n_jobs)]
            wait_done([j.pk for j in jobs])
            provider_tokens, provider_cost = server.reported_tokens(), server.reported_cost(prices)
        user.refresh_from_db()
        logs = UsageLog.objects.filter(user=user)
        billed_tokens = sum(logs.values_list("tokens_used", flat=True))
        billed_cost = sum(logs.values_list("cost_usd", flat=True))
        ended = list(GenerationJob.objects.filter(pk__in=[j.pk for j in jobs]))
        statuses = {s: sum(1 for j in ended if j.status == s) for s in {j.status for j in ended}}
        estimates = sum(j.estimated_cost_usd or 0 for j in jobs)
        limit = user.monthly_cost_limit_usd
        print(
            f"{n_jobs} jobs on {n_workers} workers (free user, limit ${limit:.2f}, "
            f"estimates ${estimates:.2f}, prices x{scale:g}, model writes to max_tokens):"
        )
        print(f"  provider tokens {provider_tokens:,}  provider cost ${provider_cost:.4f}")
        print(f"  billed tokens   {billed_tokens:,}  billed cost   ${billed_cost:.4f} of ${limit:.2f}")
        print(f"  jobs: {', '.join(f'{n} {s}' for s, n in sorted(statuses.items()))}")
        ok = provider_cost <= limit + 1e-9 and billed_tokens == provider_tokens
        ok = ok and abs(billed_cost - provider_cost) < 1e-6
        print(f"  {'OK' if ok else 'MISSED'}: provider cost <= limit and billed tokens = provider tokens")
        return ok
    finally:
        for proc in procs:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
        User.objects.filter(pk=user.pk).delete()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--jobs", type=int, nargs="+", default=[3, 5])
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--price-scale", type=float, default=10.0)
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    results = [round_of(n, args.workers, args.price_scale) for n in args.jobs]
    sys.exit(0 if all(results) else 1)


if __name__ == "__main__":
    main()
