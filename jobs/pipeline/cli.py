"""Run the pipeline from a terminal: ``run_forge`` (used by ``manage.py forge``)
and ``python -m jobs.pipeline.cli``.

Output files are written to a temporary directory next to the target and
moved into place only after the run succeeded, so a failed or cancelled run
leaves nothing half-written.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

try:  # live progress bars; rich is a development dependency, production prints plain lines
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
except ImportError:
    from .plain_terminal import BarColumn, Console, Progress, TaskID, TextColumn, TimeElapsedColumn

from .backends import default_backend_name, get_backend
from .brief import GENRES, LANGUAGES, POVS, PRODUCTION_TYPES, STRUCTURES, TENSES, TONES, Brief, BriefError
from .config import EngineConfig
from .engine import Callbacks
from .errors import PipelineError
from .runner import PipelineResult, run_pipeline
from .stages import STAGES

OUTPUT_FILES = ("narrative.txt", "narrative.md", "metadata.json")


def render_markdown(result: PipelineResult) -> str:
    engine = result.metadata.get("engine", "")
    note = "\n\n*Written by the NarraForge offline engine.*" if engine == "offline" else ""
    return f"# {result.title}{note}\n\n{result.text}"


def render_text(result: PipelineResult) -> str:
    return f"{result.title}\n\n{result.text}"


def write_outputs(result: PipelineResult, out_dir: Path) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".forge-", dir=out_dir))
    try:
        (staging / "narrative.txt").write_text(render_text(result), encoding="utf-8")
        (staging / "narrative.md").write_text(render_markdown(result), encoding="utf-8")
        (staging / "metadata.json").write_text(
            json.dumps(result.metadata, ensure_ascii=False, indent=2), encoding="utf-8"
        )
        for name in OUTPUT_FILES:  # rename is atomic within one filesystem
            os.replace(staging / name, out_dir / name)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def run_forge(
    brief: Brief,
    backend: str,
    out_dir: str | Path,
    console: Console | None = None,
    *,
    config: EngineConfig | None = None,
    budget_usd: float | None = None,
) -> PipelineResult:
    """Run in-process with a live progress bar per stage; write the three files on success."""
    console = console or Console()
    config = config or EngineConfig.from_env()
    engine = get_backend(backend, config)
    with Progress(
        TextColumn("[bold]{task.description:<28}"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%"),
        TextColumn("{task.fields[detail]}"),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    ) as progress:
        bars: dict[str, TaskID] = {
            s.key: progress.add_task(f"{s.number:02d} {s.label}", total=1.0, detail="") for s in STAGES
        }
        overall = progress.add_task("Overall", total=1.0, detail="")
        current: dict[str, Any] = {"stage": None, "start": 0.0}

        def on_stage_start(stage: Any, index: int) -> None:
            current["stage"] = stage
            current["start"] = sum(s.weight for s in STAGES[:index])

        def on_stage_end(stage: Any, index: int) -> None:
            progress.update(bars[stage.key], completed=1.0, detail="done")

        def on_progress(fraction: float, detail: str) -> None:
            progress.update(overall, completed=fraction, detail=f"{fraction:.0%}")
            stage = current["stage"]
            if stage is not None and stage.weight:
                within = (fraction - current["start"]) / stage.weight
                progress.update(bars[stage.key], completed=max(0.0, min(1.0, within)), detail=detail)

        callbacks = Callbacks(
            on_stage_start=on_stage_start, on_stage_end=on_stage_end, on_progress=on_progress
        )
        result = run_pipeline(
            brief, backend=engine, config=config, callbacks=callbacks, budget_usd=budget_usd
        )
    write_outputs(result, Path(out_dir))
    console.print(
        f"[green]Done:[/green] “{result.title}” — {result.word_count:,} words, ${result.cost_usd:.4f}, "
        f"{result.tokens_used:,} tokens, overall score {result.overall_quality_score:.2f} "
        f"({result.metadata.get('engine')} engine) → {out_dir}"
    )
    return result


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m jobs.pipeline.cli", description="Forge a narrative from a brief."
    )
    parser.add_argument("--type", dest="production_type", required=True, choices=PRODUCTION_TYPES)
    parser.add_argument("--genre", required=True, choices=GENRES)
    parser.add_argument("--inspiration", required=True)
    parser.add_argument("--title", default="")
    parser.add_argument("--language", default="en", choices=LANGUAGES)
    parser.add_argument("--world-notes", default="")
    parser.add_argument("--pov", default="third_limited", choices=POVS)
    parser.add_argument("--tense", default="past", choices=TENSES)
    parser.add_argument("--tone", default="neutral", choices=TONES)
    parser.add_argument("--structure", default="three_act", choices=STRUCTURES)
    parser.add_argument("--words", type=int, default=None)
    parser.add_argument(
        "--backend",
        choices=("offline", "openai"),
        default=None,
        help="default: openai when OPENAI_API_KEY is set, else offline",
    )
    parser.add_argument("--out", default="forge-output")
    parser.add_argument(
        "--budget", type=float, default=None, help="stop before spending more than this (USD)"
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    console = Console()
    config = EngineConfig.from_env()
    try:
        brief = Brief.from_dict(
            {
                "production_type": args.production_type,
                "genre": args.genre,
                "inspiration": args.inspiration,
                "title": args.title,
                "language": args.language,
                "world_notes": args.world_notes,
                "pov": args.pov,
                "tense": args.tense,
                "tone": args.tone,
                "structure": args.structure,
                "target_words": args.words,
            }
        )
        run_forge(
            brief,
            args.backend or default_backend_name(config),
            args.out,
            console,
            config=config,
            budget_usd=args.budget,
        )
    except (BriefError, PipelineError) as exc:
        console.print(f"[red]Error:[/red] {exc}")
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
