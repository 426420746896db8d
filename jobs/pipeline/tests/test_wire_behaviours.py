"""The openai backend against the wire-format server imitating real servers' behaviours."""

from __future__ import annotations

import json
import time

import pytest

from jobs.pipeline import BackendError, EngineConfig, get_backend, run_pipeline
from jobs.pipeline.backends.base import CallObserver
from jobs.pipeline.backends.openai_backend import OpenAIBackend
from jobs.pipeline.connection import Connection, JsonModeMemory
from jobs.pipeline.schema import STRUCTURE
from jobs.pipeline.testing import FakeChatServer

from .conftest import make_brief

PROSE = [{"role": "user", "content": "Write about 300 words."}]


def _config(server: FakeChatServer, **connection) -> EngineConfig:
    return EngineConfig(
        connection=Connection(base_url=server.base_url, api_key=server.api_key, **connection),
        json_modes=JsonModeMemory(),
        request_timeout=2.0,
        max_attempts=3,
        backoff_base=0.01,
        backoff_cap=0.05,
    )


def test_a_server_that_only_takes_json_object_is_detected_once_and_remembered() -> None:
    with FakeChatServer(json_modes=("json_object",)) as server:
        config = _config(server)
        result = run_pipeline(
            make_brief(review_plan=True), backend=get_backend("openai", config), config=config
        )
        kinds = [(r.get("response_format") or {}).get("type") for r in server.requests]
    assert kinds[0] == "json_schema" and server.served[0] == "refused"  # refused once, with a 500 and a body
    assert kinds[1:] == ["json_object"] * (len(kinds) - 1)  # every later call asks the way that works
    assert config.json_modes.get(config.connection.endpoint) == "json_object"
    assert result.plan["structure"]["acts"]
    # Only answered calls are billed; the refusal produced no tokens.
    assert len(result.model_calls) == len(kinds) - 1


def test_the_schema_sent_in_json_object_mode_keeps_its_bounds_and_is_in_the_prompt() -> None:
    with FakeChatServer(json_modes=("json_object",)) as server:
        config = _config(server, json_mode="json_object")
        run_pipeline(make_brief(review_plan=True), backend=get_backend("openai", config), config=config)
        planning = next(r for r in server.requests if "Plan segments" in r["messages"][-1]["content"])
    sent = planning["response_format"]["schema"]["properties"]["segments"]
    assert sent["minItems"] == sent["maxItems"] == 3  # a 5,000-word story has three segments
    system = planning["messages"][0]["content"]
    assert "JSON Schema" in system and '"minItems": 3' in system and '"maxLength"' in system


def test_prompt_only_mode_sends_no_response_format_and_still_gets_valid_json() -> None:
    with FakeChatServer(json_modes=()) as server:
        config = _config(server)
        result = run_pipeline(
            make_brief(review_plan=True), backend=get_backend("openai", config), config=config
        )
        later = server.requests[3:]
    assert config.json_modes.get(config.connection.endpoint) == "prompt"
    assert all("response_format" not in r for r in later)
    assert result.plan["segments"]


def test_raw_control_characters_inside_json_strings_are_read_without_a_repair() -> None:
    with FakeChatServer(control_chars=True) as server:
        config = _config(server)
        result = run_pipeline(
            make_brief(review_plan=True), backend=get_backend("openai", config), config=config
        )
    assert (
        "\n" in result.plan["interpretation"]["logline"] or "\t" in result.plan["interpretation"]["logline"]
    )
    assert not any("not valid" in r["messages"][-1]["content"] for r in server.requests)  # no repair call


def test_a_500_with_a_body_shows_the_servers_reason_without_secrets() -> None:
    with FakeChatServer() as server:
        config = _config(server)
        reason = f"llama_decode failed: KV cache full (key {server.api_key} Bearer abcdefghijklmnop)"
        server.script.extend([("status", 500, {}, reason)] * 3)
        with pytest.raises(BackendError) as err:
            OpenAIBackend(config).complete(PROSE, tier="gpt4", model="gpt-4o", max_tokens=500)
    message = str(err.value)
    assert "KV cache full" in message and "HTTP 500" in message and "3 attempt" in message
    assert server.api_key not in message and "abcdefghijklmnop" not in message


