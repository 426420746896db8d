"""What the chapter-job commands share: find the narrative, queue through the service, follow with --wait.

``regenerate_chapter``, ``continue_narrative`` and ``revise`` act for the narrative's
owner (an operator's script), through the same services as the reader, so limits,
the money ceiling and the stale-version rule are the same. Every refusal is a
``CommandError`` (the message on stderr, exit status 1) and writes nothing.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from jobs.management.follow import job_follow
from jobs.models import GenerationJob
from narraforge.errors import UserFacingError
from narratives.models import Narrative


class ChapterJobCommand(BaseCommand):
    def add_arguments(self, parser) -> None:
        parser.add_argument("narrative_id", help="the version to work on (its result is the next version)")
        parser.add_argument(
            "--branch", action="store_true", help="work on a version that already has a later one"
        )
        parser.add_argument("--wait", action="store_true", help="follow the queued job to its end")
        parser.add_argument("--timeout", type=float, default=None, help="give up waiting after N seconds")

    def start(self, narrative: Narrative, options: dict) -> GenerationJob:  # pragma: no cover - abstract
        raise NotImplementedError

    def handle(self, *args, **o) -> None:
        narrative = (
            Narrative.objects.filter(pk=o["narrative_id"]).select_related("user", "project", "job").first()
        )
        if narrative is None or narrative.user is None:
            raise CommandError(f"No narrative with the id {o['narrative_id']}.")
        try:
            job = self.start(narrative, o)
        except UserFacingError as exc:
            raise CommandError(str(exc)) from None
        version = narrative.version or 1
        self.stdout.write(
            f"Queued job {job.pk} for {narrative.user.email} on v{version} of “{narrative}” "
            f"(estimated ${job.estimated_cost_usd or 0:.4f}); its result will be v{version + 1}."
        )
        if o["wait"]:
            self.follow(job, o["timeout"])

    def follow(self, job: GenerationJob, timeout: float | None) -> None:
        job = job_follow(self, job, timeout)
        out = job.output or {}
        self.stdout.write(
            self.style.SUCCESS(
                f"narrative {out.get('narrative_id')}  version {out.get('version')}  "
                f"words {out.get('word_count')}  cost ${job.actual_cost_usd or 0:.4f}"
            )
        )
