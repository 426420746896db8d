"""The openai backend against a real local HTTP server (no SDK patching)."""

from __future__ import annotations

import socket
import time

import pytest

from jobs.pipeline import BackendError, EngineConfig, get_backend, run_pipeline
from jobs.pipeline.backends.openai_backend import OpenAIBackend
from jobs.pipeline.connection import Connection

from .conftest import make_brief

MESSAGES = [{"role": "user", "content": "Write about 40 words."}]


def _complete(config: EngineConfig, **kwargs):
    return OpenAIBackend(config).complete(MESSAGES, tier="gpt4", model="gpt-4o", max_tokens=500, **kwargs)


def test_a_full_run_goes_through_the_wire_and_bills_from_usage(server, openai_config) -> None:
    brief = make_brief()
    result = run_pipeline(brief, backend=get_backend("openai", openai_config), config=openai_config)
    assert result.metadata["engine"] == "openai"
    assert result.word_count > 0 and result.text.startswith("## ")
    paths = {len(r["messages"]) for r in server.requests}
    assert paths  # every call reached the server
    assert len(server.requests) == len(result.model_calls)
    assert any(r.get("response_format", {}).get("type") == "json_schema" for r in server.requests)
    drafted = [c for c in result.model_calls if c.stage == "sequential_generation"]
    assert {c.model for c in drafted} == {"gpt-4o"} and {c.tier for c in drafted} == {"gpt4"}
    planned = [c for c in result.model_calls if c.stage == "brief_interpretation"]
    assert planned[0].model == "gpt-4o-mini" and planned[0].tier == "mini"
    assert result.cost_usd == pytest.approx(sum(c.cost_usd for c in result.model_calls), abs=1e-6)
    assert result.cost_usd > 0
    assert result.usage_by_tier["gpt4"]["cost_usd"] > result.usage_by_tier["mini"]["cost_usd"]
    assert "coherence_judgment" in result.quality_metrics
    assert all(c.latency_s >= 0 for c in result.model_calls)


def test_it_retries_a_429_honouring_retry_after_then_succeeds(server, openai_config) -> None:
    server.script.append(("status", 429, {"Retry-After": "0.2"}))
    started = time.perf_counter()
    completion = _complete(openai_config)
    assert time.perf_counter() - started >= 0.2  # waited as told, not our tiny backoff
    assert completion.completion_tokens > 0 and len(server.requests) == 2


def test_it_retries_a_500_then_succeeds(server, openai_config) -> None:
    server.script.append(("status", 500))
    completion = _complete(openai_config)
    assert completion.text and len(server.requests) == 2


def test_it_retries_a_timeout_then_succeeds(server, openai_config) -> None:
    openai_config.request_timeout = 0.3
    server.script.append(("sleep", 1.0))
    completion = _complete(openai_config)
    assert completion.text and len(server.requests) == 2


def test_it_gives_up_after_bounded_attempts_naming_the_cause(server, openai_config) -> None:
    server.script.extend([("status", 503)] * 5)
    with pytest.raises(BackendError, match=r"kept failing.*HTTP 503.*3 attempt") as err:
        _complete(openai_config)
    assert err.value.cause == "server_error"
    assert len(server.requests) == 3


def test_invalid_json_twice_is_a_clear_error(server, openai_config) -> None:
    server.script.extend([("content", "this is not json"), ("content", '{"title": 1}')])
    with pytest.raises(BackendError, match="invalid JSON twice") as err:
        run_pipeline(make_brief(), backend=get_backend("openai", openai_config), config=openai_config)
    assert err.value.cause == "invalid_json"
    assert err.value.checkpoint is not None and err.value.checkpoint["completed_stages"] == []
    repair = server.requests[1]["messages"]
    assert repair[-1]["role"] == "user" and "not valid" in repair[-1]["content"]


def test_invalid_json_once_is_repaired(server, openai_config) -> None:
    server.script.append(("content", "```not json```"))
    result = run_pipeline(
        make_brief(review_plan=True), backend=get_backend("openai", openai_config), config=openai_config
    )
    calls = [c for c in result.model_calls if c.stage == "brief_interpretation"]
    assert len(calls) == 2  # both attempts are recorded and billed
    assert result.plan["interpretation"]["title"]


def test_a_refused_key_fails_at_once_with_a_clear_message(server, openai_config) -> None:
    openai_config.connection = openai_config.connection.with_changes(api_key="wrong-key")
    with pytest.raises(BackendError, match="refused the API key") as err:
        _complete(openai_config)
    assert err.value.cause == "auth"
    assert len(server.requests) == 1  # no retries on 401


def test_an_endpoint_that_is_down_is_a_clear_error() -> None:
    with socket.socket() as sock:  # find a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    config = EngineConfig(
        connection=Connection(base_url=f"http://127.0.0.1:{port}/v1", api_key="k"),
        request_timeout=1,
        max_attempts=2,
        backoff_base=0.01,
        backoff_cap=0.02,
    )
    with pytest.raises(BackendError, match="unreachable") as err:
        run_pipeline(make_brief(), backend=get_backend("openai", config), config=config)
    assert err.value.cause == "unreachable"
    assert str(port) in str(err.value)


def test_a_missing_key_is_refused_before_any_call() -> None:
    with pytest.raises(BackendError, match="OPENAI_API_KEY"):
        get_backend("openai", EngineConfig(connection=Connection(api_key="")))


def test_the_server_honours_max_tokens(server, openai_config) -> None:
    completion = OpenAIBackend(openai_config).complete(
        [{"role": "user", "content": "Write about 2000 words."}], tier="gpt4", model="gpt-4o", max_tokens=50
    )
    assert completion.completion_tokens <= 50 and completion.finish_reason == "length"
