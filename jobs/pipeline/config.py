"""Engine settings: the model connection, the HTTP retry policy and segment size.

Django settings (or the CLI) build one of these; the pipeline never reads the
environment itself except through ``EngineConfig.from_env`` when asked to.
The same variable names serve both (``NF_MODEL_*``, ``NF_LLM_*``,
``OPENAI_API_KEY``, ``OPENAI_BASE_URL``; see ``.env.example``).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field

from .connection import (
    DEFAULT_PRICES,
    DEFAULT_TIER_MODELS,
    JSON_MODE_MEMORY,
    Connection,
    JsonModeMemory,
)

TIERS: tuple[str, ...] = ("mini", "gpt4")
DEFAULT_MAX_ATTEMPTS = 5  # the one default for attempts per model call (NF_LLM_MAX_ATTEMPTS)
DEFAULT_IDLE_TIMEOUT = 120.0  # seconds without a streamed token (NF_LLM_TIMEOUT_SECONDS)

__all__ = ["EngineConfig", "TIERS", "DEFAULT_MAX_ATTEMPTS", "DEFAULT_IDLE_TIMEOUT", "DEFAULT_PRICES"]


@dataclass
class EngineConfig:
    connection: Connection = field(default_factory=Connection)
    # Seconds without a byte from the server (an idle timeout, not a cap on a long answer).
    request_timeout: float = DEFAULT_IDLE_TIMEOUT
    max_attempts: int = DEFAULT_MAX_ATTEMPTS  # total attempts per call, first one included
    backoff_base: float = 1.0  # seconds; doubled per attempt, plus jitter
    backoff_cap: float = 30.0  # no single wait is longer than this
    segment_words: int = 2500  # aim for segments of about this many words
    # The tier of stage 08's polishing pass (NF_POLISH_TIER): "mini" or "gpt4"; see polish.py.
    polish_tier: str = "mini"
    json_modes: JsonModeMemory = field(default=JSON_MODE_MEMORY, repr=False, compare=False)

    # -- the connection's answers, kept here for the stages and the estimate ------
    @property
    def tier_models(self) -> dict[str, str]:
        return dict(self.connection.tier_models)

    def __post_init__(self) -> None:
        if self.polish_tier not in TIERS:
            raise ValueError(
                f"NF_POLISH_TIER: unknown value {self.polish_tier!r} (allowed: {', '.join(TIERS)})"
            )

    def model_for(self, tier: str) -> str:
        return self.connection.model_for(tier)

    def price_for(self, model: str) -> tuple[float, float]:
        return self.connection.price_for(model)

    def cost(self, model: str, prompt_tokens: int, completion_tokens: int) -> float:
        return self.connection.cost(model, prompt_tokens, completion_tokens)

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> EngineConfig:
        env = os.environ if environ is None else environ
        models = dict(DEFAULT_TIER_MODELS)
        for tier in TIERS:
            if env.get(f"NF_MODEL_{tier.upper()}"):
                models[tier] = env[f"NF_MODEL_{tier.upper()}"]
        prices = dict(DEFAULT_PRICES)
        if env.get("NF_MODEL_PRICES"):
            raw = json.loads(env["NF_MODEL_PRICES"])
            prices = {m: (float(p[0]), float(p[1])) for m, p in raw.items()}
        window = env.get("NF_LLM_CONTEXT_WINDOW", "")
        connection = Connection(
            base_url=env.get("OPENAI_BASE_URL", ""),
            api_key=env.get("OPENAI_API_KEY", ""),
            tier_models=models,
            context_window=int(window) if window else None,
            json_mode=env.get("NF_LLM_JSON_MODE", "") or "auto",
            prices=prices,
            stream=env.get("NF_LLM_STREAM", "1").lower() not in ("0", "false", "no", "off"),
        )
        return cls(
            connection=connection,
            request_timeout=float(env.get("NF_LLM_TIMEOUT_SECONDS") or DEFAULT_IDLE_TIMEOUT),
            max_attempts=int(env.get("NF_LLM_MAX_ATTEMPTS") or DEFAULT_MAX_ATTEMPTS),
            polish_tier=(env.get("NF_POLISH_TIER") or "mini").strip().lower(),
        )
