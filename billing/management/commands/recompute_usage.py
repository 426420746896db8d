from django.core.management.base import BaseCommand

from billing.services import usage_recompute


class Command(BaseCommand):
    help = (
        "Check that every user's monthly counters equal this month's usage logs; list the differences. "
        "--fix sets the counters to the logs. Exit status 1 when differences were found and not fixed."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--fix", action="store_true", help="Repair the counters that differ.")

    def handle(self, *args, fix: bool, **options) -> None:
        mismatches = usage_recompute(fix=fix)
        if not mismatches:
            self.stdout.write(
                self.style.SUCCESS("All users' monthly counters match this month's usage logs.")
            )
            return
        for m in mismatches:
            self.stdout.write(f"{m.email}: {m.field} is {m.stored!r}, the logs say {m.expected!r}")
        users = len({m.user_id for m in mismatches})
        if fix:
            self.stdout.write(self.style.SUCCESS(f"Fixed {len(mismatches)} counters of {users} users."))
        else:
            self.stderr.write(
                f"{len(mismatches)} counters of {users} users differ; run with --fix to repair."
            )
            raise SystemExit(1)
