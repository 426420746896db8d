"""The generation engine as configured by Django settings.

`jobs.pipeline` reads no settings; this module turns them into a
``Connection`` (OPENAI_BASE_URL, OPENAI_API_KEY, NF_MODEL_MINI/GPT4,
NF_LLM_CONTEXT_WINDOW, NF_LLM_JSON_MODE, NF_MODEL_PRICES), an EngineConfig
(NF_LLM_TIMEOUT_SECONDS, NF_LLM_MAX_ATTEMPTS, NF_POLISH_TIER) and a backend. The JSON mode a
server turned out to accept is remembered per endpoint in this process and in
Redis (``nf:llm:json-mode:<endpoint>``, a day), so every worker skips the
refusal after the first one.
"""

from __future__ import annotations

import hashlib
from typing import Any

from django.conf import settings

from connections.selectors import operator_backend_name, operator_value
from jobs.pipeline import Brief, EngineConfig, estimate_cost, get_backend
from jobs.pipeline.connection import JSON_MODE_MEMORY, Connection
from jobs.queues import connection as redis_connection

JSON_MODE_TTL_SECONDS = 24 * 3600


class RedisModeStore:
    """``JsonModeMemory``'s shared copy: one Redis key per endpoint (hashed: no URL in key names)."""

    def _key(self, endpoint: str) -> str:
        return "nf:llm:json-mode:" + hashlib.sha256(endpoint.encode()).hexdigest()[:24]

    def get(self, endpoint: str) -> str | None:
        raw = redis_connection().get(self._key(endpoint))
        return raw.decode() if isinstance(raw, bytes) else raw

    def set(self, endpoint: str, mode: str) -> None:
        redis_connection().set(self._key(endpoint), mode, ex=JSON_MODE_TTL_SECONDS)


if JSON_MODE_MEMORY.store is None:
    JSON_MODE_MEMORY.store = RedisModeStore()


def backend_name() -> str:
    """The operator's backend (a writer's own connection always runs "openai")."""
    return operator_backend_name()


def engine_connection() -> Connection:
    """The operator's model connection from settings (a writer's own: ``connections.selectors``)."""
    return operator_value()


def allow_private_model_hosts() -> bool:
    """NF_ALLOW_PRIVATE_MODEL_HOSTS: a writer's connection may use private/loopback addresses.

    Pass it as ``Connection(source="user", allow_private_hosts=...)`` and to
    ``hostguard.check_base_url`` when a connection is saved.
    """
    return bool(getattr(settings, "NF_ALLOW_PRIVATE_MODEL_HOSTS", False))


def engine_config(connection: Connection | None = None) -> EngineConfig:
    return EngineConfig(
        connection=connection or engine_connection(),
        request_timeout=float(settings.NF_LLM_TIMEOUT_SECONDS),
        max_attempts=int(settings.NF_LLM_MAX_ATTEMPTS),
        json_modes=JSON_MODE_MEMORY,
        polish_tier=getattr(settings, "NF_POLISH_TIER", "mini"),
    )


def engine_backend(config: EngineConfig | None = None, name: str | None = None, **options: Any) -> Any:
    return get_backend(name or backend_name(), config or engine_config(), **options)


def call_deadline_seconds() -> float:
    """NF_LLM_CALL_DEADLINE_SECONDS: a model call's attempts and waits together stop after this long."""
    return float(settings.NF_LLM_CALL_DEADLINE_SECONDS)


def engine_estimate_usd(
    brief: Brief,
    *,
    plan: dict[str, Any] | None = None,
    part: str = "all",
    connection: Connection | None = None,
    backend: str | None = None,
) -> float:
    """The pipeline's cost estimate with the configured backend and prices.

    ``plan``: the words a reviewed plan or a revision will write (not the brief's target);
    ``part``: "planning" for a plan-review job's stages 01–05 (see ``estimate_cost``);
    ``connection`` / ``backend``: the connection that will write (default: the operator's),
    whose prices the estimate uses (``connections.selectors.estimate_value``).
    """
    fixed = getattr(settings, "NF_FIXED_ESTIMATE_USD", None)
    if fixed is not None:  # the settings seam for tests and benches of the limits
        return round(float(fixed), 6)
    config = engine_config(connection)
    estimate = estimate_cost(brief, config, backend or backend_name(), plan=plan, part=part)
    if isinstance(estimate, dict):  # tolerate a breakdown; the total is what limits need
        estimate = estimate.get("total_usd", estimate.get("cost_usd", 0.0))
    return round(float(getattr(estimate, "total_usd", estimate)), 6)


def job_cost_cap_usd() -> float | None:
    cap = getattr(settings, "NF_JOB_COST_CAP_USD", None)
    return None if cap in (None, "", 0) else float(cap)
