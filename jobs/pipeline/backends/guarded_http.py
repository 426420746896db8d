"""The HTTP client of a writer's own connection: the host guard at every connect, no redirects.

``hostguard.check_base_url`` runs when a connection is saved or tested; this
client runs the same address check each time it opens a socket and connects
to the very address it checked (TLS still verifies the certificate against
the host name), so a name that changes its answer between the check and the
connect (DNS rebinding) cannot reach a private or metadata address. Redirects
are never followed — a 3xx is reported as it is — and proxies from the
environment are ignored, so requests go only to the host the user typed.
"""

from __future__ import annotations

from collections.abc import Iterable

import httpcore2
import httpx2

from ..hostguard import UnsafeURL, checked_addresses


class GuardedNetwork(httpcore2.SyncBackend):
    """httpcore's socket backend, connecting only to checked addresses."""

    def __init__(self, *, allow_private: bool) -> None:
        self.allow_private = allow_private

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore2.SOCKET_OPTION] | None = None,
    ) -> httpcore2.NetworkStream:
        try:
            addresses = checked_addresses(host, port, allow_private=self.allow_private)
        except UnsafeURL as exc:
            # A connect error is what the HTTP stack expects from here; the refusal rides along as its
            # cause (``unsafe_cause`` finds it) so the backend can tell it from a server that is down.
            raise httpcore2.ConnectError(str(exc)) from exc
        last: Exception | None = None
        for address in addresses:
            try:
                return super().connect_tcp(address, port, timeout, local_address, socket_options)
            except (httpcore2.ConnectError, httpcore2.ConnectTimeout) as exc:
                last = exc
        assert last is not None  # checked_addresses never returns an empty list
        raise last

    def connect_unix_socket(self, *args: object, **kwargs: object) -> httpcore2.NetworkStream:
        refused = UnsafeURL("A model server is reached over http(s), not a local socket.", reason="scheme")
        raise httpcore2.ConnectError(str(refused)) from refused


def guarded_client(*, allow_private: bool) -> httpx2.Client:
    """An httpx client for the openai SDK (which sets each request's timeout itself)."""
    transport = httpx2.HTTPTransport(trust_env=False)
    # httpx builds its connection pool without a way to pass the network backend; swap it in.
    transport._pool._network_backend = GuardedNetwork(allow_private=allow_private)  # noqa: SLF001
    return httpx2.Client(transport=transport, follow_redirects=False, trust_env=False)


def unsafe_cause(exc: BaseException) -> UnsafeURL | None:
    """The host-guard refusal behind an SDK connection error, if that is what it was."""
    seen: BaseException | None = exc
    for _ in range(6):  # openai → httpx → httpcore wrap the original a few levels deep
        if seen is None:
            return None
        if isinstance(seen, UnsafeURL):
            return seen
        seen = seen.__cause__ or seen.__context__
    return None
