"""Create (or reset) the demo account that `make run` prints."""

from django.core.management.base import BaseCommand

from accounts.models import User

DEMO_EMAIL = "demo@narraforge.local"
DEMO_PASSWORD = "demo-writer-2026"


class Command(BaseCommand):
    help = "Create the demo writer account (idempotent) and print its credentials."

    def handle(self, *args, **options) -> None:
        user = User.objects.filter(email=DEMO_EMAIL).first()
        if user is None:
            user = User.objects.create_user(
                email=DEMO_EMAIL, password=DEMO_PASSWORD, full_name="Demo Writer", is_verified=True
            )
            self._verify_email(user)
            verb = "Created"
        else:
            verb = "Found"
        self.stdout.write(
            self.style.SUCCESS(f"{verb} the demo account: {DEMO_EMAIL} / password {DEMO_PASSWORD}")
        )

    @staticmethod
    def _verify_email(user: User) -> None:
        from allauth.account.models import EmailAddress

        EmailAddress.objects.update_or_create(
            user=user, email=user.email, defaults={"verified": True, "primary": True}
        )
