"""allauth adapters: reset links that survive dashed UUID ids, the client address
behind a trusted proxy, and the seed's profile columns from social sign-ins."""

from __future__ import annotations

import re
import uuid

from allauth.account.adapter import DefaultAccountAdapter
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from django.conf import settings
from django.core.exceptions import PermissionDenied

from narraforge.clientip import client_ip

# allauth's reset key is "<uid>-<token>" and its URL takes the uid up to the first
# dash; our ids are dashed UUIDs, so the link carries the id as 32 hex digits.
_DASHED_UID_KEY = re.compile(r"^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})-(.+)$", re.I)


def user_id_to_url(user_id: str) -> str:
    return uuid.UUID(str(user_id)).hex


def url_to_user_id(value: str) -> str | None:
    """The dashed id for a reset link's uid part, or None when it is not a UUID."""
    try:
        return str(uuid.UUID(hex=value)) if len(value) == 32 else None
    except ValueError:
        return None


class AccountAdapter(DefaultAccountAdapter):
    def get_reset_password_from_key_url(self, key: str) -> str:
        match = _DASHED_UID_KEY.match(key)
        if match:
            key = f"{user_id_to_url(match[1])}-{match[2]}"
        return super().get_reset_password_from_key_url(key)

    def get_client_ip(self, request) -> str:
        ip = client_ip(request, trusted_proxies=settings.NF_TRUSTED_PROXY_COUNT)
        if not ip:
            raise PermissionDenied("Unable to determine the client's address.")
        return ip


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    def populate_user(self, request, sociallogin, data):
        user = super().populate_user(request, sociallogin, data)
        extra = sociallogin.account.extra_data or {}
        user.oauth_provider = sociallogin.account.provider
        user.oauth_id = str(sociallogin.account.uid)
        name = data.get("name") or " ".join(p for p in (data.get("first_name"), data.get("last_name")) if p)
        user.full_name = (name or extra.get("name") or "")[:255] or None
        avatar = extra.get("picture") or extra.get("avatar_url")
        user.avatar_url = avatar[:500] if avatar else None
        return user
