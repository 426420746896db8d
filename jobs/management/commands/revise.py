"""`manage.py revise NARRATIVE_ID --instructions T [--chapters 1,3] [--wait]`: revise chosen chapters.

Without --chapters every chapter is revised; the others stay byte-identical either way.
"""

from __future__ import annotations

from django.core.management.base import CommandError

from jobs.chapter_services import job_create_chapter_revision
from jobs.management.chapter_command import ChapterJobCommand


class Command(ChapterJobCommand):
    help = "Queue a job that revises the chosen chapters with instructions (the result is the next version)."

    def add_arguments(self, parser) -> None:
        super().add_arguments(parser)
        parser.add_argument("--instructions", required=True, help="what should change")
        parser.add_argument("--chapters", default=None, help="comma-separated chapter numbers (default: all)")

    def start(self, narrative, o):
        chapters = None
        if o["chapters"] is not None:
            chapters = [part.strip() for part in o["chapters"].split(",") if part.strip()]
            if not chapters:
                raise CommandError("--chapters needs chapter numbers, e.g. --chapters 1,3.")
        return job_create_chapter_revision(
            user=narrative.user,
            narrative=narrative,
            instructions=o["instructions"],
            chapters=chapters,
            branch=o["branch"],
        )
