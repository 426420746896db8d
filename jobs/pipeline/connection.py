"""One model connection: where to call, with which key, which models, how big, how to ask for JSON.

A ``Connection`` is a frozen value. The Django side builds it from settings
today (``jobs.engine_settings.engine_connection``); per-user connections will build it
from a database row. The pipeline never reads the environment for it.

``json_mode`` is how structured answers are requested:

* ``json_schema`` — ``response_format: {"type": "json_schema", strict}`` (OpenAI, vLLM, recent llama.cpp);
* ``json_object`` — ``{"type": "json_object", "schema": ...}`` with the schema also in the prompt
  (llama-cpp-python, Ollama, LM Studio);
* ``prompt`` — no ``response_format`` at all; the schema is in the prompt only;
* ``auto`` — start with ``json_schema`` and fall back along that list when a server refuses
  a mode; the mode that worked is remembered per endpoint (``JsonModeMemory``).

``stream`` (default on) streams every answer: prose reaches the job page as it
is written and the timeout is an idle timeout. A server that sends no usage
with a stream (llama-cpp-python) has its tokens counted: one per streamed
chunk or ~4 characters each, whichever is more, and the prompt estimated.
With ``stream`` off, answers come whole and every server reports their usage.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Protocol

JSON_MODES: tuple[str, ...] = ("json_schema", "json_object", "prompt")
JSON_MODE_CHOICES: tuple[str, ...] = ("auto", *JSON_MODES)
DEFAULT_TIER_MODELS: dict[str, str] = {"mini": "gpt-4o-mini", "gpt4": "gpt-4o"}
# USD per 1M tokens: (input, output).
DEFAULT_PRICES: dict[str, tuple[float, float]] = {
    "gpt-4o-mini": (0.15, 0.60),
    "gpt-4o": (2.50, 10.00),
}
DEFAULT_CONTEXT_WINDOW = 128_000  # what hosted models give when nothing else is known


@dataclass(frozen=True)
class Connection:
    base_url: str = ""  # empty: https://api.openai.com/v1
    api_key: str = field(default="", repr=False)  # never printed
    tier_models: Mapping[str, str] = field(default_factory=lambda: dict(DEFAULT_TIER_MODELS))
    context_window: int | None = None  # tokens; None: ask the server, else DEFAULT_CONTEXT_WINDOW
    json_mode: str = "auto"
    prices: Mapping[str, tuple[float, float]] = field(default_factory=lambda: dict(DEFAULT_PRICES))
    # Stream answers (live prose, idle timeout). Off: whole answers, whose usage every server reports.
    stream: bool = True
    # "operator": the environment's connection (trusted, called as configured); "user": a writer's own,
    # whose every request goes through the host guard (``hostguard``; no redirects, no private hosts
    # unless ``allow_private_hosts``) and whose errors speak of "this connection", not of settings.
    source: str = "operator"
    allow_private_hosts: bool = False

    def __post_init__(self) -> None:
        if self.json_mode not in JSON_MODE_CHOICES:
            raise ValueError(
                f"unknown JSON mode {self.json_mode!r} (allowed: {', '.join(JSON_MODE_CHOICES)})"
            )
        if self.source not in ("operator", "user"):
            raise ValueError(f"unknown connection source {self.source!r} (allowed: operator, user)")
        if self.context_window is not None and self.context_window < 512:
            raise ValueError(f"a context window of {self.context_window} tokens is too small (512 at least)")

    @property
    def guarded(self) -> bool:
        """True when requests must pass the host guard (a writer's own connection)."""
        return self.source == "user"

    @property
    def endpoint(self) -> str:
        """What identifies the server for remembered facts (JSON mode, context window)."""
        return (self.base_url or "https://api.openai.com/v1").rstrip("/")

    def model_for(self, tier: str) -> str:
        try:
            return self.tier_models[tier]
        except KeyError:
            raise ValueError(f"no model configured for tier {tier!r}") from None

    def price_for(self, model: str) -> tuple[float, float]:
        # An unknown model (a local vLLM, say) is free unless a price is set.
        return tuple(self.prices.get(model, (0.0, 0.0)))  # type: ignore[return-value]

    def cost(self, model: str, prompt_tokens: int, completion_tokens: int) -> float:
        price_in, price_out = self.price_for(model)
        return (prompt_tokens * price_in + completion_tokens * price_out) / 1_000_000

    def with_changes(self, **changes: object) -> Connection:
        return replace(self, **changes)  # type: ignore[arg-type]


class ModeStore(Protocol):
    """Somewhere shared to keep a detected JSON mode (Redis on the Django side)."""

    def get(self, endpoint: str) -> str | None: ...

    def set(self, endpoint: str, mode: str) -> None: ...


class JsonModeMemory:
    """The JSON mode that last worked per endpoint: in this process, and in ``store`` when given.

    A worker that learnt "this server refuses json_schema" tells the others
    through the store, so only the first call after a deploy pays a refusal.
    """

    def __init__(self, store: ModeStore | None = None) -> None:
        self._modes: dict[str, str] = {}
        self._lock = threading.Lock()
        self.store = store

    def get(self, endpoint: str) -> str | None:
        with self._lock:
            mode = self._modes.get(endpoint)
        if mode is None and self.store is not None:
            try:
                mode = self.store.get(endpoint)
            except Exception:  # a shared store that is down only costs a re-detection
                mode = None
            if mode in JSON_MODES:
                with self._lock:
                    self._modes[endpoint] = mode
            else:
                mode = None
        return mode

    def set(self, endpoint: str, mode: str) -> None:
        with self._lock:
            self._modes[endpoint] = mode
        if self.store is not None:
            with contextlib.suppress(Exception):  # see get(): losing the shared copy is harmless
                self.store.set(endpoint, mode)

    def forget(self, endpoint: str | None = None) -> None:
        with self._lock:
            if endpoint is None:
                self._modes.clear()
            else:
                self._modes.pop(endpoint, None)


JSON_MODE_MEMORY = JsonModeMemory()  # the process-wide default; Django attaches a Redis store
