"""The development mailbox: mail a person can open in the browser, links working."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.test import Client, override_settings

from narraforge.envconfig import mailer_config

pytestmark = pytest.mark.django_db

LONG_NAME = "Zażółć Gęślą-Jaźń " * 3  # non-ASCII forces a quoted-printable body


@pytest.fixture
def mailbox(tmp_path, settings):
    settings.MAILERS = {"default": {"BACKEND": "narraforge.devmail.DevMailboxBackend"}}
    settings.NF_DEV_MAILBOX_DIR = tmp_path
    return tmp_path


def test_devmailbox_url_selects_the_mailbox_backend():
    assert mailer_config("devmailbox://") == {"BACKEND": "narraforge.devmail.DevMailboxBackend"}


def test_a_mailed_reset_link_opens_from_the_mailbox_page_and_works(mailbox, owner, staff):
    owner.full_name = LONG_NAME
    owner.save()
    Client().post("/accounts/password/reset/", {"email": owner.email})
    files = list(mailbox.glob("*.eml"))
    assert len(files) == 1
    raw = files[0].read_text()
    assert "quoted-printable" in raw or "base64" in raw  # what stdout used to show in halves

    reader = Client()
    reader.force_login(staff)
    listing = reader.get("/dev/mail/").content.decode()
    (message_url,) = set(re.findall(r'href="(/dev/mail/[0-9]+-[0-9a-f]{32}/)"', listing))
    page = reader.get(message_url).content.decode()
    links = re.findall(r'<a href="(http://testserver/accounts/password/reset/key/[^"]+)"', page)
    assert len(links) == 1, page
    assert "=3D" not in links[0] and "=\n" not in page

    # The link from the page, as a person would click it, resets the password.
    writer = Client()
    response = writer.get(links[0].removeprefix("http://testserver"))
    assert response.status_code == 302
    form_url = response["Location"]
    writer.post(form_url, {"password1": "new-passphrase-9876", "password2": "new-passphrase-9876"})
    owner.refresh_from_db()
    assert owner.check_password("new-passphrase-9876")


def test_the_mailbox_is_for_staff_or_debug_only(mailbox, owner, staff):
    mail.send_mail("Hello", "A body", "from@example.com", ["to@example.com"])
    (message_id,) = [p.stem for p in mailbox.glob("*.eml")]
    urls = ["/dev/mail/", f"/dev/mail/{message_id}/"]

    anonymous, writer, operator = Client(), Client(), Client()
    writer.force_login(owner)
    operator.force_login(staff)
    for url in urls:
        assert anonymous.get(url).status_code == 404
        assert writer.get(url).status_code == 404
        assert operator.get(url).status_code == 200
    assert writer.post("/dev/mail/clear/").status_code == 404
    with override_settings(DEBUG=True):
        assert anonymous.get(urls[1]).status_code == 200
    assert list(mailbox.glob("*.eml"))


def test_a_bad_or_unknown_message_id_is_a_404(mailbox, staff):
    client = Client()
    client.force_login(staff)
    assert client.get("/dev/mail/..%2F..%2Fsettings/").status_code == 404
    assert client.get("/dev/mail/00000000000000000001-" + "0" * 32 + "/").status_code == 404


def test_staff_can_empty_the_mailbox(mailbox, staff):
    mail.send_mail("One", "1", "f@example.com", ["t@example.com"])
    mail.send_mail("Two", "2", "f@example.com", ["t@example.com"])
    client = Client()
    client.force_login(staff)
    response = client.post("/dev/mail/clear/", follow=True)
    assert "Removed 2 messages." in response.content.decode()
    assert not list(mailbox.glob("*.eml"))
