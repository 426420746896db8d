"""Where a writer's own model connection may send requests (the SSRF guard).

A base URL a user typed is only ever called when it is ``http``/``https``,
has no user-info, and every address its host resolves to is acceptable:

* never link-local or a cloud metadata address (169.254.0.0/16, fe80::/10,
  fd00:ec2::254, Alibaba's 100.100.100.200), nor unspecified, multicast or
  reserved ones — whatever the operator allows;
* private, loopback and shared ranges (10/8, 172.16/12, 192.168/16, 127/8,
  100.64/10, fc00::/7, ::1) only when the operator allows private hosts
  (``NF_ALLOW_PRIVATE_MODEL_HOSTS``: on in development and tests, where the
  model server is on this machine).

``check_base_url`` is the check when a connection is saved or tested; the
HTTP client of a user's connection (``backends.guarded_http``) repeats it at
every connect and connects to the address it checked, so a name that
resolves differently a second later (DNS rebinding) gains nothing. The
operator's own connection (from the environment) is trusted and not checked.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable
from urllib.parse import urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# Refused even when private hosts are allowed: instance metadata and credentials live here.
ALWAYS_REFUSED = tuple(
    ipaddress.ip_network(n)
    for n in (
        "169.254.0.0/16",  # IPv4 link-local: AWS/GCP/Azure/OpenStack metadata at 169.254.169.254
        "fe80::/10",  # IPv6 link-local
        "fd00:ec2::254/128",  # AWS metadata over IPv6
        "100.100.100.200/32",  # Alibaba Cloud metadata
        "0.0.0.0/8",  # "this network": connecting to 0.0.0.0 reaches this machine
        "::/128",
    )
)

Resolver = Callable[[str, int], list[str]]


class UnsafeURL(ValueError):
    """A base URL NarraForge will not call; ``str()`` is a sentence for the writer.

    ``reason``: ``scheme``, ``userinfo``, ``no_host``, ``unresolvable``,
    ``metadata`` (link-local, metadata and other never-allowed addresses) or
    ``private`` (refused because the operator does not allow private hosts).
    """

    def __init__(self, message: str, *, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


def resolve(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to (IPv4 and IPv6), in the resolver's order."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def _plain(ip: IPAddress) -> IPAddress:
    """An IPv4 address hidden in an IPv6 one (``::ffff:169.254.169.254``) judged as itself."""
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return ip.ipv4_mapped
        if ip.sixtofour is not None:
            return ip.sixtofour
    return ip


def address_refusal(address: str, *, allow_private: bool) -> str | None:
    """``"metadata"`` or ``"private"`` when ``address`` may not be called, else None."""
    ip = _plain(ipaddress.ip_address(address.split("%", 1)[0]))  # drop an IPv6 zone id
    if any(ip in net for net in ALWAYS_REFUSED if net.version == ip.version):
        return "metadata"
    if ip.is_loopback or ip.is_private:  # before "reserved": ::1 sits in a reserved IPv6 block
        return None if allow_private else "private"
    if ip.is_multicast or ip.is_reserved or ip.is_unspecified:
        return "metadata"
    if not ip.is_global and not allow_private:  # shared (100.64/10) and other non-public ranges
        return "private"
    return None


def _refusal_message(reason: str, host: str, address: str) -> str:
    shown = host if host == address else f"{host} ({address})"
    if reason == "metadata":
        return (
            f"The address {shown} is a link-local or cloud metadata address; "
            "NarraForge never sends requests there."
        )
    return (
        f"The address {shown} is inside a private network (or this machine), and this NarraForge "
        "only connects to public model servers. Use the server's public address, or ask the "
        "operator to allow private hosts."
    )


def checked_addresses(
    host: str, port: int, *, allow_private: bool, resolver: Resolver | None = None
) -> list[str]:
    """The addresses of ``host`` that may be called; UnsafeURL if any of them may not.

    One refused address refuses the host: a name that also points at the
    metadata service is not a public model server.
    """
    try:
        addresses = [host] if _is_ip(host) else (resolver or resolve)(host, port)
    except (OSError, UnicodeError):
        raise UnsafeURL(
            f"NarraForge could not find the host “{host}”: check the spelling of the address.",
            reason="unresolvable",
        ) from None
    if not addresses:
        raise UnsafeURL(f"The host “{host}” has no address.", reason="unresolvable")
    for address in addresses:
        reason = address_refusal(address, allow_private=allow_private)
        if reason:
            raise UnsafeURL(_refusal_message(reason, host, address), reason=reason)
    return addresses


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return False
    return True


def check_base_url(url: str, *, allow_private: bool, resolver: Resolver | None = None) -> str:
    """``url`` without trailing slashes, if NarraForge may call it; else UnsafeURL saying why."""
    url = (url or "").strip()
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise UnsafeURL(f"“{url}” is not a valid web address.", reason="no_host") from None
    if parts.scheme.lower() not in ("http", "https"):
        raise UnsafeURL(
            "Only http:// and https:// addresses can be used for a model server"
            f"{f' (this one is {parts.scheme}://)' if parts.scheme else ''}.",
            reason="scheme",
        )
    if parts.username is not None or parts.password is not None:
        raise UnsafeURL(
            "Put the API key in the key field, not in the address (remove the “user:password@” part).",
            reason="userinfo",
        )
    host = parts.hostname or ""
    if not host:
        raise UnsafeURL(f"“{url}” names no host.", reason="no_host")
    default_port = 443 if parts.scheme.lower() == "https" else 80
    checked_addresses(host, port or default_port, allow_private=allow_private, resolver=resolver)
    return url.rstrip("/")
