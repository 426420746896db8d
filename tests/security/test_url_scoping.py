"""Every URL pattern, requested by another user with the owner's ids: 404 (or 405), never a write.

The patterns are enumerated from the resolver, so a URL added later is
checked too; a pattern with a parameter this test does not know how to fill
fails the test until it is taught here (and thought about).
"""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import URLResolver, get_resolver, resolve
from django.urls.resolvers import RegexPattern, RoutePattern
from django.utils.html import escape

# dev/: the development mailbox, staff only unless DEBUG (tests run with DEBUG off).
STAFF_PREFIXES = ("admin/", "django-rq/", "ops/", "dev/")
# Parameters that are tokens, not ids of a user's objects (allauth's email and password links).
TOKEN_PARAMS = {"key": "x-invalid-key", "uidb36": "zz"}
POST_DATA = {
    "name": "pwned",
    "description": "pwned",
    "title": "pwned",
    "instructions": "Rewrite it all as pwned.",
    "op": "save",
    "confirm": "yes",
    "inspiration": "pwned",
    "production_type": "short_story",
    "genre": "fantasy",
    "full_name": "pwned",
}
EXPORT_FORMATS = ("txt", "md", "epub", "docx", "pdf")


def iter_patterns(resolver=None, prefix: tuple = ()):
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            yield from iter_patterns(entry, (*prefix, entry.pattern))
        else:
            yield (*prefix, entry.pattern), entry


def _fill_regex(regex: str, value_for) -> str:
    out, i = [], 0
    regex = regex.removeprefix("^").removesuffix("$")
    while i < len(regex):
        if regex.startswith("(?P<", i):
            name = regex[i + 4 : regex.index(">", i)]
            depth, j = 0, i
            while True:  # the group's closing parenthesis
                if regex[j] == "\\":
                    j += 2
                    continue
                depth += {"(": 1, ")": -1}.get(regex[j], 0)
                if depth == 0:
                    break
                j += 1
            body = regex[regex.index(">", i) + 1 : j]
            out.append(value_for(name, body))
            i = j + 1
            if regex[i : i + 1] == "?":
                i += 1
        elif regex[i] == "\\":
            out.append(regex[i + 1])
            i += 2
        elif regex[i] == "?":
            i += 1  # "/?": take the slash
        else:
            out.append(regex[i])
            i += 1
    return "".join(out)


def build_url(parts, value_for) -> str:
    pieces = []
    for part in parts:
        if isinstance(part, RoutePattern):
            pieces.append(
                re.sub(r"<(?:(\w+):)?(\w+)>", lambda m: value_for(m.group(2), m.group(1) or "str"), str(part))
            )
        elif isinstance(part, RegexPattern):
            pieces.append(_fill_regex(str(part), value_for))
        else:
            raise AssertionError(f"unknown pattern type {type(part)}")
    return "/" + "".join(pieces)


def all_routes():
    return ["".join(str(p) for p in parts) for parts, _ in iter_patterns()]


def _snapshot() -> dict:
    from accounts.models import User
    from billing.models import UsageLog
    from connections.models import ModelConnection
    from jobs.models import GenerationJob, JobRuntime
    from narratives.models import Narrative
    from projects.models import CodexEntry, Project, World

    return {
        "codex": sorted(CodexEntry.objects.values_list("id", "name", "updated_at")),
        "users": sorted(
            User.objects.values_list("id", "email", "full_name", "is_active", "is_superuser", "password")
        ),
        "projects": sorted(
            Project.objects.values_list("id", "name", "description", "world_id", "updated_at")
        ),
        "worlds": sorted(World.objects.values_list("id", "name", "updated_at")),
        "jobs": sorted(GenerationJob.objects.values_list("id", "status", "updated_at", "retry_count")),
        "runtime": sorted(JobRuntime.objects.values_list("job_id", "cancel_requested_at", "kind")),
        "narratives": sorted(Narrative.objects.values_list("id", "title", "updated_at", "version")),
        "usage": UsageLog.objects.count(),
        "connections": sorted(
            ModelConnection.objects.values_list(
                "id", "name", "base_url", "api_key_encrypted", "model_gpt4", "is_default", "updated_at"
            )
        ),
    }


