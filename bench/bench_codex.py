"""Benchmark the codex section of the drafting prompts; prints the figures quoted for issue 16 item 6.

Run from the repository root:  .venv/bin/python bench/bench_codex.py

A 100,000-word novel through the openai backend against the local test server,
its brief carrying a project codex of 240 entries (120 characters, 60 places,
60 lore entries, with aliases and descriptions), as world_for_project gives it.
Prints the prompt tokens of the third and the last segment's drafting prompt
(must stay within 1.25x: the codex part is bounded like every other part), the
largest codex section in tokens (must be <= CODEX_TOKENS), and how many
drafting prompts carried a codex section. Exits non-zero on a miss.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _codex() -> list[dict]:
    entries = []
    for i in range(120):
        entries.append(
            {
                "kind": "character",
                "name": f"Person {i:03d}",
                "aliases": [f"P{i:03d}"],
                "role": "sailor",
                "description": "Weathered, patient, speaks in short sentences; " * 3,
                "relationships": f"Person {(i + 1) % 120:03d}: cousin",
            }
        )
    entries += [
        {"kind": "place", "name": f"Harbour {i:02d}", "description": "Grey stone quays. " * 5}
        for i in range(60)
    ]
    entries += [
        {"kind": "lore", "name": f"Rule {i:02d}", "description": "The tide is never named aloud. " * 4}
        for i in range(60)
    ]
    return entries


def main() -> int:
    from jobs.pipeline import Brief, EngineConfig, get_backend, run_pipeline
    from jobs.pipeline.codex import CODEX_TOKENS
    from jobs.pipeline.connection import Connection
    from jobs.pipeline.testing import FakeChatServer
    from jobs.pipeline.text import estimate_tokens

    brief = Brief.from_dict(
        {
            "production_type": "novel",
            "genre": "fantasy",
            "inspiration": "The lighthouse keeper is called Mira Vell; a storm is coming to Ketha.",
            "target_words": 100_000,
            "world": {
                "world": {"name": "Ketha", "locations": [{"name": "Harbour 00", "description": "Grey."}]},
                "characters": [
                    {"name": "Person 000", "role": "sailor"},
                    {"name": "Person 001", "role": "sailor"},
                ],
                "codex": _codex(),
            },
        }
    )
    with FakeChatServer() as server:
        config = EngineConfig(
            connection=Connection(base_url=server.base_url, api_key=server.api_key),
            request_timeout=30,
            backoff_base=0.01,
        )
        started = time.perf_counter()
        result = run_pipeline(brief, backend=get_backend("openai", config), config=config)
        elapsed = time.perf_counter() - started
        prompts = [
            r["messages"][-1]["content"]
            for r in server.requests
            if r["messages"][-1]["content"].startswith("STORY BIBLE")
        ]
    firsts: dict[int, object] = {}
    for c in result.model_calls:
        if c.stage == "sequential_generation" and c.segment not in firsts:
            firsts[c.segment] = c
    drafts = [firsts[k] for k in sorted(firsts)]
    third, last = drafts[2].prompt_tokens, drafts[-1].prompt_tokens
    sections = [p.split("CODEX (", 1)[1].split("\n\n", 1)[0] for p in prompts if "\nCODEX (" in p]
    largest = max((estimate_tokens(s.split("\n", 1)[1]) for s in sections), default=0)
    linear = last / third
    print(f"codex entries in the brief      {len(brief.world['codex'])}")
    print(f"segments drafted                {len(drafts)}  ({elapsed:.1f} s)")
    print(f"drafting prompts with a codex   {len(sections)} of {len(prompts)}")
    print(f"largest codex section tokens    {largest}  (must be <= {CODEX_TOKENS})")
    print(f"3rd segment prompt tokens       {third:,}")
    print(f"last segment prompt tokens      {last:,}  (ratio {linear:.2f}; must be <= 1.25)")
    missed = []
    if linear > 1.25:
        missed.append("the last drafting prompt grew past 1.25x the third")
    if largest > CODEX_TOKENS:
        missed.append("a codex section exceeded its budget")
    if not sections:
        missed.append("no drafting prompt carried the codex")
    for miss in missed:
        print(f"MISSED: {miss}")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
