"""Which hosts a connection may point at (the base URL a writer typed).

``check_host_allowed`` is called when a connection is saved
(``connections.services``); conn-ui's test button and the SSRF guard build on
it (link-local and metadata addresses refused unless the operator allows
private hosts). This first version only checks what every URL must have.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from narraforge.errors import UserFacingError


class HostRefused(UserFacingError):
    """The URL's host is one a connection may not use; the message says why."""


def check_host_allowed(url: str) -> None:
    parts = urlsplit(url)
    if not parts.hostname:
        raise HostRefused("The address has no host name.", field="base_url")
