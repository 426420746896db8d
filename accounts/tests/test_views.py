"""Profile page and the allauth pages in the NarraForge layout."""

import pytest
from django.urls import reverse

from accounts.models import User

pytestmark = pytest.mark.django_db


def test_profile_requires_login(client):
    response = client.get(reverse("accounts:profile"))
    assert response.status_code == 302
    assert reverse("account_login") in response["Location"]


def test_profile_shows_tier_limits_and_usage(client, owner):
    owner.monthly_generations_used = 3
    owner.monthly_cost_used_usd = 1.25
    owner.save()
    client.force_login(owner)
    response = client.get(reverse("accounts:profile"))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Olive Owner" in html
    assert "Free" in html
    assert "5 a month" in html
    assert "$1.25" in html
    assert 'max="5"' in html and 'value="3"' in html


def test_it_saves_a_profile_with_its_name_trimmed(client, owner):
    client.force_login(owner)
    response = client.post(
        reverse("accounts:profile"),
        {"full_name": "  Olive Q. Owner ", "avatar_url": "https://example.com/a.png"},
        follow=True,
    )
    owner.refresh_from_db()
    assert owner.full_name == "Olive Q. Owner"
    assert owner.avatar_url == "https://example.com/a.png"
    assert "Your profile was saved." in response.content.decode()


def test_profile_bad_form_shows_errors_and_changes_nothing(client, owner):
    client.force_login(owner)
    response = client.post(
        reverse("accounts:profile"), {"full_name": "X", "avatar_url": "http://insecure.test/a"}
    )
    owner.refresh_from_db()
    assert response.status_code == 200
    assert "https://" in response.content.decode()
    assert owner.full_name == "Olive Owner"
    assert owner.avatar_url is None


def test_profile_escapes_user_text(client, owner):
    owner.full_name = "<script>alert(1)</script>"
    owner.save()
    client.force_login(owner)
    html = client.get(reverse("accounts:profile")).content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;" in html


def test_unlimited_tier_reads_unlimited(client, owner):
    User.objects.filter(pk=owner.pk).update(
        subscription_tier="enterprise", monthly_generation_limit=None, monthly_cost_limit_usd=None
    )
    client.force_login(owner)
    html = client.get(reverse("accounts:profile")).content.decode()
    assert "Unlimited" in html and "Enterprise" in html


@pytest.mark.parametrize("name", ["account_login", "account_signup", "account_reset_password"])
def test_allauth_pages_use_the_layout(client, name):
    response = client.get(reverse(name))
    html = response.content.decode()
    assert response.status_code == 200
    assert 'href="/static/css/app.css"' in html
    assert 'class="auth"' in html
    assert 'name="csrf-token"' in html
    # No social buttons unless configured from the environment.
    assert "Continue with" not in html


def test_signup_logs_in_and_lands_on_dashboard(client):
    response = client.post(
        reverse("account_signup"),
        {
            "email": "new@example.com",
            "password1": "a-long-pass-phrase-9",
            "password2": "a-long-pass-phrase-9",
        },
        follow=True,
    )
    assert response.status_code == 200
    assert User.objects.filter(email="new@example.com").exists()
    assert "Welcome back" in response.content.decode() or "Dashboard" in response.content.decode()


def test_signup_bad_form_writes_nothing(client):
    response = client.post(
        reverse("account_signup"), {"email": "not-an-email", "password1": "x", "password2": "y"}
    )
    assert response.status_code == 200
    assert 'class="field__errors"' in response.content.decode()
    assert User.objects.count() == 0


def test_account_settings_pages_use_the_layout(client, owner):
    client.force_login(owner)
    for name in ("account_email", "account_change_password"):
        html = client.get(reverse(name)).content.decode()
        assert "Account settings" in html and 'class="side-nav"' in html


def test_pages_have_no_inline_script_or_style(client, owner):
    client.force_login(owner)
    for url in (reverse("home"), reverse("accounts:profile"), reverse("account_email")):
        html = client.get(url).content.decode()
        assert "<script>" not in html and "style=" not in html and "<style" not in html
