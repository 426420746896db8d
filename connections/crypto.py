"""API keys at rest: Fernet tokens (``cryptography``), keyed from ``NF_CONNECTION_KEYS``.

``NF_CONNECTION_KEYS`` is a list of Fernet keys (comma-separated in the
environment; make one with ``python -c "from cryptography.fernet import
Fernet; print(Fernet.generate_key().decode())"``). The first key encrypts;
every key in the list decrypts (``MultiFernet``), so rotating is: put a new key
first, keep the old ones after it, run ``manage.py rotate_connection_keys``
(re-encrypts every stored key with the first), then drop the old keys.

Unset, a key is derived from ``SECRET_KEY`` (fine for development; ``manage.py
check --deploy`` warns about it, see ``connections.checks``), so a deployment
that never set it still encrypts, and changing ``SECRET_KEY`` would make the
stored keys unreadable — which is why production should set its own.
"""

from __future__ import annotations

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings

from narraforge.errors import UserFacingError

__all__ = ["InvalidToken", "KeyUnreadable", "decrypt_key", "encrypt_key", "fernet", "mask_key"]

_DERIVATION_LABEL = b"narraforge:connection-keys:v1:"


class KeyUnreadable(UserFacingError):
    """A stored key that none of NF_CONNECTION_KEYS decrypts (the keys were changed without a rotation)."""


def derived_key(secret_key: str) -> bytes:
    """The development Fernet key: SHA-256 of a label and SECRET_KEY, urlsafe-base64 (what Fernet takes)."""
    return base64.urlsafe_b64encode(hashlib.sha256(_DERIVATION_LABEL + secret_key.encode()).digest())


def configured_keys() -> list[bytes]:
    keys = [k.strip() for k in (getattr(settings, "NF_CONNECTION_KEYS", None) or []) if k and k.strip()]
    if keys:
        return [k.encode() for k in keys]
    return [derived_key(settings.SECRET_KEY)]


def fernet() -> MultiFernet:
    """Built on every call (cheap), so a settings change in tests or a reload is seen at once."""
    return MultiFernet([Fernet(k) for k in configured_keys()])


def encrypt_key(text: str) -> str:
    """The token stored for ``text`` ("" stays "": no key)."""
    if not text:
        return ""
    return fernet().encrypt(text.encode()).decode()


def decrypt_key(token: str) -> str:
    if not token:
        return ""
    try:
        return fernet().decrypt(token.encode()).decode()
    except InvalidToken:
        raise KeyUnreadable(
            "The stored API key of this connection cannot be read with the server's current keys "
            "(NF_CONNECTION_KEYS changed without a rotation). Enter the key again."
        ) from None


def rotate_token(token: str) -> str:
    """``token`` re-encrypted with the first key (InvalidToken when no configured key reads it)."""
    if not token:
        return ""
    return fernet().rotate(token.encode()).decode()


def mask_key(text: str) -> str:
    """What a page may show of a key: a known prefix and the last 4 characters ("sk-…abcd").

    Keys shorter than 12 characters show only that there is one ("••••"): their last
    4 characters would be a third of the secret.
    """
    text = (text or "").strip()
    if not text:
        return ""
    if len(text) < 12:
        return "••••"
    prefix = ""
    for known in ("sk-proj-", "sk-or-v1-", "sk-ant-", "sk-"):
        if text.startswith(known):
            prefix = known
            break
    return f"{prefix}…{text[-4:]}"
