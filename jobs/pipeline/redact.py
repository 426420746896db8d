"""Secrets out of messages: the pipeline's own redaction (it may not import Django).

Applied to every server-provided text that can reach a user (error bodies)
and to the endpoint address we name in messages.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import urlsplit, urlunsplit

MASK = "[redacted]"
_PATTERNS = (
    re.compile(r"\b(?:sk|pk|rk|ak)-[A-Za-z0-9_\-]{8,}"),  # OpenAI-style keys and look-alikes
    re.compile(r"(?i)\bbearer\s+[A-Za-z0-9._~+/\-]{8,}=*"),
    re.compile(r"(?i)\b(api[_-]?key|access[_-]?token|token|secret|password)(\s*[=:]\s*)[^\s&\"',;]+"),
    re.compile(r"(?<=://)[^/@\s:]+:[^/@\s]+(?=@)"),  # user:password@ in URLs
)


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """``text`` with the given secrets and anything shaped like a credential masked."""
    out = str(text)
    for secret in sorted({s for s in secrets if s and len(s) >= 4}, key=len, reverse=True):
        out = out.replace(secret, MASK)
    for pattern in _PATTERNS:
        if pattern.groups >= 2:
            out = pattern.sub(lambda m: m.group(1) + m.group(2) + MASK, out)
        else:
            out = pattern.sub(MASK, out)
    return out


def safe_url(url: str) -> str:
    """An endpoint address fit for a message: user info and query values masked as ``***``."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        if parts.port:
            host = f"{host}:{parts.port}"
    except ValueError:
        return MASK
    if parts.username or parts.password:
        host = "***@" + host
    query = "&".join(f"{pair.split('=', 1)[0]}=***" for pair in parts.query.split("&") if pair)
    return urlunsplit((parts.scheme, host, parts.path, query, ""))
