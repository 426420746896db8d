"""``manage.py import_manuscript FILE --user EMAIL --project NAME [--title T]``: the web import, by hand."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from accounts.models import User
from narraforge.errors import UserFacingError
from narratives.import_services import narrative_import
from narratives.manuscript import MAX_UPLOAD_BYTES, MAX_UPLOAD_LABEL
from projects.models import Project


class Command(BaseCommand):
    help = f"Import a .txt, .md or .docx manuscript (at most {MAX_UPLOAD_LABEL}) into a user's project."

    def add_arguments(self, parser):
        parser.add_argument("file", help="The manuscript: .txt, .md or .docx.")
        parser.add_argument("--user", required=True, help="The owner's email.")
        parser.add_argument("--project", required=True, help="The project's name (or id) among the user's.")
        parser.add_argument("--title", default="", help="The narrative's title (default: the file's own).")
        parser.add_argument("--genre", default="", help="A genre (default: the project's default genre).")

    def handle(self, *args, file: str, user: str, project: str, title: str, genre: str, **options):
        owner = User.objects.filter(email__iexact=user.strip()).first()
        if owner is None:
            raise CommandError(f"No user with email {user!r}.")
        found = Project.objects.filter(user=owner, pk=project).first() if _looks_like_id(project) else None
        if found is None:
            matches = list(Project.objects.filter(user=owner, name=project))
            if len(matches) > 1:
                raise CommandError(
                    f"{owner.email} has {len(matches)} projects named {project!r}: give its id."
                )
            found = matches[0] if matches else None
        if found is None:
            raise CommandError(f"{owner.email} has no project named {project!r}.")
        path = Path(file)
        try:
            size = path.stat().st_size
            if size > MAX_UPLOAD_BYTES:
                # The limit is checked before the file is read, as the web upload does.
                megabytes = size / 1024 / 1024
                raise CommandError(
                    f"{path} is {megabytes:.1f} MB; the limit is {MAX_UPLOAD_LABEL}. Nothing was imported."
                )
            data = path.read_bytes()
        except OSError as exc:
            raise CommandError(f"Cannot read {path}: {exc.strerror or exc}.")
        try:
            narrative, manuscript = narrative_import(
                user=owner, project=found, filename=path.name, data=data, title=title, genre=genre
            )
        except UserFacingError as exc:
            raise CommandError(f"{exc} Nothing was imported.")
        self.stdout.write(
            f"Imported “{narrative}” ({len(manuscript.chapters)} chapters, {narrative.word_count:,} words) "
            f"as narrative {narrative.pk} in project “{found.name}”."
        )
        for note in manuscript.notes:
            self.stdout.write(f"Note: {note}")


def _looks_like_id(value: str) -> bool:
    return len(value) == 36 and value.count("-") == 4