def _signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _app_value_for(owned, route: str):
    def value_for(name: str, kind: str) -> str:
        ids = {
            "project_id": owned.project.pk,
            "job_id": owned.job.pk,
            "pk": owned.narrative.pk,
            "connection_id": owned.connection.pk,  # the owner's model connection (edit, delete, test)
        }
        if name in ids:
            return ids[name]
        if name == "entry_id":
            return (
                owned.project.codex_entries.order_by("position").first().pk
            )  # the story's first cast member
        if name == "fmt":
            return "txt"
        if name == "number":
            return "1"  # a chapter of the owner's narrative (pk above)
        if name == "kind" and route.startswith("projects/"):
            return "character"  # a kind of codex entry, not an id
        if name == "key" and route.startswith("jobs/submitted/"):
            from tests.security.conftest import SUBMISSION_KEY

            return SUBMISSION_KEY  # the owner's form key: which job it started is the owner's business
        if name in TOKEN_PARAMS and route.startswith("accounts/"):
            return TOKEN_PARAMS[name]
        raise AssertionError(
            f"URL pattern {route!r} has a parameter {name!r} this test does not know how to fill: "
            "teach tests/security/test_url_scoping.py which object it names, and scope the view to "
            "request.user"
        )

    return value_for


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["other_user", "staff"])
def test_another_users_ids_give_404_on_every_url(owned, owner, persona, request):
    """Staff too: the writers' pages show staff their own things only (the admin is the staff tool)."""
    other_user = request.getfixturevalue(persona)
    before = _snapshot()
    checked = 0
    for parts, pattern in iter_patterns():
        route = "".join(str(p) for p in parts)
        if route.startswith(STAFF_PREFIXES):
            continue
        has_params = bool(re.search(r"<\w|\(\?P<", route))
        if not has_params:
            continue
        value_for = _app_value_for(owned, route)
        url = build_url(parts, value_for)
        assert resolve(url).func == pattern.callback, f"{route}: built {url} resolves elsewhere"
        urls = [url]
        if route.endswith("<str:fmt>/"):
            urls = [url.removesuffix("txt/") + f"{fmt}/" for fmt in EXPORT_FORMATS]
        for url in urls:
            for method in ("get", "post"):
                client = _signed_in(other_user)
                response = getattr(client, method)(url, POST_DATA if method == "post" else None)
                if route.startswith("accounts/"):
                    # Token links: not another user's objects; nothing of the owner may show.
                    assert response.status_code in (200, 302, 400, 404, 405), (
                        method,
                        url,
                        response.status_code,
                    )
                    assert owned.project.name not in response.content.decode(errors="replace")
                else:
                    assert response.status_code in (404, 405), (
                        f"{method.upper()} {url} as another user answered {response.status_code}"
                    )
                checked += 1
                assert _snapshot() == before, f"{method.upper()} {url} as another user wrote something"
    assert checked >= 30


@pytest.mark.django_db
def test_query_string_ids_are_scoped_too(owned, other_user, make_user):
    client = _signed_in(other_user)
    mine = make_owned_for(other_user)
    # Comparing one's own narrative with the owner's: 404, not a diff of the owner's text.
    response = client.get(f"/narratives/{mine.narrative.pk}/diff/?against={owned.narrative.pk}")
    assert response.status_code == 404
    for url in (
        f"/jobs/?project={owned.project.pk}",
        f"/narratives/?project={owned.project.pk}",
        "/",
        "/usage/",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        html = response.content.decode()
        assert escape(owned.project.name) not in html and owned.project.name not in html, url
        assert owned.job.pk not in html and owned.narrative.pk not in html, url


def make_owned_for(user):
    from tests.security.conftest import make_owned

    return make_owned(user, name="Other's own saga")


def _staff_value_for(owned):
    def value_for(name: str, kind) -> str:
        if kind == "int" or name.endswith("_index"):
            return "0"
        if name == "app_label":
            return "projects"
        if "|" in str(kind):  # a regex alternation
            return str(kind).split("|")[0]
        return {"object_id": owned.project.pk, "job_id": f"nf-{owned.job.pk}-0"}.get(name, "x")

    return value_for


def _refused(client, method: str, url: str, *, signed_in: bool) -> str | None:
    response = getattr(client, method)(url, POST_DATA if method == "post" else None)
    code = response.status_code
    if code in (401, 403, 404, 405):
        return None
    if code == 302:
        location = response["Location"]
        if url == "/admin/logout/" and location == "/admin/" and not signed_in:
            return None  # signing a visitor out: nothing to refuse
        if not (location.startswith(("/admin/login/", "/accounts/login/")) or location == "/admin/"):
            return f"redirects to {location}"
        if signed_in:  # following the redirect must end in a refusal, not the page
            final = client.get(location, follow=True)
            if final.status_code != 403:
                return f"login redirect ends in {final.status_code}"
        return None
    return f"answered {code}"


@pytest.mark.django_db
def test_staff_pages_are_refused_to_everyone_else(owned, other_user):
    before = _snapshot()
    checked = 0
    for parts, _pattern in iter_patterns():
        route = "".join(str(p) for p in parts)
        if not route.startswith(STAFF_PREFIXES):
            continue
        url = build_url(parts, _staff_value_for(owned))
        for method in ("get", "post"):
            for who in ("visitor", "writer"):
                client = Client() if who == "visitor" else _signed_in(other_user)
                problem = _refused(client, method, url, signed_in=who == "writer")
                assert problem is None, f"{method.upper()} {url} ({route}) as a {who}: {problem}"
                checked += 1
    assert _snapshot() == before
    assert checked > 100
    for url in ("/ops/status/", "/admin/", "/django-rq/"):
        response = _signed_in(other_user).get(url, follow=True)
        assert response.status_code == 403, url


@pytest.mark.django_db
def test_staff_still_reach_the_staff_pages(owned, staff):
    client = _signed_in(staff)
    for url in (
        "/ops/status/",
        "/admin/",
        "/django-rq/",
        "/dev/mail/",
        f"/admin/projects/project/{owned.project.pk}/change/",
    ):
        assert client.get(url).status_code == 200, url


def test_every_pattern_is_fillable():
    """A new URL parameter must be taught to this module (fails until it is)."""
    known_app = {"project_id", "job_id", "pk", "fmt", "entry_id", "number", "connection_id"}
    for route in all_routes():
        if route.startswith(STAFF_PREFIXES):
            continue
        names = set(re.findall(r"<(?:\w+:)?(\w+)>", route)) | set(re.findall(r"\(\?P<(\w+)>", route))
        allowed = known_app | (set(TOKEN_PARAMS) if route.startswith("accounts/") else set())
        if route.startswith("projects/"):
            allowed |= {"kind"}  # character / place / lore
        if route.startswith("jobs/submitted/"):
            allowed |= {"key"}  # a form's one-time key, scoped to its user like an id
        assert names <= allowed, f"{route}: unknown parameter(s) {names - allowed}"
