"""Load: signed-in pages under 50 concurrent users, then 200 jobs submitted at once to 2 workers.

What it does, all on 127.0.0.1:

1. Creates a scratch database (``nf_bench_<random>``) on the configured
   PostgreSQL server, migrates it, runs collectstatic, and seeds it through the
   real code: generates a few narratives with the offline engine (short stories
   and a novel of ~80k words) and gives every load account a project, copies of
   them (so some readers are long) and one job shown as running.
2. Starts gunicorn with PRODUCTION settings (DEBUG off, a random SECRET_KEY,
   ALLOWED_HOSTS=127.0.0.1, SECURE_SSL_REDIRECT=false — TLS would end at a proxy,
   whose X-Forwarded-Proto header the users send) and drives it with locust
   (``bench/locustfile.py``): N users (default 50), each signed in with its own
   session, opening the dashboard, the library, the reader, the job page and
   polling the job's htmx progress partial, with a 0.1-0.5 s think time, for a
   bounded time (default 60 s). Prints requests/s and p50/p95/p99 per page and
   overall, and the error count — which must be 0.
3. Starts 2 real ``rqworker`` processes (offline engine) and has 20 users submit
   10 jobs each at the same moment (one thread per user): 10 free users (5 a
   month: 5 of 10 get through), 5 pro users with 47 of 50 used (3 get through)
   and 5 enterprise users (all 10). Checks that exactly those are accepted, every
   accepted job completes once (one narrative and one usage row per job, no
   retry), counters equal the usage logs and no limit is exceeded; prints the
   counts and the wall time.
4. Stops gunicorn and the workers, drops the scratch database and flushes its
   Redis database — also after a failure or Ctrl-C.

Run it:
  make bench                              # embedded PostgreSQL and Redis (with the other benches)
  DATABASE_URL=postgres://u:p@host:5432/any REDIS_URL=redis://host:6379/0 \\
      .venv/bin/python bench/bench_load.py [--users 50] [--duration 60] [--skip-web | --skip-jobs]
The database user must be allowed to CREATE DATABASE. Jobs run on Redis db 9 of
REDIS_URL's server (NF_BENCH_REDIS_URL overrides it), which is flushed at the
start and the end. Exit status 1 if any request failed or any check did not hold.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import environ  # noqa: E402

from bench._harness import Processes, ScratchDatabase, free_port, start_gunicorn  # noqa: E402
from narraforge.envconfig import redis_url  # noqa: E402

SCRATCH = ScratchDatabase("nf_bench")
SCRATCH_DB, SCRATCH_URL, _hostport = SCRATCH.name, SCRATCH.url, SCRATCH.hostport
BENCH_REDIS = os.environ.get("NF_BENCH_REDIS_URL") or urlunsplit(
    urlsplit(redis_url(environ.Env()))._replace(path="/9")
)

# Production settings for this process, gunicorn and the workers alike.
for key in ("NF_TESTING", "NF_DEV", "OPENAI_API_KEY"):
    os.environ.pop(key, None)
os.environ.update(
    {
        "DJANGO_SETTINGS_MODULE": "narraforge.settings",
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "false",
        "DATABASE_URL": SCRATCH_URL,
        "REDIS_URL": BENCH_REDIS,
        "NF_LLM_BACKEND": "offline",
        "CONN_MAX_AGE": "60",
    }
)


def pct(values, q):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q / 100 * (len(values) - 1))))] if values else float("nan")


# --- seeding -----------------------------------------------------------------------------------

SHORT = {"production_type": "short_story", "genre": "mystery", "target_words": 5000}
NOVEL = {"production_type": "novel", "genre": "fantasy", "target_words": 80000}


def _generate(user, project, brief: dict) -> str:
    """One narrative through the real path: job_create, then the task body in this process."""
    from jobs.attempt import run_job
    from jobs.models import GenerationJob
    from jobs.services import job_create

    job = job_create(user=user, project=project, brief=brief, new_world=True)
    run_job(job.pk, job.rq_job_id)
    job = GenerationJob.objects.get(pk=job.pk)
    assert job.status == "completed", job.error_message
    return job.output["narrative_id"]


def seed_web(n_accounts: int, users_file: Path) -> dict:
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django.utils import timezone

    from accounts.models import User
    from jobs.models import GenerationJob, JobRuntime
    from jobs.services import job_create
    from narratives.models import Narrative
    from projects.services import project_create

    started = time.perf_counter()
    from accounts.services import user_set_tier

    author = user_set_tier(user=User.objects.create_user(email="seed@bench.invalid"), tier="enterprise")
    seed_project = project_create(user=author, name="Seed")
    shorts = [
        _generate(author, seed_project, {**SHORT, "inspiration": f"A clock stops in room {i}."})
        for i in range(4)
    ]
    novel = _generate(author, seed_project, {**NOVEL, "inspiration": "A city that forgets every winter."})
    templates = {n.pk: n for n in Narrative.objects.filter(pk__in=[*shorts, novel])}
    fields = [
        "title", "production_type", "genre", "narrative_text", "word_count", "metadata",
        "quality_metrics", "overall_quality_score", "generation_cost_usd", "tokens_used",
    ]  # fmt: skip
    accounts, narratives_total, words = [], 0, []
    for i in range(n_accounts):
        user = User.objects.create_user(email=f"load{i:03d}@bench.invalid", full_name=f"Load Writer {i}")
        user = user_set_tier(user=user, tier="enterprise")
        project = project_create(user=user, name=f"Cycle {i}")
        picks = [shorts[(i + k) % len(shorts)] for k in range(3)] + ([novel] if i % 5 == 0 else [])
        ids = []
        for pk in picks:
            src = templates[pk]
            copy = Narrative.objects.create(
                user=user, project=project, **{f: getattr(src, f) for f in fields}
            )
            ids.append(copy.pk)
            words.append(copy.word_count)
        narratives_total += len(ids)
        job = job_create(user=user, project=project, brief={**SHORT, "inspiration": "Still drafting."})
        now = timezone.now()
        GenerationJob.objects.filter(pk=job.pk).update(
            status="running",
            started_at=now,
            current_stage="sequential_generation",
            completed_stages=[
                "brief_interpretation",
                "world_architecture",
                "character_architecture",
                "structure_design",
                "segment_planning",
            ],  # fmt: skip
            progress_percentage=47.5,
            tokens_used=0,
            actual_cost_usd=0.0,
        )
        JobRuntime.objects.filter(pk=job.pk).update(heartbeat_at=now)
        session = SessionStore()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.create()
        accounts.append(
            {"cookie": settings.SESSION_COOKIE_NAME, "session": session.session_key, "narratives": ids,
             "job": str(job.pk)}
        )  # fmt: skip
    users_file.write_text(json.dumps(accounts))
    return {
        "accounts": n_accounts,
        "narratives": narratives_total,
        "max_words": max(words),
        "seconds": time.perf_counter() - started,
    }


# --- phase 1: web --------------------------------------------------------------------------------


def run_web(args, procs: Processes, tmp: Path) -> bool:
    from django.core.management import call_command

    call_command("collectstatic", interactive=False, verbosity=0)
    users_file = tmp / "users.json"
    seeded = seed_web(args.users, users_file)
    print(
        f"seeded {seeded['accounts']} signed-in accounts, {seeded['narratives']} narratives "
        f"(longest {seeded['max_words']:,} words), one running job each, in {seeded['seconds']:.1f}s"
    )
    port = free_port()
    workers = args.gunicorn_workers or (2 * (os.cpu_count() or 1) + 1)
    base = start_gunicorn(procs, port=port, workers=workers, log=tmp / "gunicorn.log")
    print(
        f"gunicorn: {workers} sync workers, production settings, {base}; locust: {args.users} users, "
        f"think {args.think} s, {args.duration}s"
    )
    prefix = tmp / "locust"
    env = {**os.environ, "NF_BENCH_USERS": str(users_file), "NF_BENCH_THINK": args.think}
    subprocess.run(
        [
            sys.executable,
            "-m",
            "locust",
            "-f",
            str(ROOT / "bench" / "locustfile.py"),
            "--headless",
            "-u",
            str(args.users),
            "-r",
            str(args.users),
            "-t",
            f"{args.duration}s",
            "--host",
            base,
            "--csv",
            str(prefix),
            "--only-summary",
            "--stop-timeout",
            "5",
            "--loglevel",
            "ERROR",
        ],  # fmt: skip
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=open(tmp / "locust.log", "wb"),  # noqa: SIM115
        timeout=args.duration + 90,
        check=False,
    )
    with open(f"{prefix}_stats.csv") as fh:
        rows = list(csv.DictReader(fh))
    if not rows:
        raise SystemExit(f"locust wrote no statistics; see {tmp / 'locust.log'}")
    print(f"{'page':<22}{'requests':>10}{'errors':>8}{'req/s':>9}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}")
    errors = 0
    for row in rows:
        name = "overall" if row["Name"] == "Aggregated" else row["Name"]
        if name == "overall":
            errors = int(row["Failure Count"])
        print(
            f"{name:<22}{int(row['Request Count']):>10}{int(row['Failure Count']):>8}"
            f"{float(row['Requests/s']):>9.1f}{row['50%']:>9}{row['95%']:>9}{row['99%']:>9}"
        )
    failures = Path(f"{prefix}_failures.csv")
    if errors and failures.exists():
        print(failures.read_text()[:2000])
    print(f"errors: {errors}")
    return errors == 0


# --- phase 2: 200 jobs at once -------------------------------------------------------------------

PLAN = [("free", 0, 5)] * 10 + [("pro", 47, 3)] * 5 + [("enterprise", 0, 10)] * 5  # tier, used, expected


def run_jobs(args, procs: Processes, tmp: Path) -> bool:
    import django_rq
    from django.db import connection
    from django.db.models import Count
    from rq import Worker

    from accounts.models import User
    from accounts.services import user_set_tier
    from billing.models import UsageLog
    from billing.services import LimitExceeded, usage_recompute
    from jobs.errors import JobError
    from jobs.models import GenerationJob
    from jobs.services import job_create
    from projects.services import project_create

    conn = django_rq.get_connection("default")
    conn.flushdb()  # the bench's own Redis database; the web phase's seed jobs never run
    GenerationJob.objects.filter(status__in=["queued", "running"]).update(status="cancelled")
    users = []
    for i, (tier, used, expected) in enumerate(PLAN):
        user = User.objects.create_user(email=f"submit{i:02d}-{tier}@bench.invalid")
        user_set_tier(user=user, tier=tier)
        User.objects.filter(pk=user.pk).update(monthly_generations_used=used)
        user.refresh_from_db()
        users.append((user, project_create(user=user, name="Batch"), tier, used, expected))

    for _ in range(args.workers):
        procs.start(
            [
                sys.executable,
                "manage.py",
                "rqworker",
                "high",
                "default",
                "--worker-class",
                "jobs.worker.NarraForgeWorker",
                "--with-scheduler",
            ],  # fmt: skip
            tmp / "workers.log",
        )
    deadline = time.monotonic() + 30
    while len(Worker.all(connection=conn)) < args.workers:
        if time.monotonic() > deadline:
            raise SystemExit(f"workers did not register within 30s; see {tmp / 'workers.log'}")
        time.sleep(0.1)

    per_user = args.per_user
    barrier = threading.Barrier(len(users))
    accepted: dict[str, list[str]] = {}
    refused: dict[str, list[str]] = {}
    errors: list[str] = []

    def submit(user, project) -> None:
        mine, no = [], []
        try:
            barrier.wait(timeout=30)
            for k in range(per_user):
                brief = {**SHORT, "inspiration": f"Batch story {k} of {user.email}."}
                try:
                    mine.append(job_create(user=user, project=project, brief=brief, new_world=True).pk)
                except (LimitExceeded, JobError) as exc:
                    no.append(str(exc))
        except Exception as exc:  # reported, never swallowed
            errors.append(f"{user.email}: {exc!r}")
        finally:
            accepted[user.pk], refused[user.pk] = mine, no
            connection.close()

    threads = [threading.Thread(target=submit, args=(u, p)) for u, p, *_ in users]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    submitted_in = time.perf_counter() - started
    ids = [pk for v in accepted.values() for pk in v]
    deadline = time.monotonic() + args.jobs_timeout
    unfinished = GenerationJob.objects.filter(pk__in=ids).exclude(
        status__in=["completed", "failed", "cancelled"]
    )
    while unfinished.exists():
        if time.monotonic() > deadline:
            errors.append(f"jobs still unfinished after {args.jobs_timeout}s")
            break
        time.sleep(0.05)
    wall = time.perf_counter() - started

    ok = not errors
    jobs = list(GenerationJob.objects.filter(pk__in=ids).annotate(n=Count("narratives", distinct=True)))
    logs = dict(
        UsageLog.objects.filter(job_id__in=ids)
        .values("job_id")
        .annotate(c=Count("pk"))
        .values_list("job_id", "c")
    )
    completed = [j for j in jobs if j.status == "completed"]
    twice = [j for j in jobs if j.n != 1 or logs.get(j.pk) != 1 or j.retry_count]
    if len(completed) != len(ids) or twice:
        ok = False
        errors.append(f"{len(ids) - len(completed)} not completed, {len(twice)} with narratives/usage != 1")
    by_tier: dict[str, list[int]] = {}
    for user, _, tier, used, expected in users:
        user.refresh_from_db()
        got = len(accepted[user.pk])
        agg = by_tier.setdefault(tier, [0, 0, 0])
        agg[0] += per_user
        agg[1] += got
        agg[2] += len(refused[user.pk])
        limit = user.monthly_generation_limit
        if (
            got != expected
            or user.monthly_generations_used != used + got
            or (limit is not None and user.monthly_generations_used > limit)
        ):
            ok = False
            errors.append(
                f"{user.email}: {got} accepted (expected {expected}), counter {user.monthly_generations_used}"
            )
    mismatches = usage_recompute(users=User.objects.filter(pk__in=[u.pk for u, *_ in users]))
    # The pro users' 47 pre-used generations have no usage logs (set directly above); all else must match.
    pre_used = {u.pk: used for u, _, _, used, _ in users}
    real = [
        m
        for m in mismatches
        if not (m.field == "monthly_generations_used" and m.stored == m.expected + pre_used[m.user_id])
    ]
    if real:
        ok = False
        errors.append(f"counters differ from usage logs: {real[:3]}")

    waits = [(j.started_at - j.created_at).total_seconds() for j in completed if j.started_at]
    runs = [(j.completed_at - j.started_at).total_seconds() * 1000 for j in completed if j.started_at]
    total = sum(v[0] for v in by_tier.values())
    print(
        f"{total} jobs submitted at once by {len(users)} users ({per_user} each) to {args.workers} workers "
        f"(offline engine, short stories); submissions took {submitted_in:.2f}s"
    )
    for tier, (sub, acc, ref) in by_tier.items():
        print(f"  {tier:<11} submitted {sub:>3}, accepted {acc:>3}, refused at submission {ref:>3}")
    print(
        f"accepted {len(ids)}, completed {len(completed)}, failed {len(jobs) - len(completed)}, "
        f"ran twice {len(twice)}; limits respected: {'NO' if any('expected' in e for e in errors) else 'yes'}"
    )
    if completed:
        print(
            f"wall time (first submission → last completion): {wall:.2f}s, "
            f"{len(completed) / wall:.1f} jobs/s; queue wait p50 {statistics.median(waits):.2f}s / "
            f"max {max(waits):.2f}s; run p50 {statistics.median(runs):.0f} ms"
        )
    for e in errors[:10]:
        print(f"  PROBLEM: {e}")
    return ok


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--users", type=int, default=50, help="concurrent signed-in users (locust)")
    parser.add_argument("--duration", type=int, default=60, help="seconds of load")
    parser.add_argument("--think", default="0.1,0.5", help="think time range per user, seconds")
    parser.add_argument("--gunicorn-workers", type=int, default=0, help="default 2 × CPUs + 1")
    parser.add_argument("--workers", type=int, default=2, help="rqworker processes for the job phase")
    parser.add_argument("--per-user", type=int, default=10, help="jobs each of the 20 users submits")
    parser.add_argument("--jobs-timeout", type=int, default=300)
    parser.add_argument("--skip-web", action="store_true")
    parser.add_argument("--skip-jobs", action="store_true")
    args = parser.parse_args()

    print(f"scratch database {SCRATCH_DB} on {_hostport}; Redis {BENCH_REDIS}")
    SCRATCH.create()
    procs = Processes()
    ok = True
    try:
        import django

        django.setup()
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        with tempfile.TemporaryDirectory(prefix="nf-bench-load-") as tmpdir:
            tmp = Path(tmpdir)
            try:
                if not args.skip_web:
                    ok = run_web(args, procs, tmp) and ok
                if not args.skip_jobs:
                    ok = run_jobs(args, procs, tmp) and ok
            except BaseException:
                for log in ("gunicorn.log", "workers.log", "locust.log"):
                    if (tmp / log).exists() and (tmp / log).stat().st_size:
                        print(f"--- tail of {log}:\n" + (tmp / log).read_text(errors="replace")[-3000:])
                raise
            finally:
                procs.stop_all()
    finally:
        procs.stop_all()
        try:
            from django.db import connections

            connections.close_all()
        except Exception:  # noqa: S110 - Django may not be set up yet
            pass
        try:
            import redis

            redis.Redis.from_url(BENCH_REDIS).flushdb()
        except Exception as exc:
            print(f"could not flush {BENCH_REDIS}: {exc}")
        SCRATCH.drop()
        print(f"dropped {SCRATCH_DB}")
    if not ok:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