@pytest.mark.parametrize(
    "status, reason, cause",
    [
        (400, "Invalid value for 'temperature'", "bad_request"),
        (422, "1 validation error: messages.0.role", "bad_request"),
        (404, "The model `gpt-9` does not exist", "unknown_model"),
        (400, "This model's maximum context length is 4096 tokens", "context_length"),
    ],
    ids=["validation-400", "validation-422", "unknown-model", "context-length"],
)
def test_an_error_that_would_repeat_is_not_retried(status, reason, cause) -> None:
    with FakeChatServer() as server:
        config = _config(server)
        server.script.extend([("status", status, {}, reason)] * 3)
        with pytest.raises(BackendError) as err:
            OpenAIBackend(config).complete(PROSE, tier="gpt4", model="gpt-4o", max_tokens=500)
        assert len(server.requests) == 1
    assert err.value.cause == cause and reason.split("`")[0] in str(err.value)


def test_a_context_length_refusal_is_refitted_and_retried_instead_of_failing_the_job() -> None:
    with FakeChatServer() as server:
        config = _config(server, context_window=4096)
        server.script.append(("status", 400, {}, "Requested tokens (5000) exceed context window of 4096"))
        result = run_pipeline(
            make_brief(review_plan=True), backend=get_backend("openai", config), config=config
        )
        first, second = server.requests[0], server.requests[1]
    assert result.plan["interpretation"]["title"]
    assert second["max_tokens"] <= first["max_tokens"] and second["messages"] == first["messages"]


def test_a_small_context_window_is_never_overrun_and_the_story_still_completes() -> None:
    with FakeChatServer(context_window=2048) as server:
        config = _config(server)  # the window is read from GET /v1/models (max_model_len)
        brief = make_brief(polish="every")  # every segment styled, so each must go in pieces that fit
        result = run_pipeline(brief, backend=get_backend("openai", config), config=config)
    assert "refused" not in server.served
    assert result.metadata["context_window"] == {"tokens": 2048, "source": "server"}
    chunks = [s["style_chunks"] for s in result.metadata["segments"]]
    assert all(n >= 2 for n in chunks)  # stylization went in pieces that fit
    assert all(s["actual_words"] >= 0.7 * s["planned_words"] for s in result.metadata["segments"])
    assert result.word_count >= 5000


def test_unknown_model_names_are_refused_before_any_call() -> None:
    with FakeChatServer(models=("llama-3-8b",)) as server:
        config = _config(server)
        with pytest.raises(
            BackendError, match=r"does not serve the configured model.*gpt-4o-mini.*llama-3-8b"
        ) as err:
            run_pipeline(make_brief(), backend=get_backend("openai", config), config=config)
        assert server.requests == []
    assert err.value.cause == "unknown_model"


def test_a_stream_with_usage_is_billed_from_the_usage_and_followed_live() -> None:
    seen: list[str] = []
    with FakeChatServer(chunk_chars=16) as server:
        config = _config(server)
        completion = OpenAIBackend(config).complete(
            PROSE, tier="gpt4", model="gpt-4o", max_tokens=800, observer=CallObserver(on_text=seen.append)
        )
        body = server.requests[0]
    assert body["stream"] is True and body["stream_options"] == {"include_usage": True}
    expected = FakeChatServer.usage_of(PROSE, completion.text)
    assert (completion.prompt_tokens, completion.completion_tokens) == (
        expected["prompt_tokens"],
        expected["completion_tokens"],
    )
    assert completion.usage_reported and seen[-1] == completion.text


