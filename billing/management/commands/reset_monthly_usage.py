from django.core.management.base import BaseCommand

from billing.services import usage_reset_monthly


class Command(BaseCommand):
    help = (
        "Reset every user's monthly counters to this month's usage logs (zero on the 1st). "
        "Idempotent: only the first run in a month does anything."
    )

    def handle(self, *args, **options) -> None:
        result = usage_reset_monthly()
        if result.performed:
            self.stdout.write(
                self.style.SUCCESS(f"Reset {result.month:%Y-%m}: {result.users} users' counters.")
            )
        else:
            self.stdout.write(
                f"{result.month:%Y-%m} was already reset at {result.reset_at:%Y-%m-%d %H:%M:%S} UTC; "
                "nothing to do."
            )
