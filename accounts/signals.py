"""Keep `users.is_verified` in step with allauth's verified email addresses."""

from allauth.account.signals import email_confirmed
from django.dispatch import receiver


@receiver(email_confirmed)
def mark_user_verified(sender, request, email_address, **kwargs) -> None:
    user = email_address.user
    if email_address.primary or email_address.email.lower() == user.email.lower():
        type(user).objects.filter(pk=user.pk).update(is_verified=True)
