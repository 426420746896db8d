"""Backends: ``offline`` (embedded procedural writer) and ``openai``."""

from __future__ import annotations

from typing import Any

from ..config import EngineConfig
from .base import LOCAL_WRITER, MODEL_API, Backend, Capabilities, Completion, Task
from .offline import OfflineBackend

BACKEND_NAMES: tuple[str, ...] = ("offline", "openai")
# The registered backends' capabilities, for a backend class that does not declare its own.
CAPABILITIES: dict[str, Capabilities] = {"offline": LOCAL_WRITER, "openai": MODEL_API}


def capabilities_of(backend: Backend | str) -> Capabilities:
    """A backend's (or a registered backend name's) capabilities; unknown ones are a paid model API."""
    declared = getattr(backend, "capabilities", None)
    if isinstance(declared, Capabilities):
        return declared
    name = backend if isinstance(backend, str) else getattr(backend, "name", "")
    return CAPABILITIES.get(name, MODEL_API)


def get_backend(name: str, config: EngineConfig | None = None, **options: Any) -> Backend:
    """``options`` go to HTTP backends (``sleep``: the wait between a call's attempts)."""
    config = config or EngineConfig()
    if name == "offline":
        return OfflineBackend()
    if name == "openai":
        # The openai SDK takes seconds to import; only this backend needs it.
        from .openai_backend import OpenAIBackend

        return OpenAIBackend(config, **options)
    raise ValueError(f"unknown backend {name!r} (allowed: {', '.join(BACKEND_NAMES)})")


def default_backend_name(config: EngineConfig) -> str:
    """The offline engine is the default whenever no API key is set."""
    return "openai" if config.connection.api_key else "offline"


__all__ = [
    "Backend",
    "Capabilities",
    "Completion",
    "Task",
    "capabilities_of",
    "get_backend",
    "default_backend_name",
    "BACKEND_NAMES",
]
