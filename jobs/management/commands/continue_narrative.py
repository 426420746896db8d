"""`manage.py continue_narrative NARRATIVE_ID --chapters N [--instructions T] [--wait]`: add N chapters."""

from __future__ import annotations

from jobs.chapter_services import MAX_ADD, job_create_continuation
from jobs.management.chapter_command import ChapterJobCommand


class Command(ChapterJobCommand):
    help = "Queue a job that adds N chapters after the last one (the result is the next version)."

    def add_arguments(self, parser) -> None:
        super().add_arguments(parser)
        parser.add_argument("--chapters", type=int, required=True, help=f"how many to add (1 to {MAX_ADD})")
        parser.add_argument("--instructions", default="", help="what should happen next")

    def start(self, narrative, o):
        return job_create_continuation(
            user=narrative.user,
            narrative=narrative,
            chapters=o["chapters"],
            instructions=o["instructions"],
            branch=o["branch"],
        )
