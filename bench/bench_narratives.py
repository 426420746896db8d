"""Narratives performance on engine-written text: search, reader, counters, exports (issue 18).

Run (any PostgreSQL the user may create databases on):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/narraforge .venv/bin/python bench/bench_narratives.py
    make bench     # every bench/bench_*.py, embedded PostgreSQL when DATABASE_URL is unset

It creates ``test_<database name>`` (Django's test-database machinery: created,
migrated, dropped at the end), so the database named in DATABASE_URL is never
touched. Text comes from the real offline engine, cached under var/bench-corpus/
(bench/corpus.py). Times are server time in-process (Django test client,
DEBUG off), medians; ratios are taken within this one run. Exits 1 if a
target is missed:

* library search at 12 / 60 / 2,000 narratives: ≤ 2× the same page without a query
* the reader of a 100k-word version (warm: rendered once): ≤ 3× the dashboard
* a counter update on a 100k-word narrative: < 2 ms, HOT
* TXT and MD of a 500k-word saga: < 100 ms (they stay in the request)
* EPUB / DOCX / PDF requests: < 100 ms (the worker renders); job times are printed
* DOCX linear: 500k words take ≤ 6× the time of 120k words

``NF_BENCH_ONLY=search`` runs the library search part alone (the samples it needs, then the
summary); unset, everything runs.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ["DJANGO_SETTINGS_MODULE"] = "narraforge.test_settings"
os.environ["DEBUG"] = "0"  # measure as production runs: no query log, no debug toolbar
# What building each page costs: a page opened again comes from narraforge.pagecache, which
# bench_pagemix.py measures in the product's own mix.
os.environ["NF_PAGE_CACHE_SECONDS"] = "0"

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402
from django.urls import reverse  # noqa: E402

from bench.corpus import engine_narrative, narrative_fields  # noqa: E402

RUNS = int(os.environ.get("NF_BENCH_RUNS", "9"))
ONLY = os.environ.get("NF_BENCH_ONLY", "")  # "search": the library search part alone
LIBRARIES = (12, 60, 2000)
failures: list[str] = []
table: list[tuple[str, str, str]] = []  # (what, figure, target) for the closing summary


def median_seconds(fn, runs: int = RUNS) -> float:
    fn()  # warm
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def paired_medians(fn_a, fn_b, runs: int = RUNS) -> tuple[float, float]:
    """Medians of two measurements taken alternately, so a shared machine's load hits both alike."""
    fn_a(), fn_b()  # warm
    a, b = [], []
    for _ in range(runs):
        for fn, out in ((fn_a, a), (fn_b, b)):
            started = time.perf_counter()
            fn()
            out.append(time.perf_counter() - started)
    return statistics.median(a), statistics.median(b)


def check(what: str, ok: bool, figure: str, target: str) -> None:
    table.append((what, figure, target + ("" if ok else "  MISSED")))
    print(f"  {what:46s} {figure:>28s}  {target}{'' if ok else '  MISSED'}", flush=True)
    if not ok:
        failures.append(f"{what}: {figure} ({target})")


def samples() -> dict[str, dict]:
    print("Engine-written text (cached in var/bench-corpus/):", flush=True)
    out = {
        "short_en": engine_narrative("short_story", 7_500),
        "short_pl": engine_narrative("short_story", 7_500, language="pl", genre="drama"),
        "novella_en": engine_narrative("novella", 25_000, genre="mystery"),
        "novel_en": engine_narrative("novel", 100_000),
        "novel_pl": engine_narrative("novel", 100_000, language="pl", genre="drama"),
    }
    if ONLY != "search":  # the exports' long texts
        out["novel120_en"] = engine_narrative("novel", 120_000, genre="scifi")
        out["saga_en"] = engine_narrative("epic_saga", 500_000)
    for key, s in out.items():
        print(
            f"  {key:12s} {s['word_count']:>8,} words  {s['text'].count(chr(10) * 2):>6,} paragraphs",
            flush=True,
        )
    return out


