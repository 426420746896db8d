"""``manage.py check --deploy``: production should encrypt connection keys with keys of its own."""

from __future__ import annotations

from cryptography.fernet import Fernet
from django.conf import settings
from django.core.checks import Error, Tags, Warning, register

from connections.crypto import configured_keys


@register(Tags.security, deploy=True)
def connection_keys_set(app_configs, **kwargs):
    if getattr(settings, "NF_CONNECTION_KEYS", None):
        return []
    return [
        Warning(
            "NF_CONNECTION_KEYS is not set: writers' API keys are encrypted with a key derived from "
            "SECRET_KEY, so changing SECRET_KEY makes them unreadable.",
            hint="Set NF_CONNECTION_KEYS to a Fernet key (see README, 'Model connections'); "
            "rotate with manage.py rotate_connection_keys.",
            id="connections.W001",
        )
    ]


@register(Tags.security)
def connection_keys_valid(app_configs, **kwargs):
    """A malformed key would only show when the first writer saves a connection: say so at start-up."""
    errors = []
    for index, key in enumerate(configured_keys()):
        try:
            Fernet(key)
        except (ValueError, TypeError):
            errors.append(
                Error(
                    f"NF_CONNECTION_KEYS entry {index + 1} is not a Fernet key (32 url-safe base64 bytes).",
                    hint='Make one with: python -c "from cryptography.fernet import Fernet; '
                    'print(Fernet.generate_key().decode())"',
                    id="connections.E001",
                )
            )
    return errors
