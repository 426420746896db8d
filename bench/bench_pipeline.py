"""Benchmark the generation engine; prints the figures quoted in issues 3 and 14.

Run from the repository root:  .venv/bin/python bench/bench_pipeline.py [--offline-only]

* offline engine, English and Polish: wall time and peak memory for a short
  story, a novella, a 100,000-word novel and a 500,000-word saga, each in a
  fresh process on one core so peak RSS is per run; words/s (time is linear in
  length); the share of sentences (5+ words) that repeat and the most repeated
  sentence's count per 10,000 words. Exits non-zero when the 100k novel takes
  3 s or more or 150 MB or more, or any run repeats more than 3 % of its
  sentences or one sentence more than 4 times per 10,000 words.
* openai backend against the local test server: prompt tokens of the third
  and last segment's drafting prompt (must stay within 1.25x: memory is
  bounded) and total prompt vs completion tokens (must stay <= 1.0) for a
  100,000-word novel; exits non-zero on a miss.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

OFFLINE_CASES = [
    ("short story", "short_story", 7_500),
    ("novella", "novella", 25_000),
    ("novel", "novel", 100_000),
    ("saga", "epic_saga", 500_000),
]
INSPIRATION = {
    "en": "The lighthouse keeper is called Mira Vell; her estranged brother Tomas is a smuggler. "
    "A storm is coming to the island of Ketha.",
    "pl": "Latarniczka Jadwiga Żmuda przewozi listy przez Wisłę. "
    "Syn nazywa się Kazimierz i chce wyjechać do Gdańska.",
}
NOVEL_SECONDS, NOVEL_MB, MAX_SHARE, MAX_PER_10K = 3.0, 150.0, 0.03, 4.0


def _brief(ptype: str, words: int, language: str = "en"):
    from jobs.pipeline import Brief

    return Brief.from_dict(
        {
            "production_type": ptype,
            "genre": "fantasy",
            "target_words": words,
            "language": language,
            "inspiration": INSPIRATION[language],
        }
    )


def offline_child(ptype: str, words: int, language: str) -> None:
    """Runs inside a fresh process: one pipeline, then report as JSON."""
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core
    from jobs.pipeline import get_backend, run_pipeline
    from jobs.pipeline.measures import sentence_repeats

    brief = _brief(ptype, words, language)
    started, cpu_started = time.perf_counter(), time.process_time()
    result = run_pipeline(brief, backend=get_backend("offline"))
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    share, top, sentence = sentence_repeats(result.text)
    titles = [c["title"] for c in result.metadata["chapters"]]
    print(
        json.dumps(
            {
                "seconds": elapsed,
                "cpu": cpu,
                "peak_mb": peak_kb / 1024,
                "words": result.word_count,
                "score": result.overall_quality_score,
                "share": share,
                "top": top,
                "sentence": sentence[:60],
                "titles": f"{len(set(titles))}/{len(titles)}",
            }
        )
    )


def bench_offline() -> list[str]:
    misses = []
    print("Offline engine (fresh process per run, one core)")
    print(
        f"{'case':<15}{'target':>9}{'words':>9}{'wall s':>8}{'cpu s':>7}{'words/s':>9}{'peak MB':>9}"
        f"{'score':>7}{'repeats':>9}{'top/10k':>8}{'titles':>9}  most repeated sentence"
    )
    for language in ("en", "pl"):
        for label, ptype, words in OFFLINE_CASES:
            out = subprocess.run(
                [sys.executable, __file__, "--child", ptype, str(words), language],
                capture_output=True,
                text=True,
                check=True,
                cwd=ROOT,
            )
            r = json.loads(out.stdout.strip().splitlines()[-1])
            print(
                f"{language + ' ' + label:<15}{words:>9,}{r['words']:>9,}{r['seconds']:>8.2f}{r['cpu']:>7.2f}"
                f"{r['words'] / r['cpu']:>9,.0f}{r['peak_mb']:>9.0f}{r['score']:>7.2f}{r['share']:>9.2%}"
                f"{r['top']:>8.1f}{r['titles']:>9}  {r['sentence']}"
            )
            # CPU time is what the one core spent: on a shared, loaded machine wall time includes waiting.
            if ptype == "novel" and (r["cpu"] >= NOVEL_SECONDS or r["peak_mb"] >= NOVEL_MB):
                misses.append(f"{language} 100k novel: {r['cpu']:.2f} s CPU, {r['peak_mb']:.0f} MB")
            if r["share"] > MAX_SHARE or r["top"] > MAX_PER_10K:
                misses.append(f"{language} {label}: {r['share']:.2%} repeats, top {r['top']:.1f}/10k")
    print(
        f"targets: 100k novel < {NOVEL_SECONDS:.0f} s CPU and < {NOVEL_MB:.0f} MB on one core; "
        f"repeats <= {MAX_SHARE:.0%}; no sentence > {MAX_PER_10K:.0f} times per 10,000 words"
    )
    return misses


def bench_openai() -> bool:
    from jobs.pipeline import EngineConfig, get_backend, run_pipeline
    from jobs.pipeline.connection import Connection
    from jobs.pipeline.testing import FakeChatServer

    print("\nopenai backend against the local test server, 100,000-word novel")
    with FakeChatServer() as server:
        config = EngineConfig(
            connection=Connection(base_url=server.base_url, api_key=server.api_key),
            request_timeout=30,
            backoff_base=0.01,
        )
        started = time.perf_counter()
        result = run_pipeline(_brief("novel", 100_000), backend=get_backend("openai", config), config=config)
        elapsed = time.perf_counter() - started
    # The first drafting call of each segment (continuations and extensions are separate, smaller calls).
    firsts: dict[int, object] = {}
    for c in result.model_calls:
        if c.stage == "sequential_generation" and c.segment not in firsts:
            firsts[c.segment] = c
    drafts = [firsts[k] for k in sorted(firsts)]
    prompt = sum(c.prompt_tokens for c in result.model_calls)
    completion = sum(c.completion_tokens for c in result.model_calls)
    third, last = drafts[2].prompt_tokens, drafts[-1].prompt_tokens
    linear, economy = last / third, prompt / completion
    revisions = result.metadata["coherence"].get("revisions", [])
    print(f"segments drafted           {len(drafts)}  ({len(result.model_calls)} calls, {elapsed:.1f} s)")
    print(f"coherence revisions        {len(revisions)}")
    print(f"3rd segment prompt tokens  {third:,}")
    print(f"last segment prompt tokens {last:,}  (ratio {linear:.2f}; must be <= 1.25)")
    print(f"total prompt tokens        {prompt:,}")
    print(f"total completion tokens    {completion:,}  (prompt/completion {economy:.2f}; must be <= 1.0)")
    print(
        f"cost at default prices     ${result.cost_usd:.2f}  "
        f"(mini ${result.usage_by_tier['mini']['cost_usd']:.4f}, "
        f"gpt4 ${result.usage_by_tier['gpt4']['cost_usd']:.2f})"
    )
    return linear <= 1.25 and economy <= 1.0


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "--child":
        offline_child(sys.argv[2], int(sys.argv[3]), sys.argv[4])
    else:
        missed = bench_offline()
        if "--offline-only" not in sys.argv and not bench_openai():
            missed.append("a token-economy target of the openai backend (see above)")
        for miss in missed:
            print(f"MISSED: {miss}")
        sys.exit(1 if missed else 0)