def build_library(user, size: int, corpus: dict[str, dict]) -> None:
    """``size`` narratives for one user; small libraries hold novels (the slow case of the issue)."""
    from narratives.models import Narrative
    from narratives.services import narrative_search_lemmatise

    if size <= 60:
        cycle = ["short_en", "novel_en", "short_pl", "novella_en", "novel_pl", "short_en"]
    else:  # a big library of mostly short pieces, a novel every 100
        cycle = ["short_en"] * 48 + ["short_pl"] * 50 + ["novella_en", "novel_en"]
    batch = []
    for i in range(size):
        sample = corpus[cycle[i % len(cycle)]]
        batch.append(Narrative(user=user, **narrative_fields(sample, title=f"{sample['title']} ({i + 1})")))
        if len(batch) == 100:
            Narrative.objects.bulk_create(batch)
            batch = []
    Narrative.objects.bulk_create(batch)
    for pk in Narrative.objects.filter(user=user, metadata__language="pl").values_list("pk", flat=True):
        narrative_search_lemmatise(narrative_id=pk)


def bench_search(corpus) -> None:
    from accounts.models import User
    from narratives.models import Narrative

    print("\nLibrary search vs the same page without a query (median of runs):", flush=True)
    words_en = "ferrywoman river"
    words_pl = "przewoźniczki rzeką"  # inflected: the text has other forms of both
    for size in LIBRARIES:
        user = User.objects.create_user(email=f"lib{size}@example.com", password="bench-password-123")
        started = time.perf_counter()
        build_library(user, size, corpus)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE narratives; ANALYZE narrative_search")
        built = time.perf_counter() - started
        client = Client()
        client.force_login(user)
        url = reverse("narratives:library")
        for label, q in (("en", words_en), ("pl", words_pl)):
            response = client.get(url, {"q": q})
            assert response.status_code == 200
            found = response.context["page"].paginator.count
            plain, searched = paired_medians(
                lambda c=client, u=url: c.get(u),
                lambda c=client, u=url, q=q: c.get(u, {"q": q}),
                runs=RUNS * 2,
            )
            with CaptureQueriesContext(connection) as ctx:
                client.get(url, {"q": q})
            ratio = searched / plain
            check(
                f"search {size:>5,} narratives ({label}: {q!r})",
                ratio <= 2.0 and found > 0,
                f"{searched * 1000:6.1f} ms / {plain * 1000:5.1f} ms = {ratio:.2f}x",
                f"<= 2x, {found} found, {len(ctx.captured_queries)} queries",
            )
        print(
            f"    (library of {size:,} built in {built:.0f} s; "
            f"{Narrative.objects.filter(user=user).count():,} rows)",
            flush=True,
        )


def bench_reader(corpus) -> None:
    from accounts.models import User
    from narratives.models import Narrative

    print("\nReader of a 100k-word version vs the dashboard:", flush=True)
    user = User.objects.create_user(email="reader@example.com", password="bench-password-123")
    novel = Narrative.objects.create(user=user, **narrative_fields(corpus["novel_en"]))
    for i in range(5):
        Narrative.objects.create(user=user, **narrative_fields(corpus["short_en"], title=f"Short {i}"))
    client = Client()
    client.force_login(user)
    detail = reverse("narratives:detail", args=[novel.pk])
    started = time.perf_counter()
    first = client.get(detail)
    cold = time.perf_counter() - started
    assert first.status_code == 200
    dashboard, reader = paired_medians(lambda: client.get("/"), lambda: client.get(detail), runs=RUNS * 2)
    ratio = reader / dashboard
    check(
        "reader 100k words (warm) vs dashboard",
        ratio <= 3.0,
        f"{reader * 1000:6.1f} ms / {dashboard * 1000:5.1f} ms = {ratio:.2f}x",
        f"<= 3x; first open {cold * 1000:.0f} ms, {len(first.content) / 1024:.0f} KiB",
    )
    return user, novel


def bench_counter(user, novel) -> None:
    from accounts.models import User
    from narratives.services import narrative_record_download, narrative_record_view

    print("\nCounters on a 100k-word narrative:", flush=True)
    reader = User.objects.create_user(email="someone-else@example.com", password="bench-password-123")

    def hot_updates() -> int:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_stat_force_next_flush()")
            cursor.execute("SELECT n_tup_hot_upd FROM pg_stat_user_tables WHERE relname = 'narratives'")
            return cursor.fetchone()[0]

    before = hot_updates()
    view = median_seconds(
        lambda: narrative_record_view(narrative=novel, viewer=reader, method="GET"), runs=50
    )
    download = median_seconds(lambda: narrative_record_download(narrative=novel, fmt="txt"), runs=50)
    hot = hot_updates() - before
    check("view counter update", view < 0.002, f"{view * 1000:6.2f} ms", f"< 2 ms ({hot} of 102 updates HOT)")
    check("download counter update", download < 0.002, f"{download * 1000:6.2f} ms", "< 2 ms")


