"""Backends: ``offline`` (embedded procedural writer) and ``openai``."""

from __future__ import annotations

from ..config import EngineConfig
from .base import Backend, Completion, Task

BACKEND_NAMES: tuple[str, ...] = ("offline", "openai")


def get_backend(name: str, config: EngineConfig | None = None) -> Backend:
    config = config or EngineConfig()
    if name == "offline":
        from .offline import OfflineBackend

        return OfflineBackend()
    if name == "openai":
        from .openai_backend import OpenAIBackend

        return OpenAIBackend(config)
    raise ValueError(f"unknown backend {name!r} (allowed: {', '.join(BACKEND_NAMES)})")


def default_backend_name(config: EngineConfig) -> str:
    """The offline engine is the default whenever no API key is set."""
    return "openai" if config.connection.api_key else "offline"


__all__ = ["Backend", "Completion", "Task", "get_backend", "default_backend_name", "BACKEND_NAMES"]
