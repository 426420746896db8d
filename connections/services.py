"""Writes for model connections: create, update, delete, pick the default; attach one to a job.

Each refuses bad input with a ``ConnectionInvalid`` (a ``UserFacingError``
naming the field) and then writes nothing. The key is encrypted before it
reaches the model and is never returned; only its hint ("sk-…abcd") is kept
in clear. Another user's connection id is refused exactly like an id that
does not exist.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db import IntegrityError, transaction

from accounts.models import User
from connections.crypto import InvalidToken, encrypt_key, mask_key, rotate_token
from connections.models import JobConnection, JsonMode, ModelConnection
from connections.selectors import NOT_YOURS, OFFLINE_NAME, OPERATOR_NAME, ConnectionInfo
from connections.validation import (
    PRICE_FIELDS,
    ConnectionInvalid,
    clean_fields,
    validate_api_key,
    validate_base_url,
)
from jobs.pipeline.connection import Connection
from narraforge.choices import ACTIVE_STATUSES

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
    fields = clean_fields(
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
        *PRICE_FIELDS,
    }
    if unknown:
        raise TypeError(f"connection_update() got unknown fields: {', '.join(sorted(unknown))}")
    cleaned = clean_fields(fields)
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
