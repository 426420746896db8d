"""Per-request floor (issue 18 §6): the signed-in page mix against a trivial signed-in view, one run.

1. Creates a scratch database (``nf_mix_<random>``, bench/_harness.py) on the configured server,
   migrates it and seeds, through the ORM, writers with a project, a running
   job and narratives of engine-written text (bench/corpus.py: short stories
   and a 100k-word novel), each with a real session (cached_db: in Redis).
2. Starts gunicorn (5 sync workers, PRODUCTION settings plus one bench-only
   URL, ``/bench/ping/``: signed in, plain text) on NF_BENCH_PORT (else a free port the
   kernel picks) and saturates it from a closed loop of client
   threads, first with ``/bench/ping/``, then with the page mix the product
   sees (dashboard, library, library search, readers, job page, job progress
   partial), then ``/healthz``, for NF_BENCH_SECONDS each (default 20). Clients
   send the session and CSRF cookies a browser has; meanwhile a thread moves
   every job's progress each NF_BENCH_PROGRESS_SECONDS (default 3), as a worker
   would, so the pages that show it are built again (narraforge.pagecache).
3. Prints requests/s of each and the ratio, and exits 1 if the mix reaches less
   than 0.5 of the trivial view, or any request failed. Drops the database and
   stops gunicorn at the end, also after a failure or Ctrl-C.

The machine the figures come from is shared (2 cores, other engineers'
tests): the client threads compete with gunicorn for the same cores, for the
trivial view and the mix alike, so the ratio is the figure to read.
"""

from __future__ import annotations

import http.client
import os
import random
import secrets
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import environ  # noqa: E402

from bench._harness import Processes, ScratchDatabase, free_port, start_gunicorn  # noqa: E402
from narraforge.envconfig import redis_url  # noqa: E402

SCRATCH = ScratchDatabase("nf_mix")
SECONDS = float(os.environ.get("NF_BENCH_SECONDS", "20"))
WORKERS = int(os.environ.get("NF_BENCH_GUNICORN_WORKERS", "5"))
CLIENTS = int(os.environ.get("NF_BENCH_CLIENTS", str(2 * WORKERS)))
PROGRESS_SECONDS = float(os.environ.get("NF_BENCH_PROGRESS_SECONDS", "3"))
WARM_SECONDS = float(os.environ.get("NF_BENCH_WARM_SECONDS", "10"))
ACCOUNTS = 10

for key in ("NF_TESTING", "NF_DEV", "OPENAI_API_KEY"):
    os.environ.pop(key, None)
os.environ.update(
    {
        "DJANGO_SETTINGS_MODULE": "bench.pagemix_settings",
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "false",
        "DATABASE_URL": SCRATCH.url,
        "REDIS_URL": redis_url(environ.Env()),
        "NF_LLM_BACKEND": "offline",
        "CONN_MAX_AGE": "60",
    }
)


def seed() -> list[dict]:
    """Writers with sessions, a project, a running job and narratives; returns what the clients need."""
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.cached_db import SessionStore
    from django.middleware.csrf import _get_new_csrf_string

    from accounts.models import User
    from bench.corpus import engine_narrative, narrative_fields
    from jobs.models import GenerationJob
    from narratives.models import Narrative
    from narratives.services import narrative_search_lemmatise
    from projects.models import Project

    assert settings.SESSION_ENGINE.endswith("cached_db")
    samples = [
        engine_narrative("short_story", 7_500),
        engine_narrative("short_story", 7_500, language="pl", genre="drama"),
        engine_narrative("novella", 25_000, genre="mystery"),
    ]
    novel = engine_narrative("novel", 100_000)
    accounts = []
    for i in range(ACCOUNTS):
        user = User.objects.create_user(email=f"mix{i}@example.com", password="bench-password-123")
        project = Project.objects.create(user=user, name=f"Project {i}")
        shorts = [
            Narrative.objects.create(user=user, project=project, **narrative_fields(s, title=f"Short {k}"))
            for k, s in enumerate(samples * 2)
        ]
        long = Narrative.objects.create(user=user, project=project, **narrative_fields(novel))
        for n in shorts:
            if n.metadata.get("language") == "pl":
                narrative_search_lemmatise(narrative_id=n.pk)
        job = GenerationJob.objects.create(
            user=user, project=project, status="running", current_stage="sequential_generation",
            progress_percentage=42.0, production_brief={"production_type": "novel", "genre": "fantasy",
            "target_words": 100_000, "inspiration": "A river that forgets.", "language": "en"},
        )  # fmt: skip
        session = SessionStore()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.create()
        # A browser has its CSRF cookie from the sign-in page: pages with forms are built for it.
        cookie = f"sessionid={session.session_key}; csrftoken={_get_new_csrf_string()}"
        accounts.append({"cookie": cookie, "short": [n.pk for n in shorts],
                         "long": long.pk, "job": job.pk})  # fmt: skip
    return accounts


def mix_for(account: dict) -> list[tuple[str, str, dict]]:
    """(page, path, extra headers) weighted as writers use the product (the job page polls its progress)."""
    hx = {"HX-Request": "true"}
    return (
        [("dashboard", "/", {})] * 2
        + [("library", "/narratives/", {})] * 2
        + [("library search", "/narratives/?q=ferrywoman+river", {})]
        + [("reader, short", f"/narratives/{pk}/", {}) for pk in account["short"][:2]]
        + [("reader, 100k words", f"/narratives/{account['long']}/", {})]
        + [("job page", f"/jobs/{account['job']}/", {})]
        + [("job progress (htmx)", f"/jobs/{account['job']}/progress/", hx)] * 4
    )


