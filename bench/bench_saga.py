"""A 500,000-word saga through a model backend: total time and the share spent on checkpoints (issue 18 §3).

Runs one real job attempt (``jobs.attempt.run_job``: claim, pipeline, progress,
checkpoints, completion) in this process with the openai backend pointed at
the engine's local Chat Completions server (``jobs.pipeline.testing``: zero
latency, tokens counted as a real server reports them), on a scratch database
(``bench_<database name>``, created, migrated and dropped). Every checkpoint
write is timed where it happens (``jobs.checkpoint_store.checkpoint_save``), and so is
building the checkpoint dict it stores (``RunState.to_checkpoint``).
Exits 1 unless checkpoints take under 10 % of the wall time and the saga
completes with one narrative.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/narraforge .venv/bin/python bench/bench_saga.py
    NF_BENCH_SAGA_WORDS=100000 ...   # a shorter run
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
WORDS = int(os.environ.get("NF_BENCH_SAGA_WORDS", "500000"))

from jobs.pipeline.testing import FakeChatServer  # noqa: E402  (no Django)

server = FakeChatServer(api_key="bench-key")
server.__enter__()
os.environ.update(
    {
        "DJANGO_SETTINGS_MODULE": "narraforge.test_settings",
        "DEBUG": "0",
        "NF_LLM_BACKEND": "openai",
        "OPENAI_API_KEY": "bench-key",
        "OPENAI_BASE_URL": server.base_url,
    }
)

import django  # noqa: E402

django.setup()

import logging  # noqa: E402

logging.getLogger("httpx").setLevel(logging.WARNING)  # one INFO line per model call otherwise
logging.getLogger("httpx2").setLevel(logging.WARNING)

from django.db import connection  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402


def main() -> int:
    from accounts.models import User
    from accounts.services import user_set_tier
    from jobs import checkpoint_store
    from jobs.attempt import run_job
    from jobs.models import GenerationJob
    from jobs.services import job_create
    from narratives.models import Narrative
    from projects.services import project_create

    timing = {"seconds": 0.0, "snapshot": 0.0, "writes": 0, "bytes": 0}
    real_save = checkpoint_store.checkpoint_save

    def timed_save(job_id, checkpoint, **kwargs):
        started = time.perf_counter()
        try:
            return real_save(job_id, checkpoint, **kwargs)
        finally:
            timing["seconds"] += time.perf_counter() - started
            timing["writes"] += 1
            if os.environ.get("NF_BENCH_SAGA_DEBUG"):
                header = checkpoint_store._dumps(checkpoint_store.checkpoint_header(checkpoint))
                took = time.perf_counter() - started
                print(f"    write {timing['writes']}: {took:.3f} s, header {len(header):,} B")

    checkpoint_store.checkpoint_save = timed_save  # the saver looks it up at each write

    # Building the checkpoint dict (the engine's snapshot) is part of what a checkpoint costs.
    from jobs.pipeline.checkpoint import RunState

    real_snapshot = RunState.to_checkpoint

    def timed_snapshot(self, ledger):
        started = time.perf_counter()
        try:
            return real_snapshot(self, ledger)
        finally:
            timing["snapshot"] += time.perf_counter() - started

    RunState.to_checkpoint = timed_snapshot

    user = User.objects.create_user(email="saga@example.com", password="bench-password-123", is_verified=True)
    user_set_tier(user=user, tier="enterprise")
    project = project_create(user=user, name="Saga")
    brief = {
        "production_type": "epic_saga" if WORDS >= 250_000 else "novel",
        "genre": "fantasy",
        "target_words": WORDS,
        "inspiration": "A ferrywoman carries letters across a river that forgets everyone who crosses it.",
    }
    job = job_create(user=user, project=project, brief=brief)
    print(f"Saga of {WORDS:,} words through the local model server ({server.base_url}), in-process attempt:")
    started = time.perf_counter()
    outcome = run_job(job.pk, job.rq_job_id)
    total = time.perf_counter() - started
    job = GenerationJob.objects.get(pk=job.pk)
    narratives = Narrative.objects.filter(job=job)
    words = narratives.first().word_count if narratives.exists() else 0
    spent = timing["seconds"] + timing["snapshot"]
    share = spent / total if total else 0.0
    print(f"  outcome {outcome}, status {job.status}, {narratives.count()} narrative of {words:,} words, "
          f"{len(server.requests)} model calls")  # fmt: skip
    print(f"  total {total:6.1f} s; checkpoints {spent:5.2f} s = {timing['snapshot']:.2f} s building the dict"
          f" + {timing['seconds']:.2f} s storing it in {timing['writes']} writes "
          f"= {share * 100:.1f} % (target < 10 %)")  # fmt: skip
    ok = job.status == "completed" and narratives.count() == 1 and share < 0.10
    verdict = "" if ok else "  MISSED"
    print(f"| saga {WORDS:,} words via the local model server | {total:.1f} s total, checkpoints "
          f"{share * 100:.1f} % ({timing['writes']} writes) | < 10 %{verdict} |")  # fmt: skip
    return 0 if ok else 1


if __name__ == "__main__":
    setup_test_environment()
    connection.settings_dict.setdefault("TEST", {})["NAME"] = f"bench_saga_{connection.settings_dict['NAME']}"
    db_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        code = main()
    finally:
        connection.creation.destroy_test_db(db_name, verbosity=0)
        server.__exit__(None, None, None)
    sys.exit(code)
