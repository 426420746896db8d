"""The generation engine as configured by Django settings.

`jobs.pipeline` reads no settings; this module turns NF_LLM_BACKEND,
OPENAI_API_KEY, OPENAI_BASE_URL, NF_MODEL_MINI/GPT4, NF_MODEL_PRICES,
NF_LLM_TIMEOUT_SECONDS, NF_LLM_MAX_ATTEMPTS into an EngineConfig and a backend.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings

from jobs.pipeline import Brief, EngineConfig, estimate_cost, get_backend


def backend_name() -> str:
    return settings.NF_LLM_BACKEND or ("openai" if settings.OPENAI_API_KEY else "offline")


def engine_config() -> EngineConfig:
    prices = {model: (float(p[0]), float(p[1])) for model, p in (settings.NF_MODEL_PRICES or {}).items()}
    return EngineConfig(
        tier_models={"mini": settings.NF_MODEL_MINI, "gpt4": settings.NF_MODEL_GPT4},
        prices=prices,
        openai_api_key=settings.OPENAI_API_KEY or "",
        openai_base_url=settings.OPENAI_BASE_URL or "",
        request_timeout=float(settings.NF_LLM_TIMEOUT_SECONDS),
        max_attempts=int(settings.NF_LLM_MAX_ATTEMPTS),
    )


def engine_backend(config: EngineConfig | None = None, name: str | None = None, **options: Any) -> Any:
    return get_backend(name or backend_name(), config or engine_config(), **options)


def call_deadline_seconds() -> float:
    """NF_LLM_CALL_DEADLINE_SECONDS: a model call's attempts and waits together stop after this long."""
    return float(settings.NF_LLM_CALL_DEADLINE_SECONDS)


def engine_estimate_usd(brief: Brief, *, plan: dict[str, Any] | None = None, part: str = "all") -> float:
    """The pipeline's cost estimate with the configured backend and prices.

    ``plan``: the words a reviewed plan or a revision will write (not the brief's target);
    ``part``: "planning" for a plan-review job's stages 01–05 (see ``estimate_cost``).
    """
    fixed = getattr(settings, "NF_FIXED_ESTIMATE_USD", None)
    if fixed is not None:  # the settings seam for tests and benches of the limits
        return round(float(fixed), 6)
    estimate = estimate_cost(brief, engine_config(), backend_name(), plan=plan, part=part)
    if isinstance(estimate, dict):  # tolerate a breakdown; the total is what limits need
        estimate = estimate.get("total_usd", estimate.get("cost_usd", 0.0))
    return round(float(getattr(estimate, "total_usd", estimate)), 6)


def job_cost_cap_usd() -> float | None:
    cap = getattr(settings, "NF_JOB_COST_CAP_USD", None)
    return None if cap in (None, "", 0) else float(cap)
