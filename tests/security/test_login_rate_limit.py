"""Password guessing is limited on the site login, and the admin has no login form of its own."""

from __future__ import annotations

import pytest
from django.test import Client

LIMITED = "Too many failed login attempts"


def _attempt(client, email, password):
    response = client.post("/accounts/login/", {"login": email, "password": password})
    return response.status_code, LIMITED in response.content.decode()


@pytest.mark.django_db
def test_site_login_is_rate_limited(owner):
    client = Client()
    results = [_attempt(client, owner.email, f"wrong-{i}") for i in range(11)]
    assert results[0] == (200, False)
    assert results[-1] == (200, True), results
    # Even the right password is refused while the limit holds.
    assert _attempt(client, owner.email, "correct-horse-battery") == (200, True)
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_site_login_is_limited_per_ip_across_accounts(owner):
    client = Client()
    results = [_attempt(client, f"nobody{i}@example.com", "x") for i in range(11)]
    assert results[-1] == (200, True), results
    assert _attempt(client, owner.email, "correct-horse-battery") == (200, True)


@pytest.mark.django_db
def test_admin_login_never_checks_a_password(staff):
    client = Client()
    for i in range(11):
        response = client.post(
            "/admin/login/?next=/admin/", {"username": staff.email, "password": f"wrong-{i}"}
        )
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    response = client.post("/admin/login/", {"username": staff.email, "password": "correct-horse-battery"})
    assert response.status_code == 302 and "_auth_user_id" not in client.session
    # The way in is the rate-limited site login, which sends staff back to the admin.
    response = client.get("/admin/", follow=True)
    assert response.redirect_chain[-1][0].startswith("/accounts/login/?next=/admin/")
    response = client.post(
        "/accounts/login/?next=/admin/", {"login": staff.email, "password": "correct-horse-battery"}
    )
    assert response.status_code == 302 and response["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200
    assert client.get("/admin/login/").status_code == 302  # signed-in staff pass through


@pytest.mark.django_db
def test_admin_login_refuses_signed_in_writers_and_foreign_next(owner, staff):
    client = Client()
    client.force_login(owner)
    assert client.get("/admin/login/").status_code == 403
    client.force_login(staff)
    response = client.get("/admin/login/?next=https://evil.example.com/")
    assert response.status_code == 302 and response["Location"] == "/admin/"
