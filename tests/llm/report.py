"""What `make test-llm` measured, per context: printed, and written to var/ for the closing note.

``var/test-llm-report.json`` holds one entry per run (calls per stage,
tokens billed and as the server reported them, wall time, words per chapter
against its target, the machine's load); ``var/test-llm-report.txt`` the same
as the lines the test prints. A run that did not finish is written too, with
where it stood, so a timeout still leaves figures behind.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
REPORT_JSON = ROOT / "var" / "test-llm-report.json"
REPORT_TXT = ROOT / "var" / "test-llm-report.txt"


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"{one:.1f}/{five:.1f}"


def run_entry(
    *,
    ctx: int,
    stream: bool,
    seconds: float,
    status: str,
    usage_by_stage: dict[str, dict[str, Any]],
    seen: dict[str, int],
    segments: list[dict[str, Any]],
    word_count: int,
    usage_counted: bool,
    detail: str = "",
) -> dict[str, Any]:
    return {
        "context": ctx,
        "answers": "streamed" if stream else "whole",
        "status": status,
        "wall_seconds": round(seconds, 1),
        "calls": sum(s["calls"] for s in usage_by_stage.values()),
        "calls_by_stage": {k: s["calls"] for k, s in usage_by_stage.items()},
        "prompt_tokens": sum(s["prompt_tokens"] for s in usage_by_stage.values()),
        "completion_tokens": sum(s["completion_tokens"] for s in usage_by_stage.values()),
        # What llama-cpp-python itself said: usage of whole answers; chunks of streamed ones.
        "server": seen,
        # Streams carry no usage from llama-cpp-python: then the tokens are counted from the text.
        "usage": "counted from the streamed text (one token per chunk; prompt estimated)"
        if usage_counted
        else "reported by the server",
        "word_count": word_count,
        "chapters": [
            {
                "planned": s.get("planned_words"),
                "actual": s.get("actual_words"),
                "draft_calls": s.get("draft_calls"),
            }
            for s in segments
        ],
        "detail": detail[:600],
    }


def line(entry: dict[str, Any]) -> str:
    chapters = ", ".join(f"{c['actual']}/{c['planned']}" for c in entry["chapters"]) or "—"
    stages = ", ".join(f"{k.split('_')[0]} {v}" for k, v in entry["calls_by_stage"].items())
    return (
        f"context {entry['context']} ({entry['answers']}): {entry['status']} in "
        f"{entry['wall_seconds'] / 60:.1f} min, {entry['calls']} calls ({stages}), "
        f"{entry['prompt_tokens']:,} prompt + {entry['completion_tokens']:,} completion tokens billed "
        f"({entry['usage']}; server: {entry['server'].get('prompt_tokens', 0):,} + "
        f"{entry['server'].get('completion_tokens', 0):,} reported, "
        f"{entry['server'].get('streamed_chunks', 0):,} chunks streamed), {entry['word_count']:,} words, "
        f"chapters actual/planned {chapters}"
    )


def write(entries: list[dict[str, Any]], *, started_load: str) -> str:
    REPORT_JSON.parent.mkdir(parents=True, exist_ok=True)
    doc = {
        "finished_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "load_at_start": started_load,
        "load_at_end": load(),
        "runs": entries,
    }
    REPORT_JSON.write_text(json.dumps(doc, indent=2) + "\n")
    text = "\n".join(
        [f"machine load (1/5 min) at start {started_load}, at end {doc['load_at_end']}"]
        + [line(e) for e in entries]
    )
    REPORT_TXT.write_text(text + "\n")
    return text
