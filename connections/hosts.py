"""Which hosts a connection may point at, checked when a connection is saved.

The rule is ``jobs.pipeline.hostguard`` (conn-ui's SSRF guard): http(s) only,
no user-info, never link-local or cloud metadata addresses, private and
loopback ones only with ``NF_ALLOW_PRIVATE_MODEL_HOSTS``. The guarded HTTP
client of a writer's connection repeats the check at every connect, so this
is the early, readable refusal, not the only one.

A host that does not resolve *now* is accepted when saving (DNS may be down
for a moment, or the name may resolve only on the workers' network): the test
button says it cannot be reached, and a job on it fails with "model
unreachable". A name that resolves to a refused address is refused.
"""

from __future__ import annotations

from django.conf import settings

from jobs.pipeline.hostguard import UnsafeURL, check_base_url
from narraforge.errors import UserFacingError


class HostRefused(UserFacingError):
    """The URL's host is one a connection may not use; the message says why."""


def allow_private_hosts() -> bool:
    return bool(getattr(settings, "NF_ALLOW_PRIVATE_MODEL_HOSTS", False))


def check_host_allowed(url: str) -> None:
    try:
        check_base_url(url, allow_private=allow_private_hosts())
    except UnsafeURL as exc:
        if exc.reason == "unresolvable":
            return
        raise HostRefused(str(exc), field="base_url") from None
