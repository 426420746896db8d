"""Reads for model connections: the operator's default, a writer's own, what will write a job.

Every per-user read takes the user and filters on it: another user's id finds
nothing (views turn that into a 404, services into a refusal). Only
``connection_value`` and ``connection_for_job`` return a key in clear — for the
worker and the test button; everything meant for a page is a ``ConnectionInfo``,
which holds a masked hint and never the key.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.conf import settings

from connections.crypto import decrypt_key, mask_key
from connections.hosts import allow_private_hosts
from connections.models import JobConnection, ModelConnection
from jobs.pipeline.connection import Connection
from narraforge.errors import UserFacingError

if TYPE_CHECKING:
    from accounts.models import User

OPERATOR = "operator"  # the form's value (and ConnectionInfo.id) for the server's default connection
OPERATOR_NAME = "Server default"
OFFLINE_NAME = "Offline engine"
NO_KEY_PLACEHOLDER = "no-key"  # what a keyless local server (Ollama, llama.cpp) is sent as a bearer token

__all__ = [
    "OPERATOR",
    "ConnectionGone",
    "ConnectionInfo",
    "connection_for_job",
    "connection_for_user",
    "connection_info",
    "connection_value",
    "connections_for_user",
    "default_connection_for_user",
    "job_connection_info",
    "job_uses_own_key",
    "operator_backend_name",
    "operator_connection",
    "operator_value",
    "what_will_write",
]


class ConnectionGone(UserFacingError):
    """The connection a job was to write with no longer exists (deleted after the job was created)."""


class ConnectionNotFound(UserFacingError):
    """Another user's connection id, or one that does not exist: said the same way for both."""


NOT_YOURS = "That connection does not exist or is not yours."


@dataclass(frozen=True)
class ConnectionInfo:
    """What a page may show about a connection: never the key, only its hint."""

    id: str  # OPERATOR or the row's id
    name: str
    kind: str  # "operator" or "own"
    engine: str  # "openai" or "offline"
    base_url: str = ""
    key_hint: str = ""
    models: dict[str, str] = field(default_factory=dict)
    context_window: int | None = None
    json_mode: str = "auto"
    prices: dict[str, tuple[float, float]] = field(default_factory=dict)  # tier → USD per 1M (in, out)
    is_default: bool = False
    preset: str = ""

    @property
    def own_key(self) -> bool:
        return self.kind == "own"

    @property
    def is_offline(self) -> bool:
        return self.engine == "offline"

    def metadata(self) -> dict[str, Any]:
        """The record a job and each narrative version keep of what wrote them."""
        return {
            "name": self.name,
            "own_key": self.own_key,
            "engine": self.engine,
            "models": dict(self.models) if not self.is_offline else {},
        }


# --- the operator's default (from the environment) -------------------------------------------------


def operator_backend_name() -> str:
    return settings.NF_LLM_BACKEND or ("openai" if settings.OPENAI_API_KEY else "offline")


def operator_value() -> Connection:
    """The operator's connection as the pipeline's value object, key included (workers only)."""
    prices = {model: (float(p[0]), float(p[1])) for model, p in (settings.NF_MODEL_PRICES or {}).items()}
    return Connection(
        base_url=settings.OPENAI_BASE_URL or "",
        api_key=settings.OPENAI_API_KEY or "",
        tier_models={"mini": settings.NF_MODEL_MINI, "gpt4": settings.NF_MODEL_GPT4},
        context_window=settings.NF_LLM_CONTEXT_WINDOW or None,
        json_mode=settings.NF_LLM_JSON_MODE or "auto",
        prices=prices,
        stream=settings.NF_LLM_STREAM,
    )


def operator_connection() -> ConnectionInfo:
    """The server's default, read-only (it is changed in the environment, not in the app)."""
    value = operator_value()
    engine = operator_backend_name()
    models = dict(value.tier_models)
    return ConnectionInfo(
        id=OPERATOR,
        name=OPERATOR_NAME if engine != "offline" else OFFLINE_NAME,
        kind="operator",
        engine=engine,
        base_url=value.endpoint if engine != "offline" else "",
        key_hint=mask_key(value.api_key),
        models=models,
        context_window=value.context_window,
        json_mode=value.json_mode,
        prices={tier: value.price_for(model) for tier, model in models.items()},
    )


# --- a writer's own ------------------------------------------------------------------------------------


def connections_for_user(*, user: User) -> list[ModelConnection]:
    """The user's connections, the default first, then by name."""
    return list(ModelConnection.objects.filter(user_id=user.pk).order_by("-is_default", "name"))


