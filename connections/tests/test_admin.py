"""The admin lists writers' connections with the key masked and offers no way to read or change it."""

from __future__ import annotations

import pytest

from connections.models import ModelConnection
from connections.selectors import connection_value
from connections.services import connection_create

pytestmark = pytest.mark.django_db

KEY = "sk-proj-AdminMustNeverSeeThis0123456789wxyz"


@pytest.fixture
def own(owner):
    return connection_create(
        user=owner,
        name="Olive's OpenAI",
        base_url="https://api.openai.com/v1",
        api_key=KEY,
        model_mini="gpt-4o-mini",
        model_gpt4="gpt-4o",
    )


def test_staff_see_connections_with_the_key_masked(client, staff, own):
    client.force_login(staff)
    listing = client.get("/admin/connections/modelconnection/").content.decode()
    page = client.get(f"/admin/connections/modelconnection/{own.pk}/change/").content.decode()
    assert "Olive&#x27;s OpenAI" in listing and "owner@example.com" in listing
    assert "sk-proj-…wxyz" in listing and "sk-proj-…wxyz" in page
    encrypted = ModelConnection.objects.get(pk=own.pk).api_key_encrypted
    for html in (listing, page):
        assert KEY not in html and encrypted not in html
    assert 'name="api_key' not in page  # not even the encrypted token is a field


def test_a_crafted_post_cannot_change_the_key_or_the_connection(client, staff, own):
    client.force_login(staff)
    response = client.post(
        f"/admin/connections/modelconnection/{own.pk}/change/",
        {"name": "Hijacked", "base_url": "https://evil.example.com/v1", "api_key_encrypted": "x"},
    )
    assert response.status_code == 403
    own.refresh_from_db()
    assert own.name == "Olive's OpenAI" and own.base_url == "https://api.openai.com/v1"
    assert connection_value(own).api_key == KEY


def test_writers_cannot_open_the_connections_admin(client, owner, other_user, own):
    client.force_login(other_user)
    response = client.get(f"/admin/connections/modelconnection/{own.pk}/change/", follow=True)
    assert response.status_code == 403
    assert KEY[-4:] not in response.content.decode()
