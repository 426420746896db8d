"""``manage.py llm_check`` against a local wire-format server:
ready, or a clear refusal (in the probe's words)."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from jobs.pipeline.connection import JSON_MODE_MEMORY
from jobs.pipeline.testing import FakeChatServer


@pytest.fixture
def model_settings(settings):
    def point_at(server: FakeChatServer, **extra) -> None:
        settings.NF_LLM_BACKEND = "openai"
        settings.OPENAI_API_KEY = server.api_key
        settings.OPENAI_BASE_URL = server.base_url
        for key, value in extra.items():
            setattr(settings, key, value)

    return point_at


def test_a_served_model_pair_is_reported_ready_with_the_window(model_settings, redis_conn) -> None:
    with FakeChatServer(context_window=8192) as server:
        model_settings(server)
        out = StringIO()
        call_command("llm_check", stdout=out)
    text = out.getvalue()
    assert "gpt-4o-mini answered" in text and "gpt-4o answered" in text
    assert "Context window: 8,192 tokens (stated by the server)" in text and "is ready" in text
    assert "JSON: structured outputs (JSON schema)" in text


def test_an_unknown_model_name_is_a_clear_refusal(model_settings, redis_conn) -> None:
    with FakeChatServer(models=("llama-3-8b",)) as server:
        model_settings(server, NF_MODEL_GPT4="gpt-9")
        with pytest.raises(
            CommandError,
            match=r"(?s)does not offer the models “gpt-4o-mini”.* and “gpt-9”.*offers: llama-3-8b",
        ):
            call_command("llm_check", stdout=StringIO())
        assert server.requests == []  # nothing was generated


def test_a_refused_key_is_a_clear_refusal(model_settings, redis_conn) -> None:
    with FakeChatServer() as server:
        model_settings(server, OPENAI_API_KEY="wrong")
        with pytest.raises(CommandError, match="refused the API key") as refused:
            call_command("llm_check", stdout=StringIO())
        assert "Incorrect API key provided" in str(refused.value)  # the server's own reason


def test_the_detected_json_mode_is_remembered_for_jobs(model_settings, redis_conn) -> None:
    with FakeChatServer(json_modes=("json_object",)) as server:
        model_settings(server)
        JSON_MODE_MEMORY.forget()
        out = StringIO()
        call_command("llm_check", stdout=out)
        assert "JSON: JSON mode" in out.getvalue()
        assert JSON_MODE_MEMORY.get(server.base_url) == "json_object"
