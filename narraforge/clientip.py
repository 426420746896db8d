"""The client's address when the app runs behind reverse proxies we control.

Each trusted proxy appends the address it received the request from to
X-Forwarded-For, so with N trusted proxies the real client is the N-th entry
from the right; everything left of it was written by the client and can be
anything. A request carrying fewer entries than that did not come through the
proxies: its REMOTE_ADDR is all we can trust. Read by the login rate limits
(accounts.adapters) and setting NF_TRUSTED_PROXY_COUNT (README, Production).
"""

from __future__ import annotations

import ipaddress

from django.http import HttpRequest


def clean_ip(value: str) -> str | None:
    """A canonical IP address from "1.2.3.4", "1.2.3.4:567", "[::1]:80" or "::1"; None if it is none."""
    value = value.strip()
    if value.startswith("["):
        value = value[1:].split("]", 1)[0]
    elif value.count(":") == 1:
        value = value.split(":", 1)[0]
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        return None


def client_ip(request: HttpRequest, *, trusted_proxies: int) -> str | None:
    remote = clean_ip(request.META.get("REMOTE_ADDR") or "")
    if trusted_proxies <= 0:
        return remote
    hops = [hop for hop in (request.META.get("HTTP_X_FORWARDED_FOR") or "").split(",") if hop.strip()]
    if len(hops) < trusted_proxies:
        return remote
    return clean_ip(hops[-trusted_proxies]) or remote
