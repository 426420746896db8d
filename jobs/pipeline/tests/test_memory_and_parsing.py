"""Tolerant JSON, redaction, the memory of the actual text and what coherence does with it."""

from __future__ import annotations

import pytest

from jobs.pipeline import get_backend, run_pipeline
from jobs.pipeline.connection import Connection
from jobs.pipeline.jsonparse import parse
from jobs.pipeline.memory import LEDGER_FACTS, SUMMARY_WORDS, Ledger, contradictions, summarise, update_ledger
from jobs.pipeline.plan import SegmentPlan
from jobs.pipeline.redact import redact, safe_url
from jobs.pipeline.schema import COHERENCE, INTERPRETATION
from jobs.pipeline.testing import FakeChatServer, prose

from .conftest import make_brief

GOOD = '{"score": 0.8, "issues": ["a"]}'


@pytest.mark.parametrize(
    "answer",
    [
        GOOD,
        f"```json\n{GOOD}\n```",
        f"Here is the judgment: {GOOD} Hope that helps!",
        '{"score": 0.8, "issues": ["a",],}',
        '{"score": "0.8", "issues": ["a"]}',
        '{"score": 80, "issues": ["a"]}',
    ],
    ids=["plain", "fenced", "text-around", "trailing-commas", "number-as-text", "percent"],
)
def test_json_answers_are_read_tolerantly_and_normalised(answer) -> None:
    value, problem = parse(answer, COHERENCE)
    assert problem is None and value == {"score": 0.8, "issues": ["a"]}


def test_raw_control_characters_in_strings_are_accepted() -> None:
    answer = (
        '{"title": "A\ttitle", "logline": "one\nline", "premise": "p", "themes": ["t"], '
        '"tone": "x", "style_notes": "s"}'
    )
    value, problem = parse(answer, INTERPRETATION)
    assert problem is None and value["logline"] == "one\nline"


def test_a_problem_names_the_field() -> None:
    _, problem = parse('{"score": 7000, "issues": []}', COHERENCE)
    assert problem == "$.score: 7000 is above 1"
    _, problem = parse('{"score": 0.5}', COHERENCE)
    assert "missing 'issues'" in problem


def test_a_cut_off_object_is_reported_as_cut_off_not_as_an_inner_object() -> None:
    _, problem = parse('{"characters": [{"name": "A", "gender": "f"}, {"name": "B", "gen', INTERPRETATION)
    assert "cut off" in problem


def test_redaction_masks_keys_tokens_and_url_credentials() -> None:
    text = "boom sk-live-abcdefgh12345678 Authorization: Bearer abc.def.ghijklmnop api_key=QQQ my-own-secret"
    out = redact(text, ["my-own-secret"])
    for secret in ("sk-live-abcdefgh12345678", "abc.def.ghijklmnop", "QQQ", "my-own-secret"):
        assert secret not in out
    assert safe_url("https://u:pw@host:8443/v1?key=K&x=1") == "https://***@host:8443/v1?key=***&x=***"


def _seg(index: int, characters: list[str], events: list[str], location: str = "the Quay") -> SegmentPlan:
    return SegmentPlan(index, 1, f"Title {index}", "plan", events, characters, location, 1000)


def test_a_summary_is_bounded_and_says_what_was_written_not_what_was_planned() -> None:
    seg = _seg(1, ["Mira Holt"], ["Mira finds the brass key"])
    text = (
        " ".join(["The rain fell on the roofs and nobody came."] * 50)
        + " Mira found the brass key under the stair."
    )
    summary = summarise(text, seg)
    assert summary.startswith("1. ") and "brass key" in summary and "plan" not in summary
    assert len(summary.split()) <= SUMMARY_WORDS + 2


def test_a_character_who_studied_or_tidied_is_not_recorded_dead() -> None:
    ledger = Ledger()
    cast = ["Mira Holt", "Jonas Reed"]
    text = "Mira studied the sky for a long moment. Jonas tidied the shelf."
    update_ledger(ledger, text, _seg(1, cast, []), cast)
    assert ledger.dead == []
    assert contradictions(ledger, 'Mira said, "Wait."', _seg(2, cast, [])) == []