def connection_for_user(*, user: User, connection_id: str | None) -> ModelConnection | None:
    """The user's connection with that id, or None (another user's, or none at all)."""
    if not connection_id or connection_id == OPERATOR:
        return None
    return ModelConnection.objects.filter(user_id=user.pk, pk=str(connection_id)).first()


def default_connection_for_user(*, user: User) -> ModelConnection | None:
    return ModelConnection.objects.filter(user_id=user.pk, is_default=True).first()


def connection_info(row: ModelConnection) -> ConnectionInfo:
    return ConnectionInfo(
        id=row.pk,
        name=row.name,
        kind="own",
        engine="openai",
        base_url=row.base_url,
        key_hint=row.masked_key,
        models=row.tier_models(),
        context_window=row.context_window,
        json_mode=row.json_mode,
        prices=row.tier_prices(),
        is_default=row.is_default,
        preset=row.preset,
    )


def connection_value(row: ModelConnection, *, api_key: str | None = None) -> Connection:
    """The pipeline's value object for a writer's connection, with the key decrypted.

    For the worker and the test button only; ``api_key`` overrides the stored key (a
    form being tested before it is saved). A keyless local server gets a placeholder
    bearer token (the OpenAI client insists on one).
    """
    key = api_key if api_key is not None else decrypt_key(row.api_key_encrypted)
    prices: dict[str, tuple[float, float]] = {}
    # Both tiers may name one model: the gpt4 tier's price wins (the one that writes the prose).
    for tier in ("mini", "gpt4"):
        prices[row.tier_models()[tier]] = row.tier_prices()[tier]
    return Connection(
        base_url=row.base_url,
        api_key=key or NO_KEY_PLACEHOLDER,
        tier_models=row.tier_models(),
        context_window=row.context_window,
        json_mode=row.json_mode,
        prices=prices,
        stream=settings.NF_LLM_STREAM,
        # Every request of a writer's connection goes through the host guard (jobs.pipeline.hostguard).
        source="user",
        allow_private_hosts=allow_private_hosts(),
    )


def estimate_value(info: ConnectionInfo) -> tuple[Connection, str]:
    """A key-less value object and backend name for estimating a job at that connection's prices."""
    if info.kind == "operator":
        return operator_value().with_changes(api_key=""), info.engine
    prices = {info.models[tier]: info.prices[tier] for tier in ("mini", "gpt4")}
    return (
        Connection(
            base_url=info.base_url,
            tier_models=dict(info.models),
            context_window=info.context_window,
            json_mode=info.json_mode,
            prices=prices,
            stream=settings.NF_LLM_STREAM,
        ),
        info.engine,
    )


def what_will_write(*, user: User, choice: str | None = None) -> ConnectionInfo:
    """Which connection writes a job of ``user``: ``choice`` is "" / None (the user's default, else the
    server's), ``OPERATOR`` (the server's) or the id of one of the user's connections.

    Raises ``ConnectionNotFound`` for any other id (another user's included).
    """
    if choice == OPERATOR:
        return operator_connection()
    if choice:
        row = connection_for_user(user=user, connection_id=choice)
        if row is None:
            raise ConnectionNotFound(NOT_YOURS, field="connection")
        return connection_info(row)
    row = default_connection_for_user(user=user)
    return connection_info(row) if row is not None else operator_connection()


# --- jobs ------------------------------------------------------------------------------------------------


def job_connection_info(*, job: Any) -> dict[str, Any] | None:
    """What wrote (or will write) the job: {"name", "own_key", "engine", "models"}; None for older jobs."""
    state = getattr(job, "_state", None)
    row = state.fields_cache.get("connection_choice", False) if state is not None else False
    if row is False:  # not read with the job (jobs.selectors.job_of_user(page=True) reads it)
        row = JobConnection.objects.filter(job_id=job.pk).first()
    return row.info() if row is not None else None


def job_uses_own_key(job_id: str) -> bool:
    return JobConnection.objects.filter(job_id=job_id, own_key=True).exists()


def connection_for_job(job_id: str) -> tuple[Connection, str]:
    """In the worker: the job's connection value (key decrypted here) and the backend to run.

    A job created before connections existed, or on the server's default, runs on the
    operator's connection as configured in the worker's environment now. Raises
    ``ConnectionGone`` when the writer deleted the connection after creating the job,
    and ``KeyUnreadable`` when the stored key cannot be decrypted.
    """
    row = JobConnection.objects.select_related("connection").filter(job_id=job_id).first()
    if row is None or not row.own_key:
        return operator_value(), operator_backend_name()
    if row.connection is None:
        raise ConnectionGone(
            f"The connection “{row.name}” this job was to write with has been deleted. "
            "Start a new job with another connection."
        )
    return connection_value(row.connection), "openai"
