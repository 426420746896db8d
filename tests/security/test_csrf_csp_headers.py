"""CSRF on every POST; a strict CSP and no inline script; production cookies and headers."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client

from tests.security.test_url_scoping import STAFF_PREFIXES, TOKEN_PARAMS, build_url, iter_patterns

ROOT = Path(__file__).resolve().parents[2]
PROBES = {"healthz", "readyz"}
INLINE_SCRIPT = re.compile(r"<script\b(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
EVENT_ATTR = re.compile(r"<[a-z][^>]*\son[a-z]+\s*=", re.IGNORECASE)
STYLE_ATTR = re.compile(r"<[a-z][^>]*\sstyle\s*=", re.IGNORECASE)
JS_URL = re.compile(r"""(?:href|src|action)\s*=\s*["']?\s*javascript:""", re.IGNORECASE)


def _value_for(owned):
    def value_for(name, kind):
        if kind == "int" or name.endswith("_index"):
            return "0"
        ids = {
            "project_id": owned.project.pk,
            "job_id": owned.job.pk,
            "pk": owned.narrative.pk,
            "object_id": owned.project.pk,
            "app_label": "projects",
            "fmt": "txt",
        }
        return ids.get(name) or TOKEN_PARAMS.get(name, "x")

    return value_for


@pytest.mark.django_db
def test_every_post_without_a_csrf_token_is_refused(owned, owner, staff):
    checked = 0
    for parts, _pattern in iter_patterns():
        route = "".join(str(p) for p in parts)
        url = build_url(parts, _value_for(owned))
        client = Client(enforce_csrf_checks=True)
        client.force_login(staff if route.startswith(STAFF_PREFIXES) else owner)
        response = client.post(url, {"name": "x", "title": "x", "instructions": "x" * 20})
        if route in PROBES:  # answered before CSRF (and host) checks: GET only, they change nothing
            assert response.status_code == 405, url
            continue
        assert response.status_code == 403, (
            f"POST {url} ({route}) without a CSRF token: {response.status_code}"
        )
        checked += 1
    assert checked > 100
    # Signing in is a POST too.
    response = Client(enforce_csrf_checks=True).post(
        "/accounts/login/", {"login": owner.email, "password": "correct-horse-battery"}
    )
    assert response.status_code == 403


def _template_files():
    return sorted((ROOT / "templates").rglob("*.html"))


def test_no_inline_script_event_handler_or_style_in_any_template():
    problems = []
    for path in _template_files():
        text = path.read_text()
        for name, rx in (
            ("inline <script>", INLINE_SCRIPT),
            ("on* attribute", EVENT_ATTR),
            ("style attribute", STYLE_ATTR),
            ("javascript: URL", JS_URL),
        ):
            if rx.search(text) or (name == "inline <script>" and "<style" in text):
                problems.append(f"{path.relative_to(ROOT)}: {name}")
    assert not problems, problems


@pytest.mark.django_db
def test_pages_send_a_strict_csp_and_carry_no_inline_script(owned, owner, staff):
    client = Client()
    client.force_login(owner)
    p, j, n = owned.project.pk, owned.job.pk, owned.narrative.pk
    pages = [
        "/",
        "/projects/",
        f"/projects/{p}/",
        f"/projects/{p}/world/",
        f"/jobs/new/{p}/",
        f"/jobs/{j}/",
        "/jobs/",
        "/narratives/",
        f"/narratives/{n}/",
        f"/narratives/{n}/versions/",
        "/profile/",
        "/usage/",
    ]
    anonymous = ["/accounts/login/", "/accounts/signup/", "/accounts/password/reset/"]
    staff_pages = ["/ops/status/"]
    checked = [(client, url) for url in pages] + [(Client(), url) for url in anonymous]
    admin = Client()
    admin.force_login(staff)
    checked += [(admin, url) for url in staff_pages]
    for who, url in checked:
        response = who.get(url)
        assert response.status_code == 200, url
        csp = response.get("Content-Security-Policy", "")
        assert csp, f"{url}: no Content-Security-Policy"
        directives = {d.split()[0]: d.split()[1:] for d in csp.split(";") if d.strip()}
        script = directives.get("script-src") or directives.get("default-src")
        assert script and "'unsafe-inline'" not in script and "'unsafe-eval'" not in script, (url, csp)
        assert "'unsafe-inline'" not in (directives.get("style-src") or []), (url, csp)
        assert directives.get("object-src") == ["'none'"] and directives.get("frame-ancestors") == ["'none'"]
        body = response.content.decode()
        for name, rx in (
            ("inline <script>", INLINE_SCRIPT),
            ("on* attribute", EVENT_ATTR),
            ("style attribute", STYLE_ATTR),
        ):
            match = rx.search(body)
            assert not match, f"{url}: {name}: {match.group(0)[:120] if match else ''}"


def test_production_settings_secure_cookies_and_headers():
    names = [
        "DEBUG", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "SESSION_COOKIE_HTTPONLY",
        "SECURE_HSTS_SECONDS", "SECURE_HSTS_INCLUDE_SUBDOMAINS", "SECURE_SSL_REDIRECT", "X_FRAME_OPTIONS",
        "SECURE_CONTENT_TYPE_NOSNIFF", "SECURE_REFERRER_POLICY", "SECURE_PROXY_SSL_HEADER", "CACHES",
    ]  # fmt: skip
    code = (
        "import json; from django.conf import settings as s; "
        f"print(json.dumps({{k: getattr(s, k, None) for k in {names!r}}}, default=str))"
    )
    env = {k: v for k, v in os.environ.items() if k not in ("DEBUG", "NF_TESTING", "SECRET_KEY")}
    env.update({"DJANGO_SETTINGS_MODULE": "narraforge.settings", "SECRET_KEY": "p" * 64})
    done = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    got = json.loads(done.stdout.strip().splitlines()[-1])
    assert got["DEBUG"] is False
    assert got["SESSION_COOKIE_SECURE"] is True and got["CSRF_COOKIE_SECURE"] is True
    assert got["SESSION_COOKIE_HTTPONLY"] is True
    assert got["SECURE_HSTS_SECONDS"] >= 31536000 and got["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is True
    assert got["SECURE_SSL_REDIRECT"] is True
    assert got["X_FRAME_OPTIONS"] == "DENY" and got["SECURE_CONTENT_TYPE_NOSNIFF"] is True
    assert got["SECURE_REFERRER_POLICY"] in ("same-origin", "strict-origin-when-cross-origin", "no-referrer")
    # Login rate limits must hold across gunicorn workers and hosts: a shared cache, not per-process memory.
    assert "RedisCache" in json.dumps(got["CACHES"])


def test_secret_key_only_from_the_environment():
    env = {k: v for k, v in os.environ.items() if k not in ("DEBUG", "NF_TESTING", "SECRET_KEY")}
    env.update({"DJANGO_SETTINGS_MODULE": "narraforge.settings", "NF_ENV_FILE": "/nonexistent"})
    done = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode != 0 and "SECRET_KEY must be set" in done.stderr


@pytest.mark.django_db
def test_response_headers_on_a_page(client):
    response = client.get("/accounts/login/")
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
