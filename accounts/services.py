"""Writes for users' subscriptions: change a tier (and its limits), expire ended subscriptions.

The admin's tier actions, ``manage.py set_tier`` and the scheduled expiry all
go through these, so a tier and its limits never disagree.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.db import transaction
from django.utils import timezone

from accounts.models import UpgradeRequest, UpgradeStatus, User
from accounts.tiers import SubscriptionTier, tier_for, tiers_above
from accounts.upgrades import MAX_UPGRADE_NOTE

log = logging.getLogger(__name__)


def subscription_end_from_date(day: dt.date) -> dt.datetime:
    """A subscription "until" a date runs through that whole day: it ends at 00:00 UTC the day after."""
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min, tzinfo=dt.UTC)


def user_set_tier(
    *, user: User, tier: str, until: dt.datetime | dt.date | None = None, now: dt.datetime | None = None
) -> User:
    """Put the user on ``tier`` with that tier's monthly limits; ``until`` sets when it ends (None: no end).

    A date means "through that day" (see ``subscription_end_from_date``). Raises
    ValueError — and changes nothing — for an unknown tier, an end in the past,
    or an end on the free tier (free never ends). Usage counters are left alone:
    a downgraded user who already used more than the new limits simply cannot
    start new jobs until the next monthly reset.
    """
    spec = tier_for(tier)  # ValueError naming the allowed tiers
    now = now or timezone.now()
    if isinstance(until, dt.date) and not isinstance(until, dt.datetime):
        until = subscription_end_from_date(until)
    if until is not None:
        if timezone.is_naive(until):
            until = timezone.make_aware(until, dt.UTC)
        if spec.name == SubscriptionTier.FREE:
            raise ValueError("The free tier does not end; leave out the end date.")
        if until <= now:
            raise ValueError(f"The end date {until:%Y-%m-%d %H:%M} UTC is in the past.")
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        locked.subscription_tier = spec.name
        locked.monthly_generation_limit = spec.generation_limit
        locked.monthly_cost_limit_usd = spec.cost_limit_usd
        locked.subscription_ends_at = until
        locked.save(
            update_fields=[
                "subscription_tier",
                "monthly_generation_limit",
                "monthly_cost_limit_usd",
                "subscription_ends_at",
                "updated_at",
            ]
        )
    for field in (
        "subscription_tier",
        "monthly_generation_limit",
        "monthly_cost_limit_usd",
        "subscription_ends_at",
        "updated_at",
    ):
        setattr(user, field, getattr(locked, field))
    return locked


def users_expire_subscriptions(*, now: dt.datetime | None = None) -> list[User]:
    """Return every user whose paid subscription has ended to the free tier; the users changed.

    Idempotent: an expired user is on free with no end date, so a second run
    finds nothing. Users locked by someone else right now are picked up by the
    next run rather than waited for.
    """
    now = now or timezone.now()
    expired: list[User] = []
    due = (
        User.objects.filter(subscription_ends_at__lte=now)
        .exclude(subscription_tier=SubscriptionTier.FREE)
        .values_list("pk", flat=True)
    )
    for pk in list(due):
        with transaction.atomic():
            user = (
                User.objects.select_for_update(skip_locked=True)
                .filter(pk=pk, subscription_ends_at__lte=now)
                .exclude(subscription_tier=SubscriptionTier.FREE)
                .first()
            )
            if user is None:
                continue
            previous = user.subscription_tier
            expired.append(user_set_tier(user=user, tier=SubscriptionTier.FREE, now=now))
            log.info("Subscription of %s (%s) ended; back on free.", user.email, previous)
    # A free user with a stray end date (set by hand in the admin) has nothing to expire: clear it.
    User.objects.filter(subscription_tier=SubscriptionTier.FREE, subscription_ends_at__lte=now).update(
        subscription_ends_at=None
    )
    return expired


def email_confirmation_resend(*, request, email: str) -> str:
    """Send a new confirmation link to ``email`` if it is an account's unconfirmed address.

    Returns what happened — "sent", "limited" (a link went out less than the
    confirm_email rate limit ago) or "nothing" (no such account, or already
    confirmed) — for a signed-in writer's own address; pages for anonymous
    visitors must say the same thing in every case, so nobody learns who is
    registered.
    """
    from allauth.account.models import EmailAddress
    from allauth.core import ratelimit

    email = (email or "").strip().lower()
    user = User.objects.filter(email__iexact=email, is_active=True).first() if email else None
    if user is None or user.is_verified:
        return "nothing"
    # Accounts made in the admin or by a command have no allauth address row yet.
    address, _ = EmailAddress.objects.get_or_create(
        user=user, email=user.email, defaults={"primary": True, "verified": False}
    )
    if address.verified:
        return "nothing"
    if not ratelimit.consume(request, action="confirm_email", key=email):
        return "limited"
    address.send_confirmation(request)
    log.info("Sent a new email confirmation link to user %s.", user.pk)
    return "sent"


# --------------------------------------------------------------------------- upgrade requests


class UpgradeError(ValueError):
    """An upgrade request that cannot be made or decided; the message is for the person."""


def upgrade_request_create(*, user: User, tier: str, note: str = "") -> UpgradeRequest:
    """Ask staff for ``tier``.

    Refused (nothing written) for a tier not above the user's own, or while another request is open.
    """
    note = (note or "").strip()
    if tier not in {t.value for t in SubscriptionTier}:
        raise UpgradeError("Choose one of the plans on this page.")
    if len(note) > MAX_UPGRADE_NOTE:
        raise UpgradeError(
            f"The note is {len(note):,} characters long; keep it to {MAX_UPGRADE_NOTE:,} characters."
        )
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        current = locked.subscription_tier or SubscriptionTier.FREE
        if tier not in tiers_above(current):
            raise UpgradeError(
                f"You are already on {tier_for(current).label}; you can only ask for a bigger plan."
            )
        pending = UpgradeRequest.objects.filter(user=locked, status=UpgradeStatus.PENDING).first()
        if pending is not None:
            raise UpgradeError(
                f"You already asked for {tier_for(pending.tier).label} on {pending.created_at:%d %b %Y}; "
                "staff will answer that request first."
            )
        return UpgradeRequest.objects.create(user=locked, tier=tier, from_tier=current, note=note)


def upgrade_request_decide(*, request: UpgradeRequest, staff: User, approve: bool) -> UpgradeRequest:
    """Approve (the user moves to the tier with its limits) or decline a pending request."""
    with transaction.atomic():
        locked = UpgradeRequest.objects.select_for_update().get(pk=request.pk)
        if locked.status != UpgradeStatus.PENDING:
            raise UpgradeError(f"That request was already {locked.get_status_display().lower()}.")
        if approve:
            user_set_tier(user=locked.user, tier=locked.tier)
        locked.status = UpgradeStatus.APPROVED if approve else UpgradeStatus.DECLINED
        locked.decided_at = timezone.now()
        locked.decided_by = staff
        locked.save(update_fields=["status", "decided_at", "decided_by"])
        log.info("Upgrade request %s %s by %s", locked.pk, locked.status, staff.pk)
        return locked
