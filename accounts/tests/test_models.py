import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from accounts.models import User
from accounts.tiers import TIERS, tier_for


@pytest.mark.django_db
def test_it_stores_the_email_lowercased_and_hashes_with_argon2(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.Argon2PasswordHasher"]
    user = User.objects.create_user(email="Writer@Example.COM", password="correct-horse-battery")
    user.refresh_from_db()
    assert user.email == "writer@example.com"
    assert user.password.startswith("argon2")
    assert user.check_password("correct-horse-battery")


@pytest.mark.django_db
def test_it_refuses_the_same_email_in_another_case_with_a_clear_message(owner):
    with pytest.raises(ValidationError) as err:
        User.objects.create_user(email="OWNER@example.com", password="x-long-password-1")
    assert "already exists" in str(err.value)
    assert User.objects.count() == 1


@pytest.mark.django_db
def test_the_database_refuses_a_case_variant_email_even_past_the_orm(owner):
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.bulk_create([User(email="Owner@Example.com")])


@pytest.mark.django_db
def test_log_in_lookup_ignores_case(owner):
    assert User.objects.get_by_natural_key("OWNER@EXAMPLE.COM") == owner


@pytest.mark.django_db
def test_a_new_user_gets_the_free_tier_limits(owner):
    owner.refresh_from_db()
    assert (owner.subscription_tier, owner.monthly_generation_limit, owner.monthly_cost_limit_usd) == (
        "free",
        5,
        10.0,
    )
    assert owner.is_verified is False


@pytest.mark.django_db
def test_staff_is_the_seed_superuser_flag(owner, staff):
    assert staff.is_staff and staff.has_perm("jobs.change_generationjob")
    assert not owner.is_staff and not owner.has_perm("jobs.change_generationjob")


def test_the_tier_table_matches_the_seed():
    assert {name: (t.generation_limit, t.cost_limit_usd) for name, t in TIERS.items()} == {
        "free": (5, 10.0),
        "pro": (50, 100.0),
        "enterprise": (None, None),
    }
    assert TIERS["enterprise"].unlimited


def test_an_unknown_tier_is_refused_naming_the_choices():
    with pytest.raises(ValueError, match="free, pro, enterprise"):
        tier_for("platinum")


@pytest.mark.django_db
def test_forms_refuse_an_invalid_tier(owner):
    owner.subscription_tier = "platinum"
    with pytest.raises(ValidationError) as err:
        owner.full_clean()
    assert "subscription_tier" in err.value.message_dict
