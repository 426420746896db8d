"""Stage 08 as a choice: off, flagged segments only (the default) or every segment."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from jobs.pipeline import Brief, BriefError, EngineConfig, estimate_cost, get_backend, run_pipeline
from jobs.pipeline.connection import Connection, JsonModeMemory
from jobs.pipeline.polish import flag_segment
from jobs.pipeline.testing import FakeChatServer

from .conftest import make_brief

CLEAN = (
    "Mara crossed the bridge before dawn. The river below was loud with meltwater.\n\n"
    "“We are late,” Oren said, pulling his hood lower.\n\n"
    "She did not answer. The archive's lamps were already lit, and someone had opened the gate."
)


def _config(server: FakeChatServer, tier: str = "mini") -> EngineConfig:
    return EngineConfig(
        connection=Connection(base_url=server.base_url, api_key=server.api_key),
        json_modes=JsonModeMemory(),
        request_timeout=5.0,
        max_attempts=3,
        backoff_base=0.01,
        backoff_cap=0.05,
        polish_tier=tier,
    )


def _polish_requests(server: FakeChatServer) -> list[dict]:
    return [r for r in server.requests if "line editor" in r["messages"][0]["content"]]


def test_the_brief_defaults_to_polishing_flagged_segments_only() -> None:
    assert make_brief().polish == "flagged"
    assert make_brief(polish="EVERY").polish == "every"


def test_an_unknown_polish_choice_is_refused_with_the_choices_named() -> None:
    with pytest.raises(BriefError) as err:
        make_brief(polish="sometimes")
    assert err.value.field == "polish" and err.value.allowed == ["off", "flagged", "every"]


def test_the_polish_choice_does_not_change_the_story_drafted() -> None:
    assert make_brief(polish="off").seed == make_brief(polish="every").seed


def test_an_unknown_polish_tier_is_refused_with_the_tiers_named() -> None:
    with pytest.raises(ValueError, match="NF_POLISH_TIER.*mini, gpt4"):
        EngineConfig(polish_tier="gpt5")
    assert EngineConfig.from_env({"NF_POLISH_TIER": "GPT4"}).polish_tier == "gpt4"
    assert EngineConfig.from_env({}).polish_tier == "mini"


def test_clean_prose_is_not_flagged() -> None:
    assert flag_segment(CLEAN, 50, "en") == []


def test_each_check_flags_its_own_fault_with_a_reason() -> None:
    looping = " ".join(["The lamps gave up one by one in the corridor."] * 6)
    assert [f.code for f in flag_segment(looping, 40, "en")] == ["repetition"]
    unpaired = CLEAN + '\n\n"We should turn back, he said.'
    assert "dialogue_punctuation" in [f.code for f in flag_segment(unpaired, 50, "en")]
    short = flag_segment(CLEAN, 500, "en")
    assert [f.code for f in short] == ["short"] and "of 500 planned words" in short[0].detail
    stock = CLEAN + " At the end of the day, it was a dark and stormy night."
    assert "cliches" in [f.code for f in flag_segment(stock, 50, "en")]


def test_off_sends_no_polishing_call_and_says_so() -> None:
    with FakeChatServer() as server:
        config = _config(server)
        result = run_pipeline(make_brief(polish="off"), backend=get_backend("openai", config), config=config)
    assert _polish_requests(server) == []
    assert "language_stylization" not in {c.stage for c in result.model_calls}
    report = result.metadata["polish"]
    assert (
        report["mode"] == "off"
        and report["polished"] == []
        and report["checked"] == len(result.metadata["segments"])
    )


def test_flagged_revises_the_flagged_segments_at_the_polish_tier_with_the_reason_in_the_prompt() -> None:
    # Every passage of this server loops (a run of paragraphs written again): every segment is flagged.
    with FakeChatServer(flaw_rates={"loop": 1.0}) as server:
        config = _config(server, tier="mini")
        result = run_pipeline(make_brief(), backend=get_backend("openai", config), config=config)
    polish = _polish_requests(server)
    n = len(result.metadata["segments"])
    assert polish and {r["model"] for r in polish} == {"gpt-4o-mini"}
    assert all(
        "The checks flagged this passage: it repeats itself" in r["messages"][1]["content"] for r in polish
    )
    report = result.metadata["polish"]
    assert [p["segment"] for p in report["polished"]] == list(range(1, n + 1))
    assert all(p["codes"] == ["repetition"] for p in report["polished"])
    styled = [c for c in result.model_calls if c.stage == "language_stylization"]
    assert styled and {c.tier for c in styled} == {"mini"}


def test_flagged_sends_nothing_for_prose_the_checks_pass() -> None:
    with FakeChatServer(flaw_rates={}) as server:  # varied prose without a slip
        config = _config(server, tier="gpt4")
        result = run_pipeline(make_brief(), backend=get_backend("openai", config), config=config)
    assert _polish_requests(server) == []
    assert result.metadata["polish"]["polished"] == []


def test_flagged_polishes_exactly_the_segments_whose_draft_the_checks_flag() -> None:
    brief = make_brief(production_type="novella", target_words=25_000)
    with FakeChatServer() as server:  # the server's usual slips: some passages loop, lean on stock phrases
        config = _config(server)
        off = run_pipeline(
            make_brief(production_type="novella", target_words=25_000, polish="off"),
            backend=get_backend("openai", config),
            config=config,
        )
        flagged = run_pipeline(brief, backend=get_backend("openai", config), config=config)
    drafts = {s["index"]: s for s in off.metadata["segments"]}
    expected = {i for i, s in drafts.items() if s["polish_flags"]}
    polished = {p["segment"]: p for p in flagged.metadata["polish"]["polished"]}
    assert set(polished) == expected and 0 < len(expected) < len(drafts)  # aimed, not everything
    for i, p in polished.items():
        assert p["codes"] == [f["code"] for f in drafts[i]["polish_flags"]]
    assert flagged.plan == off.plan


def test_every_polishes_each_segment_at_the_configured_tier() -> None:
    with FakeChatServer() as server:
        config = _config(server, tier="gpt4")
        result = run_pipeline(
            make_brief(polish="every"), backend=get_backend("openai", config), config=config
        )
    assert {r["model"] for r in _polish_requests(server)} == {"gpt-4o"}
    assert len(result.metadata["polish"]["polished"]) == len(result.metadata["segments"])


def test_the_offline_engine_polishes_only_flagged_segments_and_fixes_what_text_rules_can() -> None:
    offline = get_backend("offline")
    clean = run_pipeline(make_brief(polish="flagged"), backend=offline)
    assert clean.metadata["polish"]["flagged"] == 0  # its English prose passes the checks
    assert "language_stylization" not in {c.stage for c in clean.model_calls}
    assert "“" in clean.text  # typography is still set, locally

    every = run_pipeline(make_brief(polish="every"), backend=offline)
    assert {c.segment for c in every.model_calls if c.stage == "language_stylization"} == {
        s["index"] for s in every.metadata["segments"]
    }
    assert every.text == clean.text  # nothing flagged, nothing for the full pass to change either

    pl = make_brief(language="pl", production_type="novella", target_words=12000)
    result = run_pipeline(pl, backend=offline)
    assert result.metadata["polish"]["polished"] == []  # its Polish passes the checks too
    assert all(s["polish_flags"] is not None for s in result.metadata["segments"])  # every one was checked
    stock = "Jak na zawołanie drzwi się otworzyły. Cisza przed burzą trwała długo. Nikt nic nie powiedział."
    assert [f.code for f in flag_segment(stock, 15, "pl")] == ["cliches"]  # a Polish stock phrase is caught


def test_the_offline_polish_cuts_repeated_sentences_and_repairs_punctuation() -> None:
    backend = get_backend("offline")
    looping = "The lamps gave up one by one in the corridor. " * 3 + '"Wait , wait," she said.\n\n"Go on'
    out = backend._language_stylization(
        {"text": looping, "language": "en", "flags": ["repetition", "dialogue_punctuation"]}
    )
    assert out.count("The lamps gave up one by one") == 1
    assert " ," not in out and out.count("“") == out.count("”")


def test_the_estimate_follows_the_pass_and_its_tier() -> None:
    cfg_mini, cfg_gpt4 = EngineConfig(polish_tier="mini"), EngineConfig(polish_tier="gpt4")
    novel = {"production_type": "novel", "genre": "drama", "inspiration": "x", "target_words": 100_000}
    off = estimate_cost(Brief.from_dict({**novel, "polish": "off"}), cfg_gpt4)
    flagged = estimate_cost(Brief.from_dict(novel), cfg_mini)
    every_mini = estimate_cost(Brief.from_dict({**novel, "polish": "every"}), cfg_mini)
    every_gpt4 = estimate_cost(Brief.from_dict({**novel, "polish": "every"}), cfg_gpt4)
    assert off < flagged <= every_mini < every_gpt4
    assert estimate_cost(Brief.from_dict({**novel, "polish": "off"}), cfg_mini) == off  # no pass: no tier


# Flagged at the gpt4 tier is left out here: a three-segment story has 0 or 1 flagged segments, a third
# of the pass either way, so no estimate of it fits 15 %; bench/bench_cost.py measures it per production type.
@pytest.mark.parametrize(
    ("polish", "tier"), [("off", "gpt4"), ("flagged", "mini"), ("every", "mini"), ("every", "gpt4")]
)
def test_the_estimate_is_within_15_percent_of_what_the_server_billed(polish: str, tier: str) -> None:
    brief = make_brief(polish=polish)
    with FakeChatServer() as server:
        config = _config(server, tier=tier)
        result = run_pipeline(brief, backend=get_backend("openai", config), config=config)
    estimate = estimate_cost(brief, config)
    assert abs(estimate - result.cost_usd) <= 0.15 * result.cost_usd, (estimate, result.cost_usd)


def test_the_command_line_takes_the_polish_choice_and_refuses_an_unknown_one(tmp_path) -> None:
    cmd = [sys.executable, "-m", "jobs.pipeline.cli", "--type", "short_story", "--genre", "fantasy",
           "--inspiration", "A map.", "--backend", "offline", "--out", str(tmp_path)]  # fmt: skip
    root = Path(__file__).parents[3]
    bad = subprocess.run(
        [*cmd, "--polish", "sometimes"], capture_output=True, text=True, cwd=root, check=False
    )
    assert bad.returncode == 2 and "invalid choice: 'sometimes'" in bad.stderr and "'flagged'" in bad.stderr
    ok = subprocess.run([*cmd, "--polish", "off"], capture_output=True, text=True, cwd=root, check=False)
    assert ok.returncode == 0, ok.stderr
