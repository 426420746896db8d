"""A writer's own connections: saved encrypted, shown masked, refused when the input is bad, theirs alone."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet
from django.db import connection as db

from connections.crypto import decrypt_key, mask_key
from connections.models import ModelConnection
from connections.selectors import (
    OPERATOR,
    ConnectionNotFound,
    connection_for_user,
    connection_value,
    connections_for_user,
    operator_connection,
    what_will_write,
)
from connections.services import (
    ConnectionInvalid,
    connection_create,
    connection_delete,
    connection_keys_rotate,
    connection_set_default,
    connection_update,
)

pytestmark = pytest.mark.django_db

KEY = "sk-proj-Zq8vN3mR7tL1pW4xK9cB2hJ6yF0dS5aE"


def _make(user, **overrides):
    fields = {
        "name": "My OpenAI",
        "base_url": "https://api.openai.com/v1/",
        "api_key": KEY,
        "model_mini": "gpt-4o-mini",
        "model_gpt4": "gpt-4o",
        "price_mini_input": 0.15,
        "price_mini_output": 0.6,
        "price_gpt4_input": 2.5,
        "price_gpt4_output": 10.0,
    }
    fields.update(overrides)
    return connection_create(user=user, **fields)


def _raw_rows() -> str:
    with db.cursor() as cur:
        cur.execute("SELECT row_to_json(c)::text FROM model_connections c")
        return "\n".join(r[0] for r in cur.fetchall())


def test_a_saved_key_is_encrypted_in_the_database_and_shown_only_as_its_last_four(owner):
    row = _make(owner)
    assert KEY not in _raw_rows()
    assert KEY[8:-4] not in _raw_rows()  # no readable middle part either
    assert row.masked_key == f"sk-proj-…{KEY[-4:]}"
    assert decrypt_key(ModelConnection.objects.get(pk=row.pk).api_key_encrypted) == KEY
    assert connection_value(row).api_key == KEY
    assert row.base_url == "https://api.openai.com/v1"  # the trailing slash dropped


def test_short_keys_are_masked_without_any_of_their_characters():
    assert mask_key("abc123") == "••••"
    assert mask_key("") == ""


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("ftp://models.example.com/v1", "http:// or https://"),
        ("file:///etc/passwd", "http:// or https://"),
        ("javascript:alert(1)", "http:// or https://"),
        ("localhost:11434", "http:// or https://"),
        ("https://", "no host"),
        ("", "Enter the server's address"),
        ("https://user:pass@api.example.com/v1", "Leave the user name and password out"),
        ("https://api.example.com/v1?api-key=abc123", "Leave the key out of the address"),
        ("https://api.example.com/v 1", "cannot contain spaces"),
        ("https://api.example.com:99999/v1", "not a valid address"),
    ],
)
def test_an_address_that_is_not_http_or_https_is_refused_and_nothing_is_saved(owner, url, words):
    with pytest.raises(ConnectionInvalid) as caught:
        _make(owner, base_url=url)
    assert words in str(caught.value)
    assert caught.value.field == "base_url"
    assert not ModelConnection.objects.exists()


@pytest.mark.parametrize("allow_private", [True, False])
def test_link_local_and_metadata_addresses_are_refused_even_when_private_hosts_are_allowed(
    owner, settings, allow_private
):
    settings.NF_ALLOW_PRIVATE_MODEL_HOSTS = allow_private
    for url in (
        "http://169.254.169.254/latest/meta-data",
        "http://[fe80::1]:8080/v1",
        "http://0.0.0.0:8000/v1",
    ):
        with pytest.raises(ConnectionInvalid) as caught:
            _make(owner, base_url=url)
        assert caught.value.field == "base_url"
    assert not ModelConnection.objects.exists()


def test_private_addresses_are_refused_unless_the_operator_allows_private_hosts(owner, settings):
    settings.NF_ALLOW_PRIVATE_MODEL_HOSTS = False
    with pytest.raises(ConnectionInvalid) as caught:
        _make(owner, base_url="http://10.1.2.3:8000/v1")
    assert caught.value.field == "base_url"
    assert not ModelConnection.objects.exists()
    settings.NF_ALLOW_PRIVATE_MODEL_HOSTS = True
    row = _make(owner, base_url="http://10.1.2.3:8000/v1")
    assert connection_value(row).allow_private_hosts and connection_value(row).source == "user"


def test_an_empty_name_is_refused(owner):
    with pytest.raises(ConnectionInvalid, match="Give the connection a name") as caught:
        _make(owner, name="   ")
    assert caught.value.field == "name"
    assert not ModelConnection.objects.exists()


def test_a_duplicate_name_is_refused_whatever_its_case_but_another_user_may_use_it(owner, other_user):
    _make(owner, name="Work")
    with pytest.raises(ConnectionInvalid, match="already have a connection named"):
        _make(owner, name="  work ")
    assert ModelConnection.objects.filter(user=owner).count() == 1
    _make(other_user, name="Work")  # names are per writer
    second = _make(owner, name="Home")
    with pytest.raises(ConnectionInvalid, match="already have a connection named"):
        connection_update(user=owner, connection_id=second.pk, name="WORK")
    assert ModelConnection.objects.get(pk=second.pk).name == "Home"


@pytest.mark.parametrize(
    ("field", "value", "words"),
    [
        ("model_mini", "", "Name the model"),
        ("model_gpt4", "gpt 4o", "is not a model name"),
        ("context_window", 100, "between 512"),
        ("context_window", "lots", "number of tokens"),
        ("price_gpt4_output", -1, "between $0"),
        ("price_mini_input", "free", "dollars per 1M tokens"),
        ("json_mode", "xml", "Unknown JSON mode"),
        ("api_key", "sk-abc def", "cannot contain spaces"),
    ],
)
def test_other_bad_input_names_its_field_and_saves_nothing(owner, field, value, words):
    with pytest.raises(ConnectionInvalid) as caught:
        _make(owner, **{field: value})
    assert words in str(caught.value)
    assert caught.value.field == field
    assert not ModelConnection.objects.exists()


def test_another_users_connection_is_refused_like_one_that_does_not_exist(owner, other_user):
    theirs = _make(other_user, name="Theirs")
    for attempt in (
        lambda: connection_update(user=owner, connection_id=theirs.pk, name="Mine now"),
        lambda: connection_delete(user=owner, connection_id=theirs.pk),
        lambda: connection_set_default(user=owner, connection_id=theirs.pk),
        lambda: connection_update(user=owner, connection_id="no-such-id", name="x"),
    ):
        with pytest.raises(ConnectionInvalid, match="does not exist or is not yours"):
            attempt()
    with pytest.raises(ConnectionNotFound, match="does not exist or is not yours"):
        what_will_write(user=owner, choice=theirs.pk)
    assert connection_for_user(user=owner, connection_id=theirs.pk) is None
    assert connections_for_user(user=owner) == []
    theirs.refresh_from_db()
    assert theirs.name == "Theirs" and not theirs.is_default


def test_one_default_per_writer_and_the_default_is_what_writes(owner, settings):
    settings.OPENAI_API_KEY = ""
    settings.NF_LLM_BACKEND = "offline"
    assert what_will_write(user=owner).id == OPERATOR
    assert what_will_write(user=owner).engine == "offline"
    first = _make(owner, name="First", is_default=True)
    second = _make(owner, name="Second", is_default=True)
    assert list(ModelConnection.objects.filter(user=owner, is_default=True)) == [second]
    assert what_will_write(user=owner).id == second.pk
    assert what_will_write(user=owner, choice=first.pk).id == first.pk
    assert what_will_write(user=owner, choice=OPERATOR).id == OPERATOR
    connection_set_default(user=owner, connection_id=first.pk)
    assert [c.name for c in connections_for_user(user=owner)] == ["First", "Second"]
    connection_set_default(user=owner, connection_id=None)
    assert what_will_write(user=owner).id == OPERATOR


def test_updating_without_a_key_keeps_the_stored_one_and_an_empty_key_removes_it(owner):
    row = _make(owner)
    row = connection_update(user=owner, connection_id=row.pk, model_gpt4="gpt-4.1", api_key=None)
    assert connection_value(row).api_key == KEY
    assert row.model_gpt4 == "gpt-4.1"
    row = connection_update(user=owner, connection_id=row.pk, api_key="")
    assert not row.has_key and row.masked_key == "no key"


def test_the_operator_default_is_read_only_information_without_its_key(settings):
    settings.OPENAI_API_KEY = "sk-operator-9f8e7d6c5b4a3210"
    settings.NF_LLM_BACKEND = "openai"
    settings.OPENAI_BASE_URL = "https://models.example.com/v1"
    info = operator_connection()
    assert info.kind == "operator" and info.engine == "openai"
    assert info.key_hint == "sk-…3210"
    assert "sk-operator" not in repr(info)
    assert info.base_url == "https://models.example.com/v1"


def test_rotation_re_encrypts_every_key_with_the_first_key_and_old_keys_can_then_go(owner, settings):
    old = Fernet.generate_key().decode()
    settings.NF_CONNECTION_KEYS = [old]
    row = _make(owner)
    token_before = ModelConnection.objects.get(pk=row.pk).api_key_encrypted
    new = Fernet.generate_key().decode()
    settings.NF_CONNECTION_KEYS = [new, old]
    report = connection_keys_rotate()
    assert report.rotated == 1 and not report.unreadable
    token_after = ModelConnection.objects.get(pk=row.pk).api_key_encrypted
    assert token_after != token_before
    settings.NF_CONNECTION_KEYS = [new]  # the old key removed: the key still reads
    assert decrypt_key(token_after) == KEY


def test_rotation_with_a_missing_key_changes_nothing_and_names_what_it_could_not_read(owner, settings):
    settings.NF_CONNECTION_KEYS = [Fernet.generate_key().decode()]
    row = _make(owner)
    before = ModelConnection.objects.get(pk=row.pk).api_key_encrypted
    settings.NF_CONNECTION_KEYS = [Fernet.generate_key().decode()]
    report = connection_keys_rotate()
    assert report.unreadable == [row.pk] and report.rotated == 0
    assert ModelConnection.objects.get(pk=row.pk).api_key_encrypted == before
