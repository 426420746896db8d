"""The connection probe (the "Test connection" button and ``llm_check``) against a local wire-format
server: a working server in figures, and each failure told apart in words."""

from __future__ import annotations

import socket

from jobs.pipeline import EngineConfig, get_backend, run_pipeline
from jobs.pipeline.connection import Connection, JsonModeMemory
from jobs.pipeline.probe import probe_connection
from jobs.pipeline.testing import FakeChatServer

from .conftest import make_brief


def _conn(server: FakeChatServer | None = None, **changes: object) -> Connection:
    base = Connection(
        base_url=server.base_url if server else "",
        api_key=server.api_key if server else "k",
        source="user",
        allow_private_hosts=True,
    )
    return base.with_changes(**changes)


def _closed_port() -> int:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()  # nothing listens there any more
    return port


def test_a_working_server_reports_latency_json_mode_and_the_window_it_states() -> None:
    with FakeChatServer(context_window=8192, json_modes=("json_object",)) as server:
        memory = JsonModeMemory()
        result = probe_connection(_conn(server), json_modes=memory)
    assert result.ok and result.cause == "ok"
    assert result.headline.startswith("Connected: the server accepted the key")
    assert [c.tier for c in result.tiers] == ["mini", "gpt4"] and all(c.ok for c in result.tiers)
    assert all(c.seconds is not None and c.seconds >= 0 for c in result.tiers)
    assert result.json_mode == "json_object" and memory.get(server.base_url) == "json_object"
    assert result.context_window == 8192 and result.context_source == "server"
    assert result.models == ("gpt-4o", "gpt-4o-mini")
    assert "Context window: 8,192 tokens (stated by the server)" in result.lines()
    # One tiny call per tier: the refused json_schema, then json_object, for each model.
    assert [
        r["model"] for r in server.requests if r.get("response_format", {}).get("type") == "json_object"
    ] == [
        "gpt-4o-mini",
        "gpt-4o",
    ]
    assert all(r["max_tokens"] <= 32 for r in server.requests)


def test_llama_cpp_states_its_window_in_props() -> None:
    with FakeChatServer(context_window=4096, props=True) as server:
        result = probe_connection(_conn(server))
    assert result.ok and result.context_window == 4096 and result.context_source == "server"
    assert "/props" in server.gets


def test_a_configured_window_is_reported_as_configured() -> None:
    with FakeChatServer(context_window=8192) as server:
        result = probe_connection(_conn(server, context_window=2048))
    assert result.context_window == 2048 and result.context_source == "configured"
    assert any("small" in note for note in result.notes)


def test_a_bad_key_is_reported_as_a_refused_key_with_the_servers_reason() -> None:
    with FakeChatServer() as server:
        result = probe_connection(_conn(server, api_key="sk-not-the-right-key-123"))
    assert not result.ok and result.cause == "auth"
    assert "refused the API key" in result.headline and result.detail == "Incorrect API key provided."
    assert "sk-not-the-right-key-123" not in " ".join(result.lines())
    assert server.requests == []  # the model list already said no: nothing was generated


def test_an_unknown_model_is_reported_with_what_the_server_offers() -> None:
    with FakeChatServer(models=("llama-3-8b", "qwen2.5-7b")) as server:
        result = probe_connection(_conn(server, tier_models={"mini": "llama-3-8b", "gpt4": "gpt-9"}))
    assert not result.ok and result.cause == "unknown_model"
    assert "does not offer the model “gpt-9” (chosen for writing the prose)" in result.headline
    assert "Models it offers: llama-3-8b, qwen2.5-7b" in result.lines()
    assert server.requests == []


def test_an_unreachable_host_is_reported_as_unreachable() -> None:
    result = probe_connection(_conn(base_url=f"http://127.0.0.1:{_closed_port()}/v1"))
    assert not result.ok and result.cause == "unreachable"
    assert "could not reach the server" in result.headline and "refused" in result.detail.lower()


def test_a_server_that_does_not_answer_in_time_is_a_timeout() -> None:
    with FakeChatServer(latency=2.0) as server:
        result = probe_connection(_conn(server), timeout=0.5)
    assert not result.ok and result.cause == "timeout" and "did not answer in time" in result.headline


def test_the_four_failures_are_told_apart() -> None:
    with FakeChatServer(models=("m",)) as server:
        causes = {
            probe_connection(_conn(server, api_key="wrong")).cause,
            probe_connection(_conn(server)).cause,  # tiers ask for gpt-4o-mini / gpt-4o: not listed
            probe_connection(_conn(base_url=f"http://127.0.0.1:{_closed_port()}/v1")).cause,
            probe_connection(_conn(base_url="http://169.254.169.254/v1")).cause,
        }
    assert causes == {"auth", "unknown_model", "unreachable", "unsafe_host"}


def test_the_metadata_address_and_file_urls_are_refused_before_any_request() -> None:
    for url in ("http://169.254.169.254/latest/meta-data", "file:///etc/passwd"):
        result = probe_connection(_conn(base_url=url))
        assert not result.ok and result.cause == "unsafe_host"


def test_a_redirect_to_another_host_is_reported_and_not_followed() -> None:
    with FakeChatServer() as elsewhere:
        with FakeChatServer(redirect_to=elsewhere.base_url.removesuffix("/v1")) as server:
            result = probe_connection(_conn(server))
        assert not result.ok and result.cause == "redirect" and "does not follow redirects" in result.headline
        assert elsewhere.gets == [] and elsewhere.requests == []


def test_a_server_without_a_json_mode_is_reported_as_json_by_instruction() -> None:
    with FakeChatServer(json_modes=()) as server:
        result = probe_connection(_conn(server))
    assert result.ok and result.json_mode == "prompt" and "JSON by instruction" in result.json_mode_words


def test_tiers_sharing_a_model_make_one_call() -> None:
    with FakeChatServer() as server:
        result = probe_connection(_conn(server, tier_models={"mini": "gpt-4o", "gpt4": "gpt-4o"}))
    assert result.ok and len(server.requests) == 1 and len(result.tiers) == 2


def test_a_job_learns_the_window_llama_cpp_states_in_props_like_the_test_does() -> None:
    with FakeChatServer(context_window=8192, props=True) as server:
        conn = _conn(server)
        config = EngineConfig(connection=conn, json_modes=JsonModeMemory(), request_timeout=5.0)
        result = run_pipeline(make_brief(), backend=get_backend("openai", config), config=config)
        assert probe_connection(conn).context_window == 8192
    assert result.metadata["context_window"] == {"tokens": 8192, "source": "server"}
