"""Validation of what a writer typed for a connection: each field cleaned, or refused in words.

Every refusal is a ``ConnectionInvalid`` naming the form field at fault; the
services (``connections.services``) call these before writing anything.
"""

from __future__ import annotations

import math
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from connections.hosts import HostRefused, check_host_allowed
from connections.models import MODEL_MAX_LENGTH, NAME_MAX_LENGTH, URL_MAX_LENGTH, JsonMode
from narraforge.errors import UserFacingError
from narraforge.redaction import SECRET_PARAMS
from narraforge.textclean import strip_control_chars

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


PRICE_FIELDS = ("price_mini_input", "price_mini_output", "price_gpt4_input", "price_gpt4_output")


def clean_fields(fields: dict[str, Any]) -> dict[str, Any]:
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
    for name in PRICE_FIELDS:
        if name in fields:
            out[name] = validate_price(fields[name], name)
    return out
