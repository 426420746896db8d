"""`manage.py restore_db FILE [--yes]`: replace the database with a dump (see narraforge/backups.py)."""

import sys

from django.core.management.base import BaseCommand, CommandError

from narraforge.backups import BackupError, Target, check_dump, restore


class Command(BaseCommand):
    help = "Restore a backup_db dump (.sql or .sql.gz) with psql, replacing everything in the database."

    def add_arguments(self, parser) -> None:
        parser.add_argument("file", help="The dump to restore.")
        parser.add_argument("--yes", action="store_true", help="Do not ask for confirmation.")
        parser.add_argument("--database", default="default", help="Database alias (default: default).")

    def handle(self, *args, file: str, yes: bool, database: str, **options) -> None:
        try:
            path = check_dump(file)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        target = Target.from_settings(database)
        where = f"database {target.name!r} on {target.host or 'localhost'}:{target.port or 5432}"
        if not yes:
            if not sys.stdin.isatty():
                raise CommandError(f"Restoring replaces everything in {where}; pass --yes (make: YES=1).")
            self.stdout.write(f"Restore {path} into {where}? Everything in it now is replaced.")
            if input("Type 'yes' to continue: ").strip().lower() != "yes":
                raise CommandError("Not restored.")
        try:
            result = restore(path, alias=database, target=target)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        major, minor = result.clients.version
        self.stdout.write(
            self.style.SUCCESS(
                f"Restored {result.path} into {where} (psql {major}.{minor}, {result.clients.source})"
            )
        )
