"""Presets fill a new connection with a server's usual address and defaults; the price table prices
known models however a provider spells their id, and leaves local models free."""

from __future__ import annotations

from jobs.pipeline.connection import JSON_MODE_CHOICES, Connection
from jobs.pipeline.hostguard import check_base_url
from jobs.pipeline.presets import PRESETS, preset_for
from jobs.pipeline.pricing import known_price, price_table
from jobs.pipeline.probe import probe_connection
from jobs.pipeline.testing import FakeChatServer


def test_every_preset_the_issue_names_is_offered() -> None:
    labels = {p.label for p in PRESETS}
    assert {
        "OpenAI",
        "OpenRouter",
        "Azure OpenAI",
        "Ollama",
        "LM Studio",
        "llama.cpp server",
        "vLLM",
    } <= labels


def _resolver(host: str, port: int) -> list[str]:
    return ["127.0.0.1"] if host == "localhost" else ["93.184.216.34"]  # no DNS needed in tests


def test_presets_fill_valid_fields() -> None:
    for preset in PRESETS:
        assert preset.json_mode in JSON_MODE_CHOICES
        if preset.base_url:
            checked = check_base_url(preset.base_url, allow_private=preset.local, resolver=_resolver)
            assert checked == preset.base_url
        assert set(preset.as_dict()) >= {"base_url", "model_mini", "model_gpt4", "price_gpt4_output", "hint"}


def test_hosted_presets_default_to_list_prices_and_local_ones_to_free() -> None:
    assert preset_for("openai").prices() == {"mini": (0.15, 0.60), "gpt4": (2.50, 10.00)}
    assert preset_for("openrouter").prices()["gpt4"] == (2.50, 10.00)  # "openai/gpt-4o"
    for key in ("ollama", "lmstudio", "llamacpp", "vllm"):
        assert preset_for(key).prices() == {"mini": (0.0, 0.0), "gpt4": (0.0, 0.0)}
        assert not preset_for(key).needs_key


def test_the_price_table_matches_provider_prefixes_and_dated_snapshots() -> None:
    assert known_price("gpt-4o-mini-2024-07-18") == (0.15, 0.60)  # not gpt-4o's price
    assert known_price("openai/gpt-4o") == known_price("GPT-4o") == (2.50, 10.00)
    assert known_price("anthropic/claude-3.5-sonnet") == (3.00, 15.00)
    assert known_price("llama3.1:8b") is None and known_price("") is None
    assert all(i >= 0 and o >= i for i, o in price_table().values())  # output never cheaper than input


def test_a_keyless_local_server_is_usable_from_a_users_connection() -> None:
    with FakeChatServer(api_key=None) as server:
        conn = Connection(base_url=server.base_url, api_key="", source="user", allow_private_hosts=True)
        result = probe_connection(conn)
    assert result.ok, result.lines()