def write_progress(job_ids: list[str], stop: threading.Event) -> None:
    """What a running job's worker does meanwhile: moves each job's progress every PROGRESS_SECONDS.

    The dashboard and the job pages show it, so the page cache has to build them again each
    time, as it would for a writer watching a real job.
    """
    from django.db import connection
    from django.db.models import F
    from django.db.models.functions import Least

    from jobs.models import GenerationJob

    try:
        while not stop.wait(PROGRESS_SECONDS):
            for pk in job_ids:
                GenerationJob.objects.filter(pk=pk).update(
                    progress_percentage=Least(F("progress_percentage") + 0.5, 99.0)
                )
    finally:
        connection.close()


def saturate(port: int, pick, seconds: float) -> tuple[float, int, int]:
    """Requests/s from CLIENTS closed-loop threads; returns (rps, done, failed)."""
    stop = time.monotonic() + seconds
    done = [0] * CLIENTS
    failed = [0] * CLIENTS

    def run(i: int) -> None:
        rng = random.Random(i)
        while time.monotonic() < stop:
            page, path, headers = pick(rng, i)
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            try:
                conn.request("GET", path, headers={"X-Forwarded-Proto": "https", **headers})
                response = conn.getresponse()
                response.read()
                if response.status == 200:
                    done[i] += 1
                else:
                    failed[i] += 1
            except OSError:
                failed[i] += 1
            finally:
                conn.close()

    started = time.monotonic()
    threads = [threading.Thread(target=run, args=(i,)) for i in range(CLIENTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - started
    return sum(done) / elapsed, sum(done), sum(failed)


def one_at_a_time(port: int, account: dict, pages) -> dict[str, float]:
    """Each page's own latency: one request at a time, none queued behind another."""
    found = {}
    for page, path, headers in pages:
        times = []
        for _ in range(41):
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            sent = time.perf_counter()
            conn.request(
                "GET",
                path,
                headers={"X-Forwarded-Proto": "https", "Cookie": account["cookie"], **dict(headers)},
            )
            conn.getresponse().read()
            times.append(time.perf_counter() - sent)
            conn.close()
        found[page] = statistics.median(times[1:])  # the first builds the page
    return found


def main() -> int:
    import django

    SCRATCH.create()
    procs = Processes()
    tmp = Path(tempfile.mkdtemp(prefix="nf-mix-"))
    stop_progress = threading.Event()
    progress = None
    try:
        django.setup()
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        call_command("collectstatic", interactive=False, verbosity=0)
        started = time.perf_counter()
        accounts = seed()
        from django.db import connections

        connections.close_all()
        seconds = time.perf_counter() - started
        print(f"Seeded {len(accounts)} writers in {seconds:.0f} s (engine-written text)")
        port = free_port()
        start_gunicorn(procs, port=port, workers=WORKERS, log=tmp / "gunicorn.log")
        mixes = [mix_for(a) for a in accounts]

        def trivial(rng, i):
            return "trivial", "/bench/ping/", {"Cookie": accounts[i % len(accounts)]["cookie"]}

        def mix(rng, i):
            account = accounts[i % len(accounts)]
            page, path, headers = rng.choice(mixes[i % len(accounts)])
            return page, path, {"Cookie": account["cookie"], **headers}

        def health(rng, i):
            return "healthz", "/healthz", {}

        print(f"gunicorn {WORKERS} sync workers (production settings) on :{port}; {CLIENTS} client threads, "
              f"{SECONDS:.0f} s each:")  # fmt: skip
        progress = threading.Thread(target=write_progress, args=([a["job"] for a in accounts], stop_progress))
        progress.start()
        saturate(port, mix, WARM_SECONDS)  # warm: each worker builds each page once (kept afterwards)
        results = {}
        for label, pick in (("trivial signed-in view", trivial), ("page mix", mix), ("/healthz", health)):
            rps, done, failed = saturate(port, pick, SECONDS)
            results[label] = (rps, failed)
            print(f"  {label:24s} {rps:8.1f} req/s  ({done} ok, {failed} failed)", flush=True)
        print("  one client at a time (nothing queued), median of 40 requests per page:")
        alone = one_at_a_time(port, accounts[0], [("trivial", "/bench/ping/", {}), *dict.fromkeys(
            (page, path, tuple(headers.items())) for page, path, headers in mixes[0])])  # fmt: skip
        for page, seconds in alone.items():
            print(f"      {page:24s} {seconds * 1000:6.1f} ms  ({seconds / alone['trivial']:.1f}x trivial)")
        ratio = results["page mix"][0] / results["trivial signed-in view"][0]
        failed = sum(f for _, f in results.values())
        ok = ratio >= 0.5 and failed == 0
        print(f"| page mix vs trivial signed-in view | {results['page mix'][0]:.0f} / "
              f"{results['trivial signed-in view'][0]:.0f} req/s = {ratio:.2f} | >= 0.5"
              f"{'' if ok else '  MISSED'} |")  # fmt: skip
        return 0 if ok else 1
    finally:
        stop_progress.set()
        if progress is not None:
            progress.join()
        procs.stop_all(grace=20)
        try:
            from django.db import connections

            connections.close_all()
        except Exception:  # noqa: BLE001 - django may not be set up
            pass
        SCRATCH.drop()


if __name__ == "__main__":
    sys.exit(main())
