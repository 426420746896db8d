"""allauth adapters: fill the seed's profile columns from social sign-ins."""

from allauth.account.adapter import DefaultAccountAdapter
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter


class AccountAdapter(DefaultAccountAdapter):
    pass


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
