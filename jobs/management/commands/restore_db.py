"""`manage.py restore_db FILE [--yes]`: replace the database with a dump (narraforge/backups.py).

It knows what a restore undoes (``jobs.restoring``): it refuses while workers
are connected or jobs are queued or running — with ``--yes`` it stops the
workers first — it lists the jobs and narratives newer than the dump that will
be lost, and after the restore it ends the jobs the dump holds as running
(failed, resumable, billed once) so no reaper revisits them.
"""

import sys

from django.core.management.base import BaseCommand, CommandError

from jobs.restoring import restore_settle, restore_stop_workers, restore_survey
from narraforge.backups import BackupError, Target, check_dump, dump_taken_at, restore

SHOWN = 20


class Command(BaseCommand):
    help = "Restore a backup_db dump (.sql or .sql.gz) with psql, replacing everything in the database."

    def add_arguments(self, parser) -> None:
        parser.add_argument("file", help="The dump to restore.")
        parser.add_argument(
            "--yes", action="store_true", help="Do not ask; stop connected workers and running jobs first."
        )
        parser.add_argument("--database", default="default", help="Database alias (default: default).")

    def handle(self, *args, file: str, yes: bool, database: str, **options) -> None:
        try:
            path = check_dump(file)
            taken_at = dump_taken_at(path)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        target = Target.from_settings(database)
        where = f"database {target.name!r} on {target.host or 'localhost'}:{target.port or 5432}"
        survey = restore_survey(taken_at)
        self._warn_losses(survey)
        if survey.busy and not yes:
            raise CommandError(
                f"Not restored: {len(survey.workers)} worker(s) connected and "
                f"{len(survey.active_jobs)} job(s) queued or running. Stop the workers first, "
                "or pass --yes to have them stopped "
                "(running jobs are then lost with everything newer than the dump)."
            )
        if not yes:
            if not sys.stdin.isatty():
                raise CommandError(f"Restoring replaces everything in {where}; pass --yes (make: YES=1).")
            self.stdout.write(f"Restore {path} into {where}? Everything in it now is replaced.")
            if input("Type 'yes' to continue: ").strip().lower() != "yes":
                raise CommandError("Not restored.")
        if survey.workers:
            try:
                stopped = restore_stop_workers()
            except TimeoutError as exc:
                raise CommandError(f"Not restored: {exc}.") from exc
            self.stdout.write(f"Stopped {len(stopped)} worker(s): {', '.join(stopped)}")
        try:
            result = restore(path, alias=database, target=target)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        ended = restore_settle(taken_at)
        major, minor = result.clients.version
        self.stdout.write(
            self.style.SUCCESS(
                f"Restored {result.path} (taken at {taken_at:%Y-%m-%d %H:%M:%S} UTC) into {where} "
                f"(psql {major}.{minor}, {result.clients.source})"
            )
        )
        if ended:
            self.stdout.write(
                f"{len(ended)} job(s) were running in the backup; now failed and resumable: "
                + ", ".join(ended)
            )
        self.stdout.write("Start the workers again (make worker / the worker service).")

    def _warn_losses(self, survey) -> None:
        when = f"{survey.taken_at:%Y-%m-%d %H:%M:%S} UTC" if survey.taken_at else "the dump"
        if survey.newer_jobs:
            self.stdout.write(
                self.style.WARNING(
                    f"{len(survey.newer_jobs)} job(s) changed after {when} will go back to the backup's "
                    "state or disappear (their usage logs too):"
                )
            )
            for job_id, status in survey.newer_jobs[:SHOWN]:
                self.stdout.write(f"  job {job_id} ({status} now)")
        if survey.newer_narratives:
            self.stdout.write(
                self.style.WARNING(
                    f"{len(survey.newer_narratives)} narrative(s) written after {when} will be lost:"
                )
            )
            for narrative_id, title in survey.newer_narratives[:SHOWN]:
                self.stdout.write(f"  {title} ({narrative_id})")
        for name in survey.workers:
            self.stdout.write(f"Worker connected: {name}")
        for job_id, status in survey.active_jobs[:SHOWN]:
            self.stdout.write(f"Job {job_id} is {status}")