def test_a_stream_without_usage_is_counted_per_chunk_never_less_than_the_text() -> None:
    with FakeChatServer(stream_usage=False, chunk_chars=3) as server:
        config = _config(server)
        completion = OpenAIBackend(config).complete(PROSE, tier="gpt4", model="gpt-4o", max_tokens=800)
    chunks = -(-len(completion.text) // 3)
    assert not completion.usage_reported and completion.completion_tokens == chunks
    assert completion.prompt_tokens > 0


def test_whole_answers_when_streaming_is_off_are_billed_from_the_usage() -> None:
    with FakeChatServer() as server:
        config = _config(server, stream=False)
        completion = OpenAIBackend(config).complete(PROSE, tier="gpt4", model="gpt-4o", max_tokens=800)
        assert "stream" not in server.requests[0]
    assert completion.usage_reported and completion.completion_tokens == (len(completion.text) + 3) // 4


def test_slow_tokens_are_fine_the_timeout_is_an_idle_timeout() -> None:
    with FakeChatServer(token_delay=0.06, chunk_chars=40) as server:
        config = _config(server)
        config.request_timeout = 0.5
        started = time.perf_counter()
        completion = OpenAIBackend(config).complete(PROSE, tier="gpt4", model="gpt-4o", max_tokens=800)
        took = time.perf_counter() - started
    assert took > 1.0 > config.request_timeout  # longer than the timeout in total, never idle for it
    assert len(server.requests) == 1 and completion.finish_reason == "stop"


def test_an_answer_abandoned_mid_stream_is_recorded_as_spent() -> None:
    abandoned: list[tuple[int, int]] = []
    with FakeChatServer(chunk_chars=20) as server:
        config = _config(server)
        config.request_timeout = 0.4
        server.script.append(("stall", 1.5))
        completion = OpenAIBackend(config).complete(
            PROSE,
            tier="gpt4",
            model="gpt-4o",
            max_tokens=800,
            observer=CallObserver(on_abandoned=lambda p, c: abandoned.append((p, c))),
        )
    assert len(abandoned) == 1 and abandoned[0][0] > 0 and abandoned[0][1] > 0
    assert completion.text and completion.finish_reason == "stop" and len(server.requests) == 2


def test_abandoned_attempts_are_in_the_ledger_of_a_run() -> None:
    with FakeChatServer(chunk_chars=20) as server:
        config = _config(server)
        config.request_timeout = 0.4
        server.script.extend([("ok",)] * 5 + [("stall", 1.0)])
        result = run_pipeline(make_brief(), backend=get_backend("openai", config), config=config)
        posts = len(server.requests)
    assert len(result.model_calls) == posts  # the abandoned attempt is billed beside the answered ones
    drafts = [c for c in result.model_calls if c.stage == "sequential_generation" and c.segment == 1]
    assert len(drafts) >= 2 and min(c.completion_tokens for c in drafts) > 0


def test_a_one_request_at_a_time_server_stops_an_abandoned_answer_and_serves_the_retry() -> None:
    with FakeChatServer(serial=True, chunk_chars=4, token_delay=0.002) as server:
        config = _config(server)
        config.request_timeout = 0.3
        config.max_attempts = 5
        config.backoff_base = 0.3
        server.script.append(("stall", 0.8))
        completion = OpenAIBackend(config).complete(PROSE, tier="gpt4", model="gpt-4o", max_tokens=800)
        time.sleep(0.1)
        cut = list(server.cut_short)
    # The closed stream stopped the generation at once: the server did not write the rest of the
    # abandoned answer while the retry waited for the line.
    assert cut and cut[0][0] < cut[0][1] * 0.7 and all(sent < total for sent, total in cut)
    assert completion.finish_reason == "stop" and len(completion.text) > 1000


def test_a_structure_answer_in_percent_is_normalised_not_refused() -> None:
    with FakeChatServer() as server:
        config = _config(server)
        act = (
            '{{"number": {n}, "name": "A", "purpose": "p", "proportion": {p}, '
            '"beats": [{{"name": "b", "description": "d"}}]}}'
        )
        acts = (
            '{"structure": "three_act", "acts": ['
            + act.format(n=1, p=25)
            + ", "
            + act.format(n=2, p=75)
            + '], "pacing": [20, 90]}'
        )
        server.script.extend([("ok",)] * 3 + [("content", acts)])
        result = run_pipeline(
            make_brief(review_plan=True), backend=get_backend("openai", config), config=config
        )
    assert [a["proportion"] for a in result.plan["structure"]["acts"]] == [0.25, 0.75]
    assert result.plan["structure"]["pacing"][0] == 0.2  # percent read as percent
    assert STRUCTURE["properties"]["acts"]["items"]["properties"]["proportion"]["maximum"] == 1  # plans


def test_blank_texts_in_a_segment_plan_are_filled_not_refused() -> None:
    with FakeChatServer() as server:
        config = _config(server)
        blank = {
            "title": " ",
            "summary": "\n",
            "key_events": ["", "Mira finds the key"],
            "characters": ["{"],
            "location": "",
        }
        answer = json.dumps({"segments": [blank, blank, blank]})
        server.script.extend([("ok",)] * 4 + [("content", answer)])
        result = run_pipeline(
            make_brief(review_plan=True), backend=get_backend("openai", config), config=config
        )
    first = result.plan["segments"][0]
    assert first["title"] == "Part 1" and first["summary"].startswith("Part 1: Mira finds the key")
    assert first["key_events"] == ["Mira finds the key"] and first["characters"] and first["location"]
    assert not any("not valid" in r["messages"][-1]["content"] for r in server.requests)


def test_the_schema_written_into_the_prompt_is_counted_so_a_small_json_object_server_never_refuses() -> None:
    # llama-cpp-python: json_object only, 2,048 tokens. The schema the backend adds to the prompt
    # in that mode takes room too; uncounted, world architecture asked 1,800 tokens beside it.
    with FakeChatServer(context_window=2048, json_modes=("json_object",), short_words=350) as server:
        config = _config(server)
        result = run_pipeline(make_brief(polish="off"), backend=get_backend("openai", config), config=config)
    refused = [r for r in server.served if r == "refused"]
    assert len(refused) == 1  # only json_schema's refusal, once; then json_object, remembered
    assert all(s["actual_words"] >= s["planned_words"] for s in result.metadata["segments"])
    assert result.word_count >= 5000


def test_a_passage_cut_off_just_short_of_its_target_is_continued_so_the_story_reaches_its_length() -> None:
    # 5,000 words is a short story's minimum: a chapter left at 96 % of its target takes the story
    # below its type's length.
    with FakeChatServer() as server:
        config = _config(server)
        backend = get_backend("openai", config)
        plan = run_pipeline(make_brief(review_plan=True), backend=backend, config=config).plan
        target = plan["segments"][0]["target_words"]
        server.script.append(("cut", round(target * 0.96)))  # the first drafting answer
        result = run_pipeline(make_brief(polish="off"), backend=backend, config=config, plan=plan)
    first = result.metadata["segments"][0]
    assert first["continued"] == 1 and first["actual_words"] >= target
    assert result.word_count >= 5000


def test_a_run_says_how_many_of_its_calls_were_counted_because_the_server_sent_no_usage() -> None:
    # llama-cpp-python streams without usage: the metadata must say those tokens were counted by us.
    with FakeChatServer(stream_usage=False) as server:
        config = _config(server)
        result = run_pipeline(make_brief(polish="off"), backend=get_backend("openai", config), config=config)
    assert result.metadata["usage_counted_calls"] == len(result.model_calls) > 0
    with FakeChatServer() as server:  # a server that reports usage: nothing counted
        config = _config(server)
        result = run_pipeline(make_brief(polish="off"), backend=get_backend("openai", config), config=config)
    assert result.metadata["usage_counted_calls"] == 0
