"""`manage.py backup_db [--out FILE]`: pg_dump the database (see narraforge/backups.py)."""

from django.core.management.base import BaseCommand, CommandError
from django.template.defaultfilters import filesizeformat

from narraforge.backups import BackupError, backup


class Command(BaseCommand):
    help = "Dump the database with pg_dump to var/backups/narraforge-YYYYmmdd-HHMMSS.sql.gz (or --out)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--out", help="Where to write the dump; gzip-compressed when it ends in .gz.")
        parser.add_argument("--database", default="default", help="Database alias (default: default).")

    def handle(self, *args, out: str | None, database: str, **options) -> None:
        try:
            result = backup(out, alias=database)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        major, minor = result.clients.version
        self.stdout.write(
            self.style.SUCCESS(
                f"Backed up to {result.path} ({filesizeformat(result.bytes)}; "
                f"pg_dump {major}.{minor}, {result.clients.source})"
            )
        )
