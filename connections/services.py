"""Writes for model connections: create, update, delete, pick the default; attach one to a job.

Each refuses bad input with a ``ConnectionInvalid`` (a ``UserFacingError``
naming the field) and then writes nothing. The key is encrypted before it
reaches the model and is never returned; only its hint ("sk-…abcd") is kept
in clear. Another user's connection id is refused exactly like an id that
does not exist.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlsplit

from django.db import IntegrityError, transaction

from accounts.models import User
from connections.crypto import InvalidToken, encrypt_key, mask_key, rotate_token
from connections.hosts import HostRefused, check_host_allowed
from connections.models import (
    MODEL_MAX_LENGTH,
    NAME_MAX_LENGTH,
    URL_MAX_LENGTH,
    JobConnection,
    JsonMode,
    ModelConnection,
)
from connections.selectors import NOT_YOURS, OFFLINE_NAME, OPERATOR_NAME, ConnectionInfo
from jobs.pipeline.connection import Connection
from narraforge.choices import ACTIVE_STATUSES
from narraforge.errors import UserFacingError
from narraforge.redaction import SECRET_PARAMS
from narraforge.textclean import strip_control_chars

if TYPE_CHECKING:
    from jobs.models import GenerationJob

__all__ = [
    "ConnectionInvalid",
    "connection_create",
    "connection_delete",
    "connection_keys_rotate",
    "connection_set_default",
    "connection_update",
    "job_connection_attach",
    "job_connection_settle",
    "validate_base_url",
]

MAX_KEY_LENGTH = 1000
MAX_PRICE = 10_000.0  # USD per 1M tokens: far above any model's list price; a typo guard
MIN_CONTEXT, MAX_CONTEXT = 512, 10_000_000


class ConnectionInvalid(UserFacingError):
    """A connection refused as typed; ``field`` names the input at fault."""


# --- validation -------------------------------------------------------------------------------------


def validate_name(name: str) -> str:
    text = strip_control_chars(name or "", multiline=False).strip()
    if not text:
        raise ConnectionInvalid("Give the connection a name, e.g. “My OpenAI key”.", field="name")
    if len(text) > NAME_MAX_LENGTH:
        raise ConnectionInvalid(
            f"The name is {len(text)} characters long; at most {NAME_MAX_LENGTH} are allowed.", field="name"
        )
    return text


def validate_base_url(url: str) -> str:
    """An http(s) URL with a host, no credentials in it, no secret in its query; trailing "/" dropped."""
    text = (url or "").strip()
    if not text:
        raise ConnectionInvalid(
            "Enter the server's address, e.g. https://api.openai.com/v1.", field="base_url"
        )
    if len(text) > URL_MAX_LENGTH:
        raise ConnectionInvalid(f"The address is longer than {URL_MAX_LENGTH} characters.", field="base_url")
    if any(c.isspace() for c in text) or strip_control_chars(text, multiline=False) != text:
        raise ConnectionInvalid("The address cannot contain spaces.", field="base_url")
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 (raises ValueError for a port out of range)
    except ValueError:
        raise ConnectionInvalid("That is not a valid address.", field="base_url") from None
    if parts.scheme.lower() not in ("http", "https"):
        raise ConnectionInvalid(
            "The address must start with http:// or https:// (e.g. http://localhost:11434/v1).",
            field="base_url",
        )
    if not parts.hostname:
        raise ConnectionInvalid("The address has no host name.", field="base_url")
    if parts.username or parts.password:
        # The URL is stored in clear; a password in it would be in every backup.
        raise ConnectionInvalid(
            "Leave the user name and password out of the address; put the key in the API key field.",
            field="base_url",
        )
    secret_names = {p.lower() for p in SECRET_PARAMS}
    if any(name.lower() in secret_names for name, _ in parse_qsl(parts.query, keep_blank_values=True)):
        raise ConnectionInvalid(
            "Leave the key out of the address; put it in the API key field.", field="base_url"
        )
    if parts.fragment:
        raise ConnectionInvalid("The address cannot have a #fragment.", field="base_url")
    try:
        check_host_allowed(text)  # link-local / metadata always, private unless the operator allows them
    except HostRefused as exc:
        raise ConnectionInvalid(str(exc), field="base_url") from None
    return text.rstrip("/")


def validate_api_key(key: str) -> str:
    text = (key or "").strip()
    if len(text) > MAX_KEY_LENGTH:
        raise ConnectionInvalid(f"The key is longer than {MAX_KEY_LENGTH} characters.", field="api_key")
    if any(c.isspace() for c in text) or not text.isprintable():
        raise ConnectionInvalid("The key cannot contain spaces or line breaks.", field="api_key")
    return text


def validate_model(name: str, field: str, tier_words: str) -> str:
    text = (name or "").strip()
    if not text:
        raise ConnectionInvalid(f"Name the model for {tier_words}, as the server lists it.", field=field)
    if len(text) > MODEL_MAX_LENGTH or any(c.isspace() for c in text) or not text.isprintable():
        raise ConnectionInvalid(
            f"“{text[:40]}” is not a model name (no spaces, at most {MODEL_MAX_LENGTH} characters).",
            field=field,
        )
    return text


def validate_context_window(value: Any) -> int | None:
    if value in (None, ""):
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise ConnectionInvalid(
            "The context window is a number of tokens, e.g. 8192.", field="context_window"
        ) from None
    if not MIN_CONTEXT <= number <= MAX_CONTEXT:
        raise ConnectionInvalid(
            f"The context window must be between {MIN_CONTEXT:,} and {MAX_CONTEXT:,} tokens.",
            field="context_window",
        )
    return number


def validate_price(value: Any, field: str) -> float:
    if value in (None, ""):
        return 0.0
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ConnectionInvalid(
            "A price is a number of dollars per 1M tokens, e.g. 0.15.", field=field
        ) from None
    if not math.isfinite(number) or number < 0 or number > MAX_PRICE:
        raise ConnectionInvalid(
            f"A price must be between $0 and ${MAX_PRICE:,.0f} per 1M tokens.", field=field
        )
    return number


def validate_json_mode(value: str) -> str:
    mode = (value or JsonMode.AUTO).strip()
    if mode not in JsonMode.values:
        raise ConnectionInvalid(
            f"Unknown JSON mode “{mode[:30]}” (allowed: {', '.join(JsonMode.values)}).", field="json_mode"
        )
    return mode


_PRICE_FIELDS = ("price_mini_input", "price_mini_output", "price_gpt4_input", "price_gpt4_output")


def _cleaned(fields: dict[str, Any]) -> dict[str, Any]:
    """The subset of connection fields given, validated (``ConnectionInvalid`` on the first bad one)."""
    out: dict[str, Any] = {}
    if "name" in fields:
        out["name"] = validate_name(fields["name"])
    if "base_url" in fields:
        out["base_url"] = validate_base_url(fields["base_url"])
    if "preset" in fields:
        out["preset"] = strip_control_chars(fields["preset"] or "", multiline=False).strip()[:40]
    if "model_mini" in fields:
        out["model_mini"] = validate_model(fields["model_mini"], "model_mini", "planning and checks (mini)")
    if "model_gpt4" in fields:
        out["model_gpt4"] = validate_model(fields["model_gpt4"], "model_gpt4", "writing the prose (gpt4)")
    if "context_window" in fields:
        out["context_window"] = validate_context_window(fields["context_window"])
    if "json_mode" in fields:
        out["json_mode"] = validate_json_mode(fields["json_mode"])
    for name in _PRICE_FIELDS:
        if name in fields:
            out[name] = validate_price(fields[name], name)
    return out


def _check_name_free(user: User, name: str, exclude_id: str | None = None) -> None:
    clash = ModelConnection.objects.filter(user_id=user.pk, name__iexact=name)
    if exclude_id:
        clash = clash.exclude(pk=exclude_id)
    if clash.exists():
        raise ConnectionInvalid(
            f"You already have a connection named “{name}”; pick another name.", field="name"
        )


def _lock_user(user: User) -> User:
    # Serialises one user's default switches and name checks (the unique indexes are the backstop).
    return User.objects.select_for_update().only("pk").get(pk=user.pk)


def _own(user: User, connection_id: str | None, *, lock: bool = False) -> ModelConnection:
    qs = ModelConnection.objects.filter(user_id=user.pk, pk=str(connection_id or ""))
    row = (qs.select_for_update() if lock else qs).first()
    if row is None:
        raise ConnectionInvalid(NOT_YOURS, field="connection")
    return row


def _save(row: ModelConnection, **kwargs: Any) -> None:
    try:
        with (
            transaction.atomic()
        ):  # a savepoint: the unique index refusing must not end the caller's transaction
            row.save(**kwargs)
    except IntegrityError:
        raise ConnectionInvalid(
            f"You already have a connection named “{row.name}”; pick another name.", field="name"
        ) from None


# --- writes -----------------------------------------------------------------------------------------


def connection_create(
    *,
    user: User,
    name: str,
    base_url: str,
    model_mini: str,
    model_gpt4: str,
    api_key: str = "",
    preset: str = "",
    context_window: int | None = None,
    json_mode: str = JsonMode.AUTO,
    price_mini_input: float = 0.0,
    price_mini_output: float = 0.0,
    price_gpt4_input: float = 0.0,
    price_gpt4_output: float = 0.0,
    is_default: bool = False,
) -> ModelConnection:
    """A new connection of ``user`` (the key encrypted); ``is_default`` makes it write their jobs."""
    fields = _cleaned(
        {
            "name": name,
            "base_url": base_url,
            "preset": preset,
            "model_mini": model_mini,
            "model_gpt4": model_gpt4,
            "context_window": context_window,
            "json_mode": json_mode,
            "price_mini_input": price_mini_input,
            "price_mini_output": price_mini_output,
            "price_gpt4_input": price_gpt4_input,
            "price_gpt4_output": price_gpt4_output,
        }
    )
    key = validate_api_key(api_key)
    with transaction.atomic():
        locked = _lock_user(user)
        _check_name_free(locked, fields["name"])
        if is_default:
            ModelConnection.objects.filter(user_id=locked.pk, is_default=True).update(is_default=False)
        row = ModelConnection(
            user_id=locked.pk,
            api_key_encrypted=encrypt_key(key),
            api_key_hint=mask_key(key),
            is_default=bool(is_default),
            **fields,
        )
        _save(row, force_insert=True)
        return row


def connection_update(
    *, user: User, connection_id: str, api_key: str | None = None, **fields: Any
) -> ModelConnection:
    """Change the given fields of the user's connection; ``api_key=None`` keeps the stored key,
    ``""`` removes it. ``is_default`` may be passed too. Unknown field names are a programming error."""
    is_default = fields.pop("is_default", None)
    unknown = set(fields) - {
        "name",
        "base_url",
        "preset",
        "model_mini",
        "model_gpt4",
        "context_window",
        "json_mode",
        *_PRICE_FIELDS,
    }
    if unknown:
        raise TypeError(f"connection_update() got unknown fields: {', '.join(sorted(unknown))}")
    cleaned = _cleaned(fields)
    key = validate_api_key(api_key) if api_key is not None else None
    with transaction.atomic():
        locked = _lock_user(user)
        row = _own(locked, connection_id, lock=True)
        if "name" in cleaned:
            _check_name_free(locked, cleaned["name"], exclude_id=row.pk)
        for name, value in cleaned.items():
            setattr(row, name, value)
        if key is not None:
            row.api_key_encrypted = encrypt_key(key)
            row.api_key_hint = mask_key(key)
        if is_default is not None:
            if is_default and not row.is_default:
                ModelConnection.objects.filter(user_id=locked.pk, is_default=True).update(is_default=False)
            row.is_default = bool(is_default)
        _save(row)
        return row


def connection_delete(*, user: User, connection_id: str) -> None:
    """Delete the user's connection; refused while one of their queued or running jobs writes with it."""
    with transaction.atomic():
        locked = _lock_user(user)
        row = _own(locked, connection_id, lock=True)
        busy = JobConnection.objects.filter(connection=row, job__status__in=ACTIVE_STATUSES).count()
        if busy:
            raise ConnectionInvalid(
                f"“{row.name}” is writing {busy} job{'s' if busy != 1 else ''} right now; "
                "cancel them or wait until they finish, then delete it.",
                field="connection",
            )
        row.delete()


