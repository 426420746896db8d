"""Engine settings: tier routing, prices and the HTTP retry policy.

Django settings (or the CLI) build one of these; the pipeline never reads the
environment itself except through ``EngineConfig.from_env`` when asked to.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

DEFAULT_TIER_MODELS: dict[str, str] = {"mini": "gpt-4o-mini", "gpt4": "gpt-4o"}
# USD per 1M tokens: (input, output).
DEFAULT_PRICES: dict[str, tuple[float, float]] = {
    "gpt-4o-mini": (0.15, 0.60),
    "gpt-4o": (2.50, 10.00),
}
TIERS: tuple[str, ...] = ("mini", "gpt4")


@dataclass
class EngineConfig:
    tier_models: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_TIER_MODELS))
    prices: dict[str, tuple[float, float]] = field(default_factory=lambda: dict(DEFAULT_PRICES))
    openai_api_key: str = ""
    openai_base_url: str = ""  # empty: the SDK's default (api.openai.com)
    request_timeout: float = 120.0  # seconds per HTTP attempt
    max_attempts: int = 5  # total attempts per call, first one included
    backoff_base: float = 1.0  # seconds; doubled per attempt, plus jitter
    backoff_cap: float = 30.0  # no single wait is longer than this
    segment_words: int = 2500  # aim for segments of about this many words

    def model_for(self, tier: str) -> str:
        try:
            return self.tier_models[tier]
        except KeyError:
            raise ValueError(f"no model configured for tier {tier!r}") from None

    def price_for(self, model: str) -> tuple[float, float]:
        # An unknown model (a local vLLM, say) is free unless a price is set.
        return self.prices.get(model, (0.0, 0.0))

    def cost(self, model: str, prompt_tokens: int, completion_tokens: int) -> float:
        price_in, price_out = self.price_for(model)
        return (prompt_tokens * price_in + completion_tokens * price_out) / 1_000_000

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> EngineConfig:
        env = os.environ if environ is None else environ
        config = cls(
            openai_api_key=env.get("OPENAI_API_KEY", ""),
            openai_base_url=env.get("OPENAI_BASE_URL", ""),
        )
        if env.get("NARRAFORGE_MODEL_MINI"):
            config.tier_models["mini"] = env["NARRAFORGE_MODEL_MINI"]
        if env.get("NARRAFORGE_MODEL_GPT4"):
            config.tier_models["gpt4"] = env["NARRAFORGE_MODEL_GPT4"]
        return config
