"""A 5,000-word short story through a real llama.cpp server (llama-cpp-python + SmolLM2-135M).

Run from the repository root after `make llm-server`:

    .venv/bin/python bench/bench_llm.py [--ctx 4096] [--ctx 2048] [--no-stream]

In-process (the pipeline alone, no Django): prints calls, billed and
server-reported tokens, wall time and per-chapter words for each context size,
and exits non-zero when the story did not complete, fell outside the short
story range, has a chapter under 70 % of its target or billed tokens differ
from what the server reported. `make test-llm` runs the same through the
product's services and a real worker (tests/llm/).
"""

from __future__ import annotations

import argparse
import signal
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

BRIEF = {
    "production_type": "short_story",
    "genre": "fantasy",
    "inspiration": "A lighthouse keeper finds a map drawn on the inside of a storm.",
    "target_words": 5000,
}


def run(n_ctx: int, stream: bool) -> bool:
    from jobs.pipeline import Brief, Callbacks, EngineConfig, get_backend, run_pipeline
    from jobs.pipeline.connection import Connection, JsonModeMemory
    from jobs.pipeline.llama_server import MODEL_ALIAS, LlamaServer, UsageProxy

    with LlamaServer(n_ctx) as server, UsageProxy(server.base_url) as proxy:
        config = EngineConfig(
            connection=Connection(
                base_url=proxy.base_url,
                api_key=server.api_key,
                tier_models={"mini": MODEL_ALIAS, "gpt4": MODEL_ALIAS},
                context_window=n_ctx,
                stream=stream,
            ),
            request_timeout=600,
            max_attempts=3,
            json_modes=JsonModeMemory(),
        )
        started = time.perf_counter()

        def on_model_call(call) -> None:
            print(
                f"  {time.perf_counter() - started:7.0f}s {call.stage:<24} seg {call.segment or '-':>2} "
                f"prompt {call.prompt_tokens:>5} completion {call.completion_tokens:>5} "
                f"{call.latency_s:6.1f}s",
                flush=True,
            )

        result = run_pipeline(
            Brief.from_dict(BRIEF),
            backend=get_backend("openai", config),
            config=config,
            callbacks=Callbacks(on_model_call=on_model_call),
        )
        wall = time.perf_counter() - started
        seen = proxy.totals()
    prompt = sum(c.prompt_tokens for c in result.model_calls)
    completion = sum(c.completion_tokens for c in result.model_calls)
    segs = result.metadata["segments"]
    low, high = Brief.type_range("short_story")
    print(f"\n== context {n_ctx}, {'streamed' if stream else 'whole answers'}")
    print(f"wall time          {wall:,.0f} s")
    print(f"calls              {len(result.model_calls)} billed, {seen['calls']} reached the server")
    print(f"prompt tokens      {prompt:,} billed, {seen['prompt_tokens']:,} server-reported")
    print(f"completion tokens  {completion:,} billed, {seen['completion_tokens']:,} server-reported, "
          f"{seen['streamed_chunks']:,} streamed chunks")  # fmt: skip
    print(f"words              {result.word_count:,} (short story range {low:,}–{high:,})")
    for s in segs:
        print(
            f"  chapter {s['index']}: {s['actual_words']:,} of {s['planned_words']:,} planned "
            f"({s.get('draft_calls', 1)} drafting calls, {s.get('extended', 0)} extended, "
            f"{s.get('continued', 0)} continued, styled chunks kept as draft {s.get('style_kept_draft', 0)})"
        )
    print(f"coherence revisions {result.metadata['coherence'].get('revisions')}")
    ok = low <= result.word_count <= high and all(s["actual_words"] >= 0.7 * s["planned_words"] for s in segs)
    if stream:
        ok = ok and completion >= seen["streamed_chunks"]
    else:
        ok = ok and (prompt, completion) == (seen["prompt_tokens"], seen["completion_tokens"])
    print("OK" if ok else "MISSED")
    return ok


def main() -> int:
    # A SIGTERM unwinds like Ctrl-C, so the model server is stopped on the way out.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    parser = argparse.ArgumentParser()
    parser.add_argument("--ctx", type=int, action="append")
    parser.add_argument("--no-stream", action="store_true")
    args = parser.parse_args()
    results = [run(n, not args.no_stream) for n in args.ctx or [4096, 2048]]
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
