"""Whole pages kept per session for the pages writers reload most (issue 18 §6).

The dashboard, the library and the reader cost 5–15× a trivial signed-in
request to build (queries, then template work), and writers open them again
and again while nothing changed. A view decorated with ``cached_page`` asks a
*version* function first: one SQL statement that reads what the page shows
(counts and the newest ``updated_at`` of the writer's rows, which the
database's own triggers move on every UPDATE, so ``queryset.update()``, raw
SQL and the worker all count; an insert or a delete moves the count). The
page is built once per (session, URL, htmx request, version), kept in this
process's memory and in Redis for the other processes and hosts, and served
until the version moves or ``NF_PAGE_CACHE_SECONDS`` pass since it was built,
which bounds relative times such as "updated 2 minutes ago".

What is never served from here:
* anything but a signed-in GET, and a request without its CSRF cookie (the
  page's form tokens are made from that cookie, so the cookie is in the key);
* a request with flash messages waiting (the page would show them once);
* a response that is not a plain 200 (redirects, htmx redirects, cookies), or
  whose rendering changed the session or queued a message.
A version function returns None where its statement cannot see what may
change the page (a Polish search while its lemmas are being added): that page
is built fresh.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.contrib.messages.storage.cookie import CookieStorage
from django.core.cache import cache
from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token

from narraforge.lru import SizedLRU

# The request headers htmx sends that views branch on (request.htmx); the current URL is left out.
_HX_HEADERS = (
    "HX-Request",
    "HX-Target",
    "HX-Trigger",
    "HX-Trigger-Name",
    "HX-Boosted",
    "HX-History-Restore-Request",
)

log = logging.getLogger(__name__)

_SHARED_PREFIX = "nf:page:"
SHARED_MAX_BYTES = 1024 * 1024  # a saga's reader page stays in the process that built it

pages: SizedLRU[tuple[str, bytes]] = SizedLRU(settings.NF_PAGE_CACHE_BYTES, size_of=lambda page: len(page[1]))

VersionFn = Callable[..., str | None]

# A version of some rows in SQL: how many there are and the newest updated_at among them.
ROWS = "count(*) || ':' || coalesce(max(updated_at)::text, '')"


def version_row(sql: str, params: dict) -> tuple | None:
    """The one row of a version query; None when it finds none (the page is another user's: the view 404s)."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()


def version_text(row: tuple) -> str:
    return "|".join("" if value is None else str(value) for value in row)


def cached_page(version: VersionFn):
    """Serve the view's page from memory while ``version(request, *args, **kwargs)`` holds."""

    def decorator(view):
        name = f"{view.__module__}.{view.__qualname__}"

        @wraps(view)
        def wrapped(request: HttpRequest, *args, **kwargs):
            seconds = settings.NF_PAGE_CACHE_SECONDS
            if not seconds or not _cacheable_request(request):
                return view(request, *args, **kwargs)
            stamp = version(request, *args, **kwargs)
            if stamp is None:
                return view(request, *args, **kwargs)
            key = _key(name, request, stamp)
            found = pages.get(key) or _shared_get(key, seconds)
            if found is not None:
                get_token(request)  # as rendering {% csrf_token %} would: the cookie is refreshed
                content_type, body = found
                return HttpResponse(body, content_type=content_type)
            response = view(request, *args, **kwargs)
            if _storable(request, response):
                page = (response["Content-Type"], response.content)
                pages.put(key, page, ttl=seconds)
                _shared_set(key, page, seconds)
            return response

        return wrapped

    return decorator


# The shared tier: a page one process built is in Redis for the others (and the other
# hosts), so a change is built once, not once per worker. An entry carries the time it
# was built, so no copy outlives NF_PAGE_CACHE_SECONDS; Redis failing only costs builds.


def _shared_get(key: str, seconds: float) -> tuple[str, bytes] | None:
    try:
        found = cache.get(f"{_SHARED_PREFIX}{key}")
    except Exception:  # noqa: BLE001 - a cache outage must not fail the page
        log.warning("page cache: Redis unavailable, building the page", exc_info=True)
        return None
    if found is None:
        return None
    built, content_type, body = found
    left = seconds - (time.time() - built)
    if left <= 0:
        return None
    page = (content_type, body)
    pages.put(key, page, ttl=left)
    return page


def _shared_set(key: str, page: tuple[str, bytes], seconds: float) -> None:
    if len(page[1]) > SHARED_MAX_BYTES:
        return
    try:
        cache.set(f"{_SHARED_PREFIX}{key}", (time.time(), *page), timeout=max(1, int(seconds)))
    except Exception:  # noqa: BLE001 - a cache outage must not fail the page
        log.warning("page cache: Redis unavailable, page kept in this process only", exc_info=True)


def _cacheable_request(request: HttpRequest) -> bool:
    if request.method != "GET" or not request.user.is_authenticated:
        return False
    if not request.COOKIES.get(settings.CSRF_COOKIE_NAME):
        return False
    # Messages waiting: this render shows (and uses up) them.
    return not (request.COOKIES.get(CookieStorage.cookie_name) or "_messages" in request.session)


def _key(name: str, request: HttpRequest, stamp: str) -> str:
    user = request.user
    parts = [
        name,
        request.get_full_path(),
        *(request.headers.get(h, "") for h in _HX_HEADERS),
        request.session.session_key or "",
        request.COOKIES.get(settings.CSRF_COOKIE_NAME, ""),
        str(user.pk),
        str(user.updated_at),  # the header and the usage panel show the writer's own row
        stamp,
    ]
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()


def _storable(request: HttpRequest, response) -> bool:
    if response.status_code != 200 or response.streaming or response.cookies:
        return False
    if set(response.headers) - {"Content-Type"}:
        return False  # HX-Redirect, Content-Disposition, …: not a page to repeat
    if request.session.modified:
        return False  # the render used one-shot state (a chapter draft to clear)
    storage = getattr(request, "_messages", None)
    return not (storage is not None and storage._queued_messages)  # the view added a message
