import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from accounts.models import User
from accounts.services import user_set_tier
from accounts.tiers import TIERS


class Command(BaseCommand):
    help = (
        "Put a user on a subscription tier (free, pro, enterprise) with that tier's monthly limits. "
        "--until DATE (YYYY-MM-DD) ends it after that day (00:00 UTC the day after); the user then "
        "returns to free."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("email")
        parser.add_argument("tier", help=f"One of: {', '.join(TIERS)}.")
        parser.add_argument("--until", metavar="DATE", help="Last day of the subscription, YYYY-MM-DD.")

    def handle(self, *args, email: str, tier: str, until: str | None, **options) -> None:
        tier = tier.strip().lower()
        if tier not in TIERS:
            raise CommandError(f"Unknown tier {tier!r}; choose one of: {', '.join(TIERS)}.")
        until_date = None
        if until:
            try:
                until_date = dt.date.fromisoformat(until.strip())
            except ValueError:
                raise CommandError(
                    f"--until {until!r} is not a date; write it as YYYY-MM-DD, e.g. 2026-12-31."
                )
        user = User.objects.filter(email__iexact=email.strip()).first()
        if user is None:
            raise CommandError(f"No user with the email address {email!r}.")
        try:
            user = user_set_tier(user=user, tier=tier, until=until_date)
        except ValueError as exc:
            raise CommandError(str(exc))
        gens = "unlimited" if user.monthly_generation_limit is None else user.monthly_generation_limit
        cost = "unlimited" if user.monthly_cost_limit_usd is None else f"${user.monthly_cost_limit_usd:,.2f}"
        ends = (
            f", ends {user.subscription_ends_at:%Y-%m-%d %H:%M} UTC"
            if user.subscription_ends_at
            else ", no end date"
        )
        self.stdout.write(
            self.style.SUCCESS(
                f"{user.email} is now on {user.tier.label}: {gens} generations and {cost} a month{ends}."
            )
        )
