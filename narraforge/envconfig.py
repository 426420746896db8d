"""Database and Redis settings from either env style the project accepts.

`DATABASE_URL` wins; otherwise the seed's `DB_USER`/`DB_PASSWORD`/`DB_HOST`/
`DB_PORT`/`DB_NAME`; otherwise the embedded development services that
`make run` starts (see narraforge/devservices). Kept free of settings
globals so tests can feed it any environment.
"""

from __future__ import annotations

import os
import re
from typing import Any

import environ

# Ports of the embedded services (narraforge/devservices); overridable like there.
EMBEDDED_DATABASE_URL = f"postgres://postgres@127.0.0.1:{os.environ.get('NF_PG_PORT', '54329')}/narraforge"
EMBEDDED_REDIS_URL = f"redis://127.0.0.1:{os.environ.get('NF_REDIS_PORT', '63799')}/0"

# The seed documents SQLAlchemy URLs such as postgresql+asyncpg://...; Django
# has one PostgreSQL driver, so the "+driver" part is dropped.
_DRIVER_SUFFIX = re.compile(r"^(postgres(?:ql)?)\+[a-z0-9_]+://", re.IGNORECASE)


def database_config(env: environ.Env) -> dict[str, Any]:
    url = env.str("DATABASE_URL", default="")
    if url:
        url = _DRIVER_SUFFIX.sub(lambda m: m.group(1) + "://", url)
        return environ.Env.db_url_config(url)
    if any(env.str(name, default="") for name in ("DB_HOST", "DB_NAME", "DB_USER")):
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": env.str("DB_NAME", default="narraforge"),
            "USER": env.str("DB_USER", default="postgres"),
            "PASSWORD": env.str("DB_PASSWORD", default=""),
            "HOST": env.str("DB_HOST", default="127.0.0.1"),
            "PORT": env.str("DB_PORT", default="5432"),
        }
    return environ.Env.db_url_config(EMBEDDED_DATABASE_URL)


def redis_url(env: environ.Env) -> str:
    return env.str("REDIS_URL", default="") or EMBEDDED_REDIS_URL


_MAIL_OPTIONS = {
    "EMAIL_HOST": "host",
    "EMAIL_PORT": "port",
    "EMAIL_HOST_USER": "username",
    "EMAIL_HOST_PASSWORD": "password",
    "EMAIL_USE_TLS": "use_tls",
    "EMAIL_USE_SSL": "use_ssl",
    "EMAIL_TIMEOUT": "timeout",
}


DEV_MAILBOX_URL = "devmailbox://"


def mailer_config(url: str) -> dict[str, Any]:
    """An EMAIL_URL (django-environ syntax, or devmailbox:// for the dev mailbox) as a MAILERS entry."""
    if url.strip() == DEV_MAILBOX_URL:
        return {"BACKEND": "narraforge.devmail.DevMailboxBackend"}
    parsed = environ.Env.email_url_config(url)
    backend = parsed["EMAIL_BACKEND"]
    if not backend.endswith("smtp.EmailBackend"):
        return {"BACKEND": backend}
    options = {opt: parsed[key] for key, opt in _MAIL_OPTIONS.items() if parsed.get(key) not in (None, "")}
    options.setdefault("timeout", 20)
    return {"BACKEND": backend, "OPTIONS": options}
