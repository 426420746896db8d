"""Whether a writer's email address is confirmed, and whether that is needed to start jobs.

The gate is NF_REQUIRE_VERIFIED_EMAIL (on by default when
ACCOUNT_EMAIL_VERIFICATION is "mandatory", i.e. in production). A confirmed
address is the seed's ``users.is_verified`` (kept by accounts/signals.py) or a
verified allauth address (social sign-ins set those directly).
"""

from __future__ import annotations

from allauth.account.models import EmailAddress
from django.conf import settings

from accounts.models import User

UNVERIFIED_MESSAGE = (
    "Confirm your email address before starting a job: open the link we sent to {email}, "
    "or ask for a new one on your profile page."
)


def verification_required() -> bool:
    return bool(getattr(settings, "NF_REQUIRE_VERIFIED_EMAIL", False))


def email_is_verified(user: User) -> bool:
    if user.is_verified:
        return True
    return EmailAddress.objects.filter(user_id=user.pk, verified=True).exists()


def user_may_start_jobs(user: User) -> bool:
    return not verification_required() or email_is_verified(user)


def unverified_message(user: User) -> str:
    return UNVERIFIED_MESSAGE.format(email=user.email)
