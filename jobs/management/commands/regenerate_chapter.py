"""`manage.py regenerate_chapter NARRATIVE_ID N [--instructions T] [--wait]`: rewrite one chapter.

Every other chapter stays byte-identical in the new version (``jobs.chapter_services``).
"""

from __future__ import annotations

from jobs.chapter_services import job_create_regeneration
from jobs.management.chapter_command import ChapterJobCommand


class Command(ChapterJobCommand):
    help = "Queue a job that rewrites chapter N of a narrative (the result is its next version)."

    def add_arguments(self, parser) -> None:
        super().add_arguments(parser)
        parser.add_argument("chapter", type=int, help="the chapter's number in the reader (1 = first)")
        parser.add_argument("--instructions", default="", help="what to change (a model follows them)")

    def start(self, narrative, o):
        return job_create_regeneration(
            user=narrative.user,
            narrative=narrative,
            chapter=o["chapter"],
            instructions=o["instructions"],
            branch=o["branch"],
        )
