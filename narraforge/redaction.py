"""Secrets out of text: URL userinfo, secret query parameters, bearer tokens, API keys, configured secrets.

One helper for every place text leaves the process — log lines (the logging
filter in ``narraforge.logging``), Sentry events, the staff-only error detail
of a job, admin pages. Writers never see endpoints at all (their messages are
written in plain words, see ``jobs.errors``); staff see them with the secrets
replaced by ``***``.

``redact`` works on any text, so it also catches a secret inside a
traceback or an exception message from a library. Besides the patterns it
replaces every *configured* secret literally: ``OPENAI_API_KEY``, the
password and secret query values in ``OPENAI_BASE_URL``, ``SECRET_KEY``,
database and Redis passwords (read from Django settings when they are
configured; nothing here needs Django otherwise).
"""

from __future__ import annotations

import contextlib
import contextvars
import re
from collections.abc import Iterable, Iterator
from typing import Any
from urllib.parse import parse_qsl, urlsplit

MASK = "***"

# Query-string (and form-encoded) parameter names whose values are secrets.
SECRET_PARAMS = (
    "key",
    "api_key",
    "apikey",
    "api-key",
    "x-api-key",
    "token",
    "access_token",
    "refresh_token",
    "id_token",
    "auth",
    "authorization",
    "secret",
    "client_secret",
    "password",
    "passwd",
    "pwd",
    "sig",
    "signature",
    "code",
    "session",
    "sessionid",
    "credential",
    "credentials",
)

# scheme://user:password@host → scheme://***@host (also scheme://token@host).
_USERINFO = re.compile(r"(?P<scheme>\b[a-zA-Z][a-zA-Z0-9+.\-]{1,20}://)(?P<userinfo>[^\s/@?#'\"<>]+)@")
_PARAM = re.compile(
    r"(?P<name>(?<![A-Za-z0-9_\-])(?:" + "|".join(re.escape(p) for p in SECRET_PARAMS) + r"))"
    r"(?P<eq>=)(?P<value>[^&\s'\"<>#]+)",
    re.IGNORECASE,
)
_BEARER = re.compile(
    r"(?P<name>\b(?:Bearer|Basic|Token)\s+)(?P<value>[A-Za-z0-9._~+/=\-]{8,})", re.IGNORECASE
)
# Provider key shapes: OpenAI sk-…/sk-proj-…, Anthropic sk-ant-…, generic long hex/base64 after "key:".
_API_KEY = re.compile(r"\b(?:sk|pk|rk)-[A-Za-z0-9_\-]{12,}")
_HEADER = re.compile(
    r"(?P<name>\b(?:api[-_]?key|x-api-key|authorization|password|secret)\b['\"]?\s*[:=]\s*['\"]?)"
    r"(?P<value>[^\s'\",;&]{4,})",
    re.IGNORECASE,
)

_MIN_SECRET = 4  # shorter "secrets" would blank ordinary words


def _known_from_url(url: str | None) -> list[str]:
    if not url:
        return []
    out: list[str] = []
    try:
        parts = urlsplit(url)
    except ValueError:
        return []
    if parts.password:
        out.append(parts.password)
    if parts.username and parts.password is None:  # a token as the whole userinfo
        out.append(parts.username)
    secret_names = {p.lower() for p in SECRET_PARAMS}
    for name, value in parse_qsl(parts.query, keep_blank_values=False):
        if name.lower() in secret_names:
            out.append(value)
    return out


# Secrets known only while some work runs: a writer's own API key, decrypted in the worker for
# their job (``secrets_in_use``). Log lines, staff detail and Sentry events of that job mask it too.
_IN_USE: contextvars.ContextVar[tuple[str, ...]] = contextvars.ContextVar("nf_secrets_in_use", default=())


@contextlib.contextmanager
def secrets_in_use(values: Iterable[str]) -> Iterator[None]:
    """Within the block, ``redact`` also masks ``values`` (in this thread or task)."""
    token = _IN_USE.set(_IN_USE.get() + tuple(v for v in values if v and len(v) >= _MIN_SECRET))
    try:
        yield
    finally:
        _IN_USE.reset(token)


def configured_secrets() -> list[str]:
    """Secret values from Django settings and ``secrets_in_use`` (settings: when they are configured)."""
    in_use = list(_IN_USE.get())
    try:
        from django.conf import settings  # core helper usable outside Django too: imported lazily

        if not settings.configured:
            return in_use
        values: list[str] = [
            getattr(settings, "OPENAI_API_KEY", "") or "",
            getattr(settings, "SECRET_KEY", "") or "",
        ]
        for name in ("OPENAI_BASE_URL", "REDIS_URL", "SENTRY_DSN", "NF_TEST_REDIS_URL"):
            values += _known_from_url(getattr(settings, name, None))
        for db in (getattr(settings, "DATABASES", None) or {}).values():
            values.append(db.get("PASSWORD") or "")
    except Exception:  # redaction must never break the caller (e.g. a log line during start-up)
        return in_use
    return in_use + [v for v in values if isinstance(v, str) and len(v) >= _MIN_SECRET]


def redact(text: Any, *, secrets: Iterable[str] | None = None) -> str:
    """``text`` with every secret replaced by ``***`` (non-text is converted with ``str``)."""
    if text is None:
        return ""
    out = text if isinstance(text, str) else str(text)
    known = list(secrets) if secrets is not None else configured_secrets()
    # Longest first, so a secret that contains another is masked whole.
    for value in sorted({v for v in known if v and len(v) >= _MIN_SECRET}, key=len, reverse=True):
        out = out.replace(value, MASK)
    out = _USERINFO.sub(lambda m: f"{m['scheme']}{MASK}@", out)
    out = _PARAM.sub(lambda m: f"{m['name']}={MASK}", out)
    out = _BEARER.sub(lambda m: f"{m['name']}{MASK}", out)
    out = _API_KEY.sub(MASK, out)
    out = _HEADER.sub(lambda m: f"{m['name']}{MASK}", out)
    return out


def redact_url(url: str | None) -> str:
    """A URL fit for staff pages: scheme, host, port and path; userinfo and secret parameters masked."""
    return redact(url or "")


def redact_data(value: Any, *, secrets: Iterable[str] | None = None, _depth: int = 0) -> Any:
    """``redact`` applied to every string inside dicts, lists and tuples (Sentry events, JSON)."""
    known = list(secrets) if secrets is not None else configured_secrets()
    if _depth > 20:
        return value
    if isinstance(value, str):
        return redact(value, secrets=known)
    if isinstance(value, dict):
        return {k: redact_data(v, secrets=known, _depth=_depth + 1) for k, v in value.items()}
    if isinstance(value, list | tuple):
        items = [redact_data(v, secrets=known, _depth=_depth + 1) for v in value]
        return type(value)(items) if isinstance(value, tuple) else items
    return value