def bench_exports(corpus) -> None:
    from accounts.models import User
    from narratives.export_services import narrative_export_render
    from narratives.models import Narrative, NarrativeExport

    print(
        "\nExports (request time in the web process; job time = the worker's render, once each):", flush=True
    )
    user = User.objects.create_user(
        email="exports@example.com", password="bench-password-123", full_name="Ada Bench"
    )
    client = Client()
    client.force_login(user)
    docx_seconds = {}
    novella = Narrative.objects.create(user=user, **narrative_fields(corpus["novella_en"]))
    for fmt in ("txt", "md"):
        url = reverse("narratives:download", args=[novella.pk, fmt])
        seconds = median_seconds(lambda u=url: client.get(u), runs=5)
        check(
            f"{fmt.upper()} of a {novella.word_count:,}-word novella, in the request",
            seconds < 0.1,
            f"{seconds * 1000:6.1f} ms",
            "< 100 ms (longer ones: the worker)",
        )
    for key, label in (("novel120_en", "120k"), ("saga_en", "500k")):
        narrative = Narrative.objects.create(user=user, **narrative_fields(corpus[key]))
        words = narrative.word_count
        for fmt in ("docx", "pdf") if label == "120k" else ("txt", "docx", "pdf"):
            url = reverse("narratives:export", args=[narrative.pk, fmt])
            started = time.perf_counter()
            response = client.post(url)
            page = client.get(url)
            request = time.perf_counter() - started
            assert response.status_code == 302 and b"Preparing" in page.content, page.content[:200]
            export = NarrativeExport.objects.get(narrative=narrative, fmt=fmt)
            started = time.perf_counter()
            done = narrative_export_render(export_id=export.pk, attempt=export.attempt)
            job = time.perf_counter() - started
            assert done is not None and done.status == "ready", done and done.error
            served = median_seconds(
                lambda n=narrative, f=fmt: client.get(reverse("narratives:download", args=[n.pk, f])), runs=3
            )
            if fmt == "docx":
                docx_seconds[label] = job
            check(
                f"{fmt.upper()} {label} ({words:,} words): request / job",
                request < 0.1,
                f"{request * 1000:5.0f} ms / {job:6.1f} s",
                f"request < 100 ms; {done.size_bytes / 1e6:.1f} MB served in {served * 1000:.0f} ms",
            )
    ratio = docx_seconds["500k"] / docx_seconds["120k"]
    check("DOCX 500k / 120k job time (linear ~4.2x)", ratio <= 6.0, f"{ratio:.1f}x", "<= 6x")


def main() -> int:
    corpus = samples()
    bench_search(corpus)
    if ONLY != "search":
        user, novel = bench_reader(corpus)
        bench_counter(user, novel)
        if os.environ.get("NF_BENCH_SKIP_EXPORTS") != "1":
            bench_exports(corpus)
    print("\nSummary (one run):")
    for what, figure, target in table:
        print(f"| {what} | {figure.strip()} | {target} |")
    if failures:
        print("\nMISSED TARGETS: " + "; ".join(failures))
        return 1
    print("\nAll narrative targets met.")
    return 0


if __name__ == "__main__":
    import tempfile

    from django.conf import settings

    setup_test_environment()
    settings.ALLOWED_HOSTS = ["testserver"]
    exports_dir = tempfile.mkdtemp(prefix="nf-bench-exports-")
    settings.STORAGES = {
        **settings.STORAGES,
        "exports": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": exports_dir},
        },
    }
    # Its own scratch name, so a test run on the same server is not disturbed.
    connection.settings_dict.setdefault("TEST", {})["NAME"] = f"bench_{connection.settings_dict['NAME']}"
    db_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    print(f"Scratch database: {db_name}")
    try:
        code = main()
    finally:
        connection.creation.destroy_test_db(db_name, verbosity=0)
        import shutil

        shutil.rmtree(exports_dir, ignore_errors=True)
    sys.exit(code)
