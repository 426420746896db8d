"""`manage.py forge`: generate a narrative from the command line.

Without --user the engine runs in this process (``jobs.pipeline.cli.run_forge``)
and writes files to --out. With --user EMAIL --project NAME the job goes
through the queue like one from the web (limits, usage, the user's library);
--wait follows its progress and prints the narrative id, words, cost and score.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from accounts.models import User
from jobs.engine_settings import backend_name, engine_config
from jobs.management.follow import job_follow
from jobs.pipeline import GENRES, LANGUAGES, PRODUCTION_TYPES, Brief, BriefError, PipelineError
from jobs.pipeline.brief import POLISH_MODES, POVS, STRUCTURES, TENSES, TONES
from jobs.pipeline.cli import run_forge
from jobs.services import job_create
from narraforge.errors import UserFacingError
from narraforge.textclean import clean_data, strip_control_chars
from projects.models import Project
from projects.services import project_create


class Command(BaseCommand):
    help = "Forge a narrative: in-process (files) or, with --user/--project, through the job queue."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--type", dest="production_type", required=True, choices=PRODUCTION_TYPES)
        parser.add_argument("--genre", required=True, choices=GENRES)
        parser.add_argument("--inspiration", required=True)
        parser.add_argument(
            "--title", default="", help="the writer's title (default: the engine proposes one)"
        )
        parser.add_argument("--language", default="en", choices=LANGUAGES)
        parser.add_argument("--world-notes", default="", help="people, places and rules of the world")
        parser.add_argument("--pov", default="third_limited", choices=POVS, help="point of view")
        parser.add_argument("--tense", default="past", choices=TENSES)
        parser.add_argument("--tone", default="neutral", choices=TONES)
        parser.add_argument("--structure", default="three_act", choices=STRUCTURES)
        parser.add_argument("--words", type=int, default=None, help="target words (the type's range)")
        parser.add_argument(
            "--polish", default="flagged", choices=POLISH_MODES, help="polishing pass: off, flagged, every"
        )
        parser.add_argument("--backend", choices=("offline", "openai"), default=None)
        parser.add_argument("--out", default="forge-output", help="output folder (in-process mode)")
        parser.add_argument("--user", default=None, help="queue the job for this user (email)")
        parser.add_argument("--project", default=None, help="the user's project name (created if missing)")
        parser.add_argument("--review-plan", action="store_true", help="stop after planning (plan review)")
        parser.add_argument("--wait", action="store_true", help="follow the queued job to its end")
        parser.add_argument("--timeout", type=float, default=None, help="give up waiting after N seconds")

    def handle(self, *args, **o) -> None:
        data = {
            "production_type": o["production_type"],
            "genre": o["genre"],
            "inspiration": o["inspiration"],
            "title": o["title"],
            "language": o["language"],
            "world_notes": o["world_notes"],
            "pov": o["pov"],
            "tense": o["tense"],
            "tone": o["tone"],
            "structure": o["structure"],
            "target_words": o["words"],
            "review_plan": o["review_plan"],
            "polish": o["polish"],
        }
        if o["user"] or o["project"]:
            if not (o["user"] and o["project"]):
                raise CommandError("--user and --project go together.")
            if o["backend"]:
                raise CommandError("--backend applies to in-process runs; queued jobs use NF_LLM_BACKEND.")
            return self._queued(data, o)
        self._in_process(data, o)

    def _in_process(self, data, o) -> None:

        try:
            brief = Brief.from_dict(clean_data(data))  # no control characters into the files either
            run_forge(brief, o["backend"] or backend_name(), o["out"], config=engine_config())
        except (BriefError, PipelineError) as exc:
            raise CommandError(str(exc))

    def _queued(self, data, o) -> None:

        user = User.objects.filter(email__iexact=o["user"]).first()
        if user is None:
            raise CommandError(f"No user with the email {o['user']}.")
        name = strip_control_chars(o["project"], multiline=False).strip()
        project = Project.objects.filter(user=user, name=name).order_by("created_at").first()
        if project is None:
            project = project_create(user=user, name=name)
            self.stdout.write(f"Created project “{project.name}”.")
        try:
            job = job_create(user=user, project=project, brief=data)
        except UserFacingError as exc:
            raise CommandError(str(exc))
        self.stdout.write(f"Queued job {job.pk} (estimated ${job.estimated_cost_usd or 0:.4f}).")
        if not o["wait"]:
            return
        job = job_follow(self, job, o["timeout"])
        out = job.output or {}
        if out.get("kind") == "plan":
            self.stdout.write(
                self.style.SUCCESS(f"Plan ready on job {job.pk} (cost ${job.actual_cost_usd:.4f}).")
            )
            return
        self.stdout.write(
            self.style.SUCCESS(
                f"narrative {out.get('narrative_id')}  words {out.get('word_count')}  "
                f"cost ${job.actual_cost_usd or 0:.4f}  score {out.get('overall_quality_score')}"
            )
        )
