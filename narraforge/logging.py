"""Structured logging: a JSON formatter, a context filter and optional Sentry.

Every record passes ``ContextFilter``, which adds ``user_id`` and ``job_id``:

* in a worker, ``job_context(job_id=..., user_id=...)`` (entered by the job
  task and the runner) labels every line written while a job runs, including
  lines from threads the job starts (its heartbeat): a work horse runs one job
  at a time, so the job's fields are also kept process-wide for threads that
  have no context of their own;
* in the web process, ``RequestContextMiddleware`` remembers the request, and
  the filter reads the user id only if authentication already loaded it (it
  never queries the database to label a log line).

``LOG_FORMAT=json`` (the default with DEBUG off) writes one JSON object per
line; ``plain`` writes text with the same fields appended.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import json
import logging
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from narraforge.redaction import configured_secrets, redact, redact_data

_context: contextvars.ContextVar[dict[str, Any] | None] = contextvars.ContextVar(
    "nf_log_context", default=None
)
_request: contextvars.ContextVar[Any] = contextvars.ContextVar("nf_log_request", default=None)
# The job a work horse is running, for threads the job started (see the module docstring).
_process_job: dict[str, Any] = {}

CONTEXT_FIELDS = ("user_id", "job_id")


def current_context() -> dict[str, Any]:
    fields = dict(_context.get() or {})
    if "job_id" not in fields and _process_job:
        fields = {**_process_job, **fields}
    return fields


@contextmanager
def job_context(**fields: Any) -> Iterator[None]:
    """Label every log line inside the block (and in threads it starts) with these fields."""
    global _process_job
    fields = {k: (str(v) if v is not None else None) for k, v in fields.items()}
    merged = {**(_context.get() or {}), **{k: v for k, v in fields.items() if v is not None}}
    token = _context.set(merged)  # a dict of its own, which bind() may add to
    previous = _process_job
    _process_job = merged if "job_id" in merged else previous
    try:
        yield
    finally:
        _process_job = previous
        _context.reset(token)


def bind(**fields: Any) -> None:
    """Add fields to the enclosing job_context (e.g. the user id once the job row is loaded).

    Outside any job_context it does nothing, so a job run directly (a test, a
    management command) never leaves its ids on the lines that follow.
    """
    current = _context.get()
    if current is not None:
        current.update({k: str(v) for k, v in fields.items() if v is not None})


def _request_user_id(request: Any) -> str | None:
    if request is None:
        return None
    user = getattr(request, "_cached_user", None)  # set once auth has resolved request.user
    if user is not None:
        return str(user.pk) if getattr(user, "is_authenticated", False) else None
    session = getattr(request, "session", None)
    cache = getattr(session, "_session_cache", None)  # loaded already: reading it is free
    if isinstance(cache, dict) and cache.get("_auth_user_id"):
        return str(cache["_auth_user_id"])
    return None


class ContextFilter(logging.Filter):
    """Adds ``user_id`` and ``job_id`` (or None) to every record; never drops one."""

    def filter(self, record: logging.LogRecord) -> bool:
        fields = current_context()
        if "user_id" not in fields:
            request = getattr(record, "request", None) or _request.get()
            try:
                fields["user_id"] = _request_user_id(request)
            except Exception:  # labelling a line must never break logging
                fields["user_id"] = None
        for name in CONTEXT_FIELDS:
            if getattr(record, name, None) is None:
                setattr(record, name, fields.get(name))
        return True


class RedactFilter(logging.Filter):
    """Masks secrets (``narraforge.redaction``) in the message, its extras and its traceback.

    The record is rendered here (message with its args, traceback as text), so
    whatever formatter comes next only ever sees the redacted text.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            secrets = configured_secrets()
            record.msg = redact(record.getMessage(), secrets=secrets)
            record.args = None
            if record.exc_info:
                text = "".join(traceback.format_exception(*record.exc_info)).rstrip()
                record.exc_text = redact(text, secrets=secrets)
                record.exc_info = None
            elif record.exc_text:
                record.exc_text = redact(record.exc_text, secrets=secrets)
            if record.stack_info:
                record.stack_info = redact(record.stack_info, secrets=secrets)
            for key, value in list(vars(record).items()):
                if key not in _RESERVED and isinstance(value, str) and not key.startswith("_"):
                    setattr(record, key, redact(value, secrets=secrets))
        except Exception:  # never let an unredacted line through, never drop the record
            record.msg, record.args, record.exc_info, record.exc_text = (
                "[log line withheld: it could not be redacted]",
                None,
                None,
                None,
            )
        return True


class RequestContextMiddleware:
    """Makes the current request visible to ContextFilter (for the request's user id)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = _request.set(request)
        try:
            return self.get_response(request)
        finally:
            _request.reset(token)


_RESERVED = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


class JSONFormatter(logging.Formatter):
    """One JSON object per line: ts, level, logger, message, user_id, job_id, extras, exc."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": dt.datetime.fromtimestamp(record.created, tz=dt.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "user_id": getattr(record, "user_id", None),
            "job_id": getattr(record, "job_id", None),
            "process": record.process,
        }
        for key, value in vars(record).items():
            if key in _RESERVED or key in entry or key.startswith("_") or key == "request":
                continue
            entry[key] = value if isinstance(value, str | int | float | bool | type(None)) else repr(value)
        if record.exc_info:
            entry["exc"] = "".join(traceback.format_exception(*record.exc_info)).rstrip()
        elif record.exc_text:
            entry["exc"] = record.exc_text
        if record.stack_info:
            entry["stack"] = record.stack_info
        return json.dumps(entry, ensure_ascii=False, default=str)


class PlainFormatter(logging.Formatter):
    """Development text lines, with the context fields appended when present."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        tags = " ".join(
            f"{name}={getattr(record, name)}" for name in CONTEXT_FIELDS if getattr(record, name, None)
        )
        if not tags:
            return line
        head, sep, rest = line.partition("\n")  # keep a traceback below the tagged first line
        return f"{head} [{tags}]{sep}{rest}"


def logging_config(*, fmt: str, level: str) -> dict[str, Any]:
    formatter = "json" if fmt == "json" else "plain"
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {
            "context": {"()": "narraforge.logging.ContextFilter"},
            "redact": {"()": "narraforge.logging.RedactFilter"},
        },
        "formatters": {
            "json": {"()": "narraforge.logging.JSONFormatter"},
            "plain": {"()": "narraforge.logging.PlainFormatter"},
        },
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "formatter": formatter,
                "filters": ["context", "redact"],
            },
        },
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            "django.db.backends": {"level": "WARNING"},
        },
    }


def init_sentry(dsn: str, *, environment: str, release: str | None = None, traces_sample_rate: float = 0.0):
    """Sentry with the Django and RQ integrations; only called when SENTRY_DSN is set."""
    if not dsn:
        return False
    import sentry_sdk
    from sentry_sdk.integrations.django import DjangoIntegration
    from sentry_sdk.integrations.logging import LoggingIntegration
    from sentry_sdk.integrations.rq import RqIntegration

    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        release=release,
        integrations=[
            DjangoIntegration(),
            RqIntegration(),
            LoggingIntegration(level=logging.INFO, event_level=logging.ERROR),
        ],
        traces_sample_rate=traces_sample_rate,
        send_default_pii=False,
        before_send=_sentry_redact,
        before_breadcrumb=lambda crumb, hint: redact_data(crumb),
    )
    return True


def _sentry_redact(event: dict[str, Any], hint: dict[str, Any]) -> dict[str, Any]:
    """Sentry events carry exception messages, local variables and URLs: mask their secrets too."""
    return redact_data(event)
