"""``manage.py llm_check`` against a local wire-format server: ready, or a clear refusal."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

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
    assert "gpt-4o-mini: served" in text and "context window: 8192" in text and "is ready" in text


def test_an_unknown_model_name_is_a_clear_refusal(model_settings, redis_conn) -> None:
    with FakeChatServer(models=("llama-3-8b",)) as server:
        model_settings(server, NF_MODEL_GPT4="gpt-9")
        with pytest.raises(CommandError, match=r"does not serve the configured model.*gpt-9.*llama-3-8b"):
            call_command("llm_check", stdout=StringIO())
        assert server.requests == []  # nothing was generated


def test_a_refused_key_is_a_clear_refusal(model_settings, redis_conn) -> None:
    with FakeChatServer() as server:
        model_settings(server, OPENAI_API_KEY="wrong")
        with pytest.raises(CommandError, match="refused the API key"):
            call_command("llm_check", stdout=StringIO())
