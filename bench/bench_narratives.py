"""Narratives performance: library, reader and exports, on a scratch database.

Run (any PostgreSQL the user may create databases on):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/narraforge .venv/bin/python bench/bench_narratives.py
    make bench     # every bench/bench_*.py, embedded PostgreSQL when DATABASE_URL is unset

It creates ``test_<database name>`` (Django's test-database machinery: created,
migrated, dropped at the end), so the database named in DATABASE_URL is never
touched. Prints server time and query counts and exits 1 if a target is missed:

* library page with 10,000 narratives for one user: < 100 ms, constant queries
* reader opening a 150,000-word narrative: < 300 ms
* EPUB and DOCX of a 120,000-word novel: < 5 s each; PDF: < 30 s
"""

from __future__ import annotations

import os
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ["DJANGO_SETTINGS_MODULE"] = "narraforge.test_settings"
os.environ["DEBUG"] = "0"  # measure as production runs: no query log, no debug toolbar

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402
from django.urls import reverse  # noqa: E402

LIBRARY_SIZE = 10_000
READER_WORDS = 150_000
EXPORT_WORDS = 120_000
RUNS = 15

rng = random.Random(2024)
_SYLLABLES = ["ka", "mar", "to", "ren", "sa", "li", "wo", "ża", "łu", "ści", "gra", "del", "ve", "ßa", "ou"]
VOCAB = ["".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(1, 4))) for _ in range(6000)]
COMMON = ["the", "and", "a", "of", "to", "in", "she", "he", "was", "it"]


def prose(words: int, *, chapter_words: int = 3000, para_words: int = 90) -> str:
    chapters, done, number = [], 0, 0
    while done < words:
        number += 1
        size = min(chapter_words, words - done)
        paras, left = [], size
        while left > 0:
            n = min(para_words, left)
            ws = [rng.choice(COMMON) if rng.random() < 0.4 else rng.choice(VOCAB) for _ in range(n)]
            paras.append(" ".join(ws).capitalize() + ".")
            left -= n
        chapters.append(f"## Chapter {number}: {rng.choice(VOCAB).capitalize()}\n\n" + "\n\n".join(paras))
        done += size
    return "\n\n".join(chapters) + "\n"


def metadata(chapters: int = 0) -> dict:
    return {
        "engine": "offline",
        "language": rng.choice(["en", "en", "pl"]),
        "world": {
            "name": "Bench",
            "laws": ["x"],
            "boundaries": [],
            "locations": [],
            "core_conflict": "c",
            "theme": "t",
        },
        "characters": [{"name": "A", "role": "protagonist", "goal": "g", "arc": "a"}],
        "structure": {"structure": "three_act", "acts": []},
        "chapters": [
            {"index": i, "title": f"Chapter {i}", "word_count": 3000} for i in range(1, chapters + 1)
        ],
        "quality_metrics": {"coherence": {"value": 0.8, "explanation": "ok"}},
    }


def timed(fn, runs: int = RUNS) -> tuple[float, object]:
    times, result = [], None
    for _ in range(runs):
        started = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