def connection_set_default(*, user: User, connection_id: str | None) -> ModelConnection | None:
    """Make the user's connection the one that writes their jobs; None or "operator": the server's default."""
    with transaction.atomic():
        locked = _lock_user(user)
        if not connection_id or connection_id == "operator":
            ModelConnection.objects.filter(user_id=locked.pk, is_default=True).update(is_default=False)
            return None
        row = _own(locked, connection_id, lock=True)
        ModelConnection.objects.filter(user_id=locked.pk, is_default=True).exclude(pk=row.pk).update(
            is_default=False
        )
        if not row.is_default:
            row.is_default = True
            row.save(update_fields=["is_default", "updated_at"])
        return row


def job_connection_attach(*, job: GenerationJob, info: ConnectionInfo) -> JobConnection:
    """Record which connection writes ``job`` (inside the transaction that creates the job)."""
    return JobConnection.objects.create(
        job_id=job.pk,
        connection_id=info.id if info.own_key else None,
        own_key=info.own_key,
        name=info.name,
        base_url=info.base_url,
        tier_models=dict(info.models) if not info.is_offline else {},
        engine=info.engine,
    )


def job_connection_settle(*, job_id: str, value: Connection, backend: str) -> dict[str, Any]:
    """In the worker, as an attempt starts: record what really writes the job, and return that record.

    A writer's connection was fixed when the job was made. The server's default is what the
    worker's environment says now (web and workers normally share it); the snapshot is brought
    in line so the job page, the narrative and the ops status page name what actually wrote.
    A job made before connections existed gets its row here.
    """
    row = JobConnection.objects.filter(job_id=job_id).first()
    if row is not None and row.own_key:
        return row.info()
    offline = backend == "offline"
    fields = {
        "name": OFFLINE_NAME if offline else OPERATOR_NAME,
        "base_url": "" if offline else value.endpoint,
        "tier_models": {} if offline else dict(value.tier_models),
        "engine": backend,
    }
    if row is None:
        row, _ = JobConnection.objects.get_or_create(job_id=job_id, defaults={"own_key": False, **fields})
    elif any(getattr(row, k) != v for k, v in fields.items()):
        for name, field_value in fields.items():
            setattr(row, name, field_value)
        row.save(update_fields=list(fields))
    return row.info()


@dataclass(frozen=True)
class RotationReport:
    rotated: int
    without_key: int
    unreadable: list[str]  # connection ids whose token no configured key decrypts


def connection_keys_rotate() -> RotationReport:
    """Re-encrypt every stored key with the first NF_CONNECTION_KEYS key, all or nothing.

    If any token cannot be decrypted, nothing is written (and the report says which ones), so
    a rotation run with a key missing from the list never leaves keys half rotated.
    """
    rotated, without_key, unreadable = 0, 0, []
    with transaction.atomic():
        rows = list(
            ModelConnection.objects.select_for_update().only("pk", "api_key_encrypted").order_by("pk")
        )
        updates = []
        for row in rows:
            if not row.api_key_encrypted:
                without_key += 1
                continue
            try:
                row.api_key_encrypted = rotate_token(row.api_key_encrypted)
            except InvalidToken:
                unreadable.append(row.pk)
                continue
            updates.append(row)
        if unreadable:
            return RotationReport(0, without_key, unreadable)
        ModelConnection.objects.bulk_update(updates, ["api_key_encrypted"], batch_size=500)
        rotated = len(updates)
    return RotationReport(rotated, without_key, unreadable)