def test_the_ledger_keeps_places_objects_promises_deaths_and_stays_bounded() -> None:
    ledger = Ledger()
    cast = ["Mira Holt", "Jonas Reed"]
    update_ledger(
        ledger,
        "Mira took the brass key. Jonas promised to return by dawn. Jonas learned that the map was false.",
        _seg(1, cast, []),
        cast,
    )
    update_ledger(
        ledger, "Later that night Jonas died in the flood.", _seg(2, ["Jonas Reed"], [], "Mirewood"), cast
    )
    text = ledger.render(400)
    assert "Mira and brass key" in text and "Promise" in text and "Knowledge" in text
    assert (
        "Jonas Reed died in segment 2" in text
        and "Jonas Reed was last seen in segment 2, at Mirewood" in text
    )
    for i in range(3, 60):
        relic = "relic" + chr(97 + i % 26) + chr(97 + i // 26)
        update_ledger(ledger, f"Mira took the {relic}.", _seg(i, cast, []), cast)
    assert len(ledger.facts) == LEDGER_FACTS and "dead:Jonas Reed" in ledger.facts  # deaths kept longest
    problems = contradictions(ledger, 'Jonas said, "Wait."', _seg(61, ["Mira Holt"], []))
    assert problems == ["Jonas Reed died earlier but acts in segment 61"]


def test_later_drafting_prompts_carry_what_was_actually_written(server, openai_config) -> None:
    # Segment 1 ends on something the plan never said (a passage long enough to need no extension).
    ending = prose(2500) + " Corin Vale burned the ferryman's ledger at dawn."
    server.script.extend([("ok",)] * 5 + [("content", ending)])
    run_pipeline(make_brief(), backend=get_backend("openai", openai_config), config=openai_config)
    second = next(r for r in server.requests if "Write segment 2" in r["messages"][-1]["content"])
    prompt = second["messages"][-1]["content"]
    assert "STORY SO FAR (what was actually written)" in prompt
    assert "burned the ferryman's ledger" in prompt  # the model's own change, remembered
    assert "STORY FACTS" in prompt


def test_coherence_revises_failing_segments_once_and_says_what_it_fixed(server, openai_config) -> None:
    # Segment 1's passage names nobody (the server's other passages bring on their cast and events).
    server.script.extend([("ok",)] * 5 + [("content", prose(2500))])
    result = run_pipeline(make_brief(), backend=get_backend("openai", openai_config), config=openai_config)
    report = result.metadata["coherence"]
    segments = [r["segment"] for r in report["revisions"]]
    assert segments == sorted(set(segments)) and 1 <= len(segments) <= 3
    assert all(r["action"].startswith("added a passage") for r in report["revisions"])
    assert all(r["missing"] for r in report["revisions"])
    revision_calls = [c for c in result.model_calls if c.stage == "coherence_validation" and c.segment]
    assert len(revision_calls) == len(segments)
    judge = next(r for r in server.requests if "Judge the coherence" in r["messages"][-1]["content"])
    assert "STORY FACTS" in judge["messages"][-1]["content"]


def test_the_offline_engine_gets_memory_without_any_model_call(brief, offline) -> None:
    result = run_pipeline(brief, backend=offline)
    memory = result.metadata["memory"]
    assert len(memory["summaries"]) == len(result.metadata["segments"]) and memory["ledger"]["facts"]
    assert result.metadata["coherence"]["revisions"] == []


def test_a_connection_refuses_a_tiny_window_and_an_unknown_json_mode() -> None:
    with pytest.raises(ValueError, match="too small"):
        Connection(context_window=100)
    with pytest.raises(ValueError, match="unknown JSON mode"):
        Connection(json_mode="yaml")
    assert "secret" not in repr(Connection(api_key="secret"))


def test_json_mode_memory_is_shared_through_its_store() -> None:
    from jobs.pipeline.connection import JsonModeMemory

    store: dict[str, str] = {}

    class Store:
        def get(self, endpoint):
            return store.get(endpoint)

        def set(self, endpoint, mode):
            store[endpoint] = mode

    JsonModeMemory(Store()).set("http://x/v1", "json_object")
    assert JsonModeMemory(Store()).get("http://x/v1") == "json_object"  # another worker learns it
    with FakeChatServer():
        pass


def test_the_offline_engine_reports_each_passage_for_the_live_page(brief, offline) -> None:
    from jobs.pipeline import Callbacks

    seen: list[tuple[str, int | None, str]] = []
    result = run_pipeline(brief, backend=offline, callbacks=Callbacks(on_text=lambda *a: seen.append(a)))
    drafted = [(seg, text) for stage, seg, text in seen if stage == "sequential_generation"]
    assert [seg for seg, _ in drafted] == [s["index"] for s in result.metadata["segments"]]
    assert all(len(text.split()) > 100 for _, text in drafted)
    assert not any(stage == "brief_interpretation" for stage, _, _ in seen)  # JSON is not prose
