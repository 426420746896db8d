"""Behind the documented reverse proxy the login limits key on the real client.

With NF_TRUSTED_PROXY_COUNT=N the client is the N-th X-Forwarded-For entry from
the right (each trusted proxy appends what it saw); entries further left are
the client's own words, so rotating them must not reset the limit.
"""

from __future__ import annotations

import pytest
from django.test import Client, RequestFactory, override_settings

from narraforge.clientip import client_ip

LIMITED = "Too many failed login attempts"
PROXY = "10.0.0.2"


def _attempt(client: Client, email: str, *, xff: str | None, remote: str = PROXY) -> bool:
    extra = {"REMOTE_ADDR": remote}
    if xff is not None:
        extra["HTTP_X_FORWARDED_FOR"] = xff
    response = client.post("/accounts/login/", {"login": email, "password": "wrong"}, **extra)
    assert response.status_code == 200
    return LIMITED in response.content.decode()


@pytest.mark.django_db
@override_settings(NF_TRUSTED_PROXY_COUNT=1)
def test_spoofed_left_most_forwarded_entries_do_not_evade_the_ip_limit():
    client = Client()
    # Ten failures from one real client, each with a different forged left-most entry
    # and a different account, so only the per-IP limit (10 a minute) can stop it.
    results = [
        _attempt(client, f"victim{i}@example.com", xff=f"198.51.100.{i}, 203.0.113.7") for i in range(11)
    ]
    assert results[:10] == [False] * 10
    assert results[10] is True
    assert _attempt(client, "another@example.com", xff="1.1.1.1, 8.8.8.8, 203.0.113.7") is True


@pytest.mark.django_db
@override_settings(NF_TRUSTED_PROXY_COUNT=1)
def test_behind_the_proxy_one_client_at_its_limit_does_not_lock_out_the_others():
    client = Client()
    for i in range(11):
        _attempt(client, f"victim{i}@example.com", xff="203.0.113.7")
    assert _attempt(client, "victim0@example.com", xff="203.0.113.7") is True
    # Another person behind the same proxy (same REMOTE_ADDR) is not limited.
    assert _attempt(Client(), "someone@example.com", xff="203.0.113.99") is False


@pytest.mark.django_db
def test_without_a_trusted_proxy_the_forwarded_header_is_ignored():
    client = Client()
    results = [
        _attempt(client, f"victim{i}@example.com", xff=f"198.51.100.{i}", remote="203.0.113.7")
        for i in range(11)
    ]
    assert results[-1] is True


@pytest.mark.parametrize(
    ("trusted", "xff", "remote", "expected"),
    [
        (0, "1.2.3.4", "10.0.0.2", "10.0.0.2"),
        (1, "1.2.3.4", "10.0.0.2", "1.2.3.4"),
        (1, "6.6.6.6, 1.2.3.4", "10.0.0.2", "1.2.3.4"),
        (1, "6.6.6.6,1.2.3.4:5678", "10.0.0.2", "1.2.3.4"),
        (2, "6.6.6.6, 1.2.3.4, 10.0.0.9", "10.0.0.2", "1.2.3.4"),
        # Fewer entries than trusted proxies: it skipped the proxies, trust only the socket.
        (2, "1.2.3.4", "10.0.0.2", "10.0.0.2"),
        (1, "", "10.0.0.2", "10.0.0.2"),
        (1, "[2001:db8::1]:443", "10.0.0.2", "2001:db8::1"),
        (1, "not-an-address", "10.0.0.2", "10.0.0.2"),
    ],
)
def test_the_client_is_the_entry_the_outermost_trusted_proxy_wrote(trusted, xff, remote, expected):
    request = RequestFactory().get("/", HTTP_X_FORWARDED_FOR=xff, REMOTE_ADDR=remote)
    assert client_ip(request, trusted_proxies=trusted) == expected
