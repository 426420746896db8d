"""Password reset end to end: the real URLs, the link exactly as it is mailed.

User ids are dashed UUIDs; allauth's reset URL splits the id from the token at
the first dash, so these tests follow the mailed link rather than building one.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from django.core import mail
from django.test import Client

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a-brand-new-passphrase-42"


def _request_reset(client: Client, email: str) -> str:
    mail.outbox.clear()
    response = client.post("/accounts/password/reset/", {"email": email})
    assert response.status_code == 302, response.content.decode()[:500]
    assert len(mail.outbox) == 1
    body = mail.outbox[0].body
    links = re.findall(r"https?://[^\s]+/accounts/password/reset/key/[^\s]+", body)
    assert len(links) == 1, body
    return urlsplit(links[0]).path


def test_the_mailed_reset_link_sets_a_new_password_that_signs_in(owner):
    client = Client()
    link = _request_reset(client, owner.email)

    response = client.get(link)
    # A good key is swapped for a session-held one, so the key never sits in a Referer.
    assert response.status_code == 302, response.content.decode()[:800]
    form_url = response["Location"]
    page = client.get(form_url)
    assert page.status_code == 200
    assert "Bad Token" not in page.content.decode()
    assert 'name="password1"' in page.content.decode()

    response = client.post(form_url, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == "/accounts/password/reset/key/done/"

    owner.refresh_from_db()
    assert owner.check_password(NEW_PASSWORD)
    fresh = Client()
    response = fresh.post("/accounts/login/", {"login": owner.email, "password": NEW_PASSWORD})
    assert response.status_code == 302
    assert fresh.session["_auth_user_id"] == str(owner.pk)


def test_a_reset_link_works_once(owner):
    client = Client()
    link = _request_reset(client, owner.email)
    form_url = client.get(link)["Location"]
    client.post(form_url, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})

    again = Client().get(link)
    assert again.status_code == 200
    assert "Bad Token" in again.content.decode() or "invalid" in again.content.decode().lower()


def test_a_tampered_token_or_another_users_id_is_refused(owner, other_user):
    client = Client()
    link = _request_reset(client, owner.email)
    tampered = link[:-3] + ("aaa/" if not link.endswith("aaa/") else "bbb/")
    response = Client().get(tampered)
    assert response.status_code == 200
    assert 'name="password1"' not in response.content.decode()

    # The owner's token on the other user's id does not reset the other user's password.
    other_hex = str(other_user.pk).replace("-", "")
    owner_hex = str(owner.pk).replace("-", "")
    swapped = link.replace(owner_hex, other_hex).replace(str(owner.pk), str(other_user.pk))
    assert swapped != link
    response = Client().get(swapped)
    assert response.status_code == 200
    assert 'name="password1"' not in response.content.decode()
    other_user.refresh_from_db()
    assert other_user.check_password("correct-horse-battery")


def test_an_unknown_address_gets_the_same_answer_and_no_reset_link(owner):
    client = Client()
    mail.outbox.clear()
    known = client.post("/accounts/password/reset/", {"email": owner.email})
    unknown = client.post("/accounts/password/reset/", {"email": "nobody@example.com"})
    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"]
    assert len(mail.outbox) == 2
    assert "/accounts/password/reset/key/" not in mail.outbox[1].body
