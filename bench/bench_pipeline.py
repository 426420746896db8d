"""Benchmark the generation engine; prints the figures quoted in issue 3.

Run from the repository root:  .venv/bin/python bench/bench_pipeline.py

* offline engine: wall time and peak memory for a short story, a novella, a
  100,000-word novel and a 500,000-word saga, each in a fresh process on one
  core so peak RSS is per run; plus words/s to show time is linear in length.
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


def _brief(ptype: str, words: int):
    from jobs.pipeline import Brief

    return Brief.from_dict(
        {
            "production_type": ptype,
            "genre": "fantasy",
            "target_words": words,
            "inspiration": "A cartographer discovers that the maps she draws change the land itself.",
        }
    )


def offline_child(ptype: str, words: int) -> None:
    """Runs inside a fresh process: one pipeline, then report as JSON."""
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core
    from jobs.pipeline import get_backend, run_pipeline

    brief = _brief(ptype, words)
    started = time.perf_counter()
    result = run_pipeline(brief, backend=get_backend("offline"))
    elapsed = time.perf_counter() - started
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    print(
        json.dumps(
            {
                "seconds": elapsed,
                "peak_mb": peak_kb / 1024,
                "words": result.word_count,
                "score": result.overall_quality_score,
            }
        )
    )


def bench_offline() -> None:
    print("Offline engine (fresh process per run, one core)")
    print(f"{'case':<12}{'target':>9}{'words':>9}{'time s':>9}{'words/s':>10}{'peak RSS MB':>13}{'score':>7}")
    for label, ptype, words in OFFLINE_CASES:
        out = subprocess.run(
            [sys.executable, __file__, "--child", ptype, str(words)],
            capture_output=True,
            text=True,
            check=True,
            cwd=ROOT,
        )
        r = json.loads(out.stdout.strip().splitlines()[-1])
        print(
            f"{label:<12}{words:>9,}{r['words']:>9,}{r['seconds']:>9.2f}{r['words'] / r['seconds']:>10,.0f}"
            f"{r['peak_mb']:>13.0f}{r['score']:>7.2f}"
        )


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
    if len(sys.argv) == 4 and sys.argv[1] == "--child":
        offline_child(sys.argv[2], int(sys.argv[3]))
    else:
        bench_offline()
        if not bench_openai():
            print("MISSED: a token-economy target (see above)")
            sys.exit(1)
