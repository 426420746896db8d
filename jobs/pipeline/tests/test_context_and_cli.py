from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from rich.console import Console

from jobs.pipeline import BudgetExceeded, EngineConfig, get_backend, run_pipeline
from jobs.pipeline.cli import OUTPUT_FILES, run_forge

from .conftest import make_brief


def test_segment_prompts_stay_flat_as_the_story_grows(server, openai_config) -> None:
    brief = make_brief(production_type="novel", target_words=60_000)
    result = run_pipeline(brief, backend=get_backend("openai", openai_config), config=openai_config)
    drafts = [c for c in result.model_calls if c.stage == "sequential_generation"]
    assert len(drafts) == 24
    assert drafts[-1].prompt_tokens <= 1.25 * drafts[2].prompt_tokens
    total_prompt = sum(c.prompt_tokens for c in result.model_calls)
    total_completion = sum(c.completion_tokens for c in result.model_calls)
    assert total_prompt <= 2 * total_completion
    last_prompt = next(
        r for r in reversed(server.requests) if "Write segment 24" in r["messages"][-1]["content"]
    )
    content = last_prompt["messages"][-1]["content"]
    for part in ("STORY BIBLE", "THIS SEGMENT", "STORY SO FAR", "PREVIOUS SEGMENT ENDED"):
        assert part in content


def test_run_forge_writes_three_files_and_returns_the_result(tmp_path: Path, brief) -> None:
    console = Console(file=open(tmp_path / "log.txt", "w"), force_terminal=False)  # noqa: SIM115
    result = run_forge(brief, "offline", tmp_path / "out", console, config=EngineConfig())
    files = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert files == sorted(OUTPUT_FILES)
    meta = json.loads((tmp_path / "out" / "metadata.json").read_text())
    assert meta["engine"] == "offline" and meta["chapters"]
    md = (tmp_path / "out" / "narrative.md").read_text()
    assert md.startswith(f"# {result.title}") and "offline engine" in md
    assert (tmp_path / "out" / "narrative.txt").read_text().startswith(result.title)


def test_a_failed_forge_leaves_nothing_behind(tmp_path: Path, openai_config) -> None:
    console = Console(file=open(tmp_path / "log.txt", "w"))  # noqa: SIM115
    out = tmp_path / "out"
    with pytest.raises(BudgetExceeded):
        run_forge(make_brief(), "openai", out, console, config=openai_config, budget_usd=0.001)
    assert not out.exists() or not any(out.iterdir())


def test_the_module_cli_runs_end_to_end_and_reports_bad_input(tmp_path: Path) -> None:
    cmd = [
        sys.executable,
        "-m",
        "jobs.pipeline.cli",
        "--type",
        "short_story",
        "--genre",
        "fantasy",
        "--inspiration",
        "A map that redraws the land.",
        "--language",
        "pl",
        "--words",
        "5000",
        "--backend",
        "offline",
        "--out",
        str(tmp_path / "cli"),
    ]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False, cwd=Path(__file__).parents[3])
    assert done.returncode == 0, done.stderr
    assert "words" in done.stdout and (tmp_path / "cli" / "narrative.md").exists()
    bad = subprocess.run(
        cmd[:-4] + ["--words", "50"],
        capture_output=True,
        text=True,
        check=False,
        cwd=Path(__file__).parents[3],
    )
    assert bad.returncode == 2 and "target_words" in bad.stdout


def test_it_forges_from_the_command_line_without_rich_installed(tmp_path):
    """rich is a development dependency: a production install prints plain lines instead."""
    import subprocess
    import sys

    code = (
        "import sys; sys.modules['rich'] = None\n"  # as if rich were not installed
        "from jobs.pipeline.cli import main\n"
        "sys.exit(main(['--type', 'short_story', '--genre', 'fantasy', '--inspiration', "
        "'A lighthouse keeper finds a map drawn in salt.', '--backend', 'offline', "
        f"'--out', {str(tmp_path)!r}]))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "01 Brief interpretation: done" in done.stdout and "Done:" in done.stdout
    assert "[green]" not in done.stdout
    assert (tmp_path / "narrative.md").read_text(encoding="utf-8").startswith("# ")
