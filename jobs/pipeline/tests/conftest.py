"""Fixtures for the engine's tests: plain pytest, no Django, no database."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from jobs.pipeline import Brief, EngineConfig, get_backend
from jobs.pipeline.connection import Connection, JsonModeMemory
from jobs.pipeline.testing import FakeChatServer


def make_brief(**overrides: object) -> Brief:
    data: dict[str, object] = {
        "production_type": "short_story",
        "genre": "fantasy",
        "inspiration": "A cartographer learns that the maps she draws change the land itself.",
        "target_words": 5000,
    }
    data.update(overrides)
    return Brief.from_dict(data)


@pytest.fixture
def brief() -> Brief:
    return make_brief()


@pytest.fixture
def offline():
    return get_backend("offline")


@pytest.fixture
def server() -> Iterator[FakeChatServer]:
    with FakeChatServer() as srv:
        yield srv


@pytest.fixture
def openai_config(server: FakeChatServer) -> EngineConfig:
    # Tiny backoff and timeout keep retry tests fast.
    return EngineConfig(
        connection=Connection(base_url=server.base_url, api_key=server.api_key),
        json_modes=JsonModeMemory(),
        request_timeout=2.0,
        max_attempts=3,
        backoff_base=0.01,
        backoff_cap=0.05,
    )