def main() -> int:
    from accounts.models import User
    from narratives.exports import export_narrative
    from narratives.models import Narrative
    from projects.models import Project

    user = User.objects.create_user(email="bench@example.com", password="bench-password-123")
    projects = [Project.objects.create(user=user, name=f"Project {i}") for i in range(5)]

    print(f"Creating {LIBRARY_SIZE:,} narratives…", flush=True)
    started = time.perf_counter()
    batch, previous = [], None
    genres = ["fantasy", "scifi", "horror", "thriller", "mystery", "drama", "romance", "hybrid"]
    for i in range(LIBRARY_SIZE):
        text = prose(rng.randint(300, 900), chapter_words=300)
        n = Narrative(
            user=user,
            project=rng.choice(projects),
            title=f"Narrative {i} {rng.choice(VOCAB)}",
            production_type=rng.choice(["short_story", "novella", "novel", "epic_saga"]),
            genre=rng.choice(genres),
            narrative_text=text,
            word_count=len(text.split()),
            metadata=metadata(),
            overall_quality_score=rng.random(),
            generation_cost_usd=0.0,
            tokens_used=1000,
        )
        if previous is not None and i % 4:  # chains of versions, so "latest only" has work to do
            n.parent_narrative_id, n.version = previous.pk, (previous.version or 1) + 1
        previous = n if i % 4 != 3 else None
        batch.append(n)
        if len(batch) == 500:
            Narrative.objects.bulk_create(batch)
            batch = []
    Narrative.objects.bulk_create(batch)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE narratives")
    print(f"  done in {time.perf_counter() - started:.1f}s")

    client = Client()
    client.force_login(user)
    failures: list[str] = []
    library = reverse("narratives:library")
    print(f"\nLibrary page, {LIBRARY_SIZE:,} narratives, median of {RUNS} (server time in-process):")
    variants = {
        "default (newest)": {},
        "latest only, by quality": {"latest": "on", "sort": "quality"},
        "genre + type filter, by words": {"genre": "horror", "production_type": "novel", "sort": "words"},
        "full-text search": {"q": VOCAB[5]},
        "page 200": {"page": "200"},
        "htmx results only": {"q": VOCAB[7], "latest": "on"},
    }
    counts = set()
    for label, params in variants.items():
        headers = {"HX-Request": "true", "HX-Target": "library-results"} if "htmx" in label else {}
        client.get(library, params, headers=headers)  # warm
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(library, params, headers=headers)
        queries = len(ctx.captured_queries)  # read now: later requests reset the query log
        assert response.status_code == 200, response.status_code
        seconds, _ = timed(lambda p=params, h=headers: client.get(library, p, headers=h))
        counts.add(queries)
        ok = seconds < 0.100
        failures += [] if ok else [f"library {label}: {seconds * 1000:.0f} ms"]
        total = response.context["page"].paginator.count if response.context else "?"
        print(
            f"  {label:32s} {seconds * 1000:7.1f} ms  {queries:2d} queries  "
            f"({total} matches) {'ok' if ok else 'SLOW'}"
        )
    # Constant: the same number of queries for 1 narrative as for 10,000.
    other = User.objects.create_user(email="bench-small@example.com", password="bench-password-123")
    Narrative.objects.create(
        user=other,
        title="Only one",
        production_type="novel",
        genre="drama",
        narrative_text="## One\n\nText.",
        word_count=1,
        metadata=metadata(),
        generation_cost_usd=0,
        tokens_used=0,
    )
    small = Client()
    small.force_login(other)
    small.get(library)
    with CaptureQueriesContext(connection) as ctx:
        small.get(library)
    print(
        f"  query count with 1 narrative: {len(ctx.captured_queries)}; with {LIBRARY_SIZE:,}: "
        f"{sorted(counts)}"
    )
    if len(ctx.captured_queries) not in counts:
        failures.append("library query count depends on the number of narratives")

    print(f"\nReader, {READER_WORDS:,}-word narrative, median of {RUNS}:")
    text = prose(READER_WORDS)
    big = Narrative.objects.create(
        user=user,
        title="The Long Road",
        production_type="epic_saga",
        genre="fantasy",
        narrative_text=text,
        word_count=READER_WORDS,
        metadata=metadata(READER_WORDS // 3000),
        generation_cost_usd=1.23,
        tokens_used=250_000,
    )
    detail = reverse("narratives:detail", args=[big.pk])
    client.get(detail)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(detail)
    queries = len(ctx.captured_queries)
    seconds, _ = timed(lambda: client.get(detail))
    ok = seconds < 0.300
    failures += [] if ok else [f"reader: {seconds * 1000:.0f} ms"]
    print(
        f"  GET reader {'':21s} {seconds * 1000:7.1f} ms  {queries:2d} queries  "
        f"{len(response.content) / 1e6:.1f} MB HTML {'ok' if ok else 'SLOW'}"
    )

    print(f"\nExports, {EXPORT_WORDS:,}-word novel (40 chapters), best of 3:")
    novel = Narrative.objects.create(
        user=user,
        title="Zażółć gęślą jaźń — Die Straße",
        production_type="novel",
        genre="drama",
        narrative_text=prose(EXPORT_WORDS),
        word_count=EXPORT_WORDS,
        metadata=metadata(40),
        generation_cost_usd=0.5,
        tokens_used=160_000,
    )
    for fmt, limit in (("txt", 5), ("md", 5), ("epub", 5), ("docx", 5), ("pdf", 30)):
        runs = []
        for _ in range(3 if fmt != "pdf" else 1):
            started = time.perf_counter()
            data, _, _ = export_narrative(novel, fmt)
            runs.append(time.perf_counter() - started)
        seconds = min(runs)
        ok = seconds < limit
        failures += [] if ok else [f"{fmt} export: {seconds:.1f} s"]
        verdict = "ok" if ok else "SLOW"
        print(f"  {fmt:5s} {seconds:7.2f} s  {len(data) / 1e6:6.2f} MB  (limit {limit} s) {verdict}")

    print()
    if failures:
        print("MISSED TARGETS: " + "; ".join(failures))
        return 1
    print("All narrative targets met.")
    return 0


if __name__ == "__main__":
    setup_test_environment()
    db_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    print(f"Scratch database: {db_name}")
    try:
        code = main()
    finally:
        connection.creation.destroy_test_db(db_name, verbosity=0)
    sys.exit(code)
