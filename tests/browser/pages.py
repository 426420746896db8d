"""Every page of the product, with real data behind it, for the layout suite.

The data comes from the product's own code paths: ``job_create`` and the RQ
task body ``run_job`` run in-process with the offline engine (no worker
process needed), so the narrative, its plan, usage logs and counters are the
ones a writer would have.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.test import Client
from django.urls import reverse

BRIEF = {
    "production_type": "short_story",
    "genre": "fantasy",
    "title": "The Keeper of Letters",
    "inspiration": "A lighthouse keeper finds letters addressed to someone not born for a hundred years.",
    "target_words": 5000,
}


@dataclass
class Site:
    user: object
    project: object
    narrative: object
    revision: object
    done_job: object
    queued_job: object
    failed_job: object
    plan_job: object
    connection: object = None  # a model connection of the writer's own (Profile → Model connections)

    def _first_entry(self) -> str:
        return self.project.codex_entries.order_by("position").first().pk

    def pages(self) -> list[tuple[str, str]]:
        """(name, path) of every page a signed-in writer can open."""
        p, n, r = self.project.pk, self.narrative.pk, self.revision.pk
        return [
            ("dashboard", reverse("home")),
            ("projects", reverse("projects:list")),
            ("project-new", reverse("projects:create")),
            ("project", reverse("projects:detail", args=[p])),
            ("project-edit", reverse("projects:edit", args=[p])),
            ("project-world", reverse("projects:world", args=[p])),
            ("project-delete", reverse("projects:delete", args=[p])),
            ("codex-add", reverse("projects:codex-add", args=[p, "character"])),
            ("codex-edit", reverse("projects:codex-edit", args=[p, self._first_entry()])),
            ("codex-delete", reverse("projects:codex-delete", args=[p, self._first_entry()])),
            ("codex-rename", reverse("projects:codex-rename", args=[p, self._first_entry()]) + "?old=Nobody"),
            ("generate", reverse("jobs:create", args=[p])),
            ("jobs", reverse("jobs:list")),
            ("job-done", reverse("jobs:detail", args=[self.done_job.pk])),
            ("job-queued", reverse("jobs:detail", args=[self.queued_job.pk])),
            ("job-failed", reverse("jobs:detail", args=[self.failed_job.pk])),
            ("plan-review", reverse("jobs:plan", args=[self.plan_job.pk])),
            ("library", reverse("narratives:library")),
            ("library-search", reverse("narratives:library") + "?q=letters"),
            ("reader", reverse("narratives:detail", args=[n])),
            ("versions", reverse("narratives:versions", args=[r])),
            ("diff", reverse("narratives:diff", args=[r]) + f"?against={n}"),
            ("revise", reverse("narratives:revise", args=[n])),
            ("chapter-edit", reverse("narratives:edit-chapter", args=[n, 1])),
            ("import", reverse("narratives:import") + f"?project={p}"),
            ("rename", reverse("narratives:rename", args=[n])),
            ("narrative-delete", reverse("narratives:delete", args=[n])),
            ("usage", reverse("billing:usage")),
            ("plans", reverse("billing:plans")),
            ("profile", reverse("accounts:profile")),
            ("connections", reverse("connections:list")),
            ("connection-new", reverse("connections:create")),
            *(
                [
                    ("connection-edit", reverse("connections:edit", args=[self.connection.pk])),
                    ("connection-delete", reverse("connections:delete", args=[self.connection.pk])),
                ]
                if self.connection is not None
                else []
            ),
            ("emails", reverse("account_email")),
            ("password-change", reverse("account_change_password")),
            ("sign-out", reverse("account_logout")),
        ]


PUBLIC_PAGES = [
    ("landing", "/"),
    ("sign-in", "/accounts/login/"),
    ("sign-up", "/accounts/signup/"),
    ("password-reset", "/accounts/password/reset/"),
]


def _finish(job_id: str) -> None:
    """Run the job to its end in this process: the same task body a worker runs."""
    from jobs.attempt import run_job

    assert run_job(job_id) != "skipped"


def build_site(*, email: str = "writer@example.com") -> Site:
    from accounts.models import User
    from connections.services import connection_create
    from jobs.models import GenerationJob, JobStatus
    from jobs.services import job_create
    from narratives.models import Narrative
    from projects.services import project_create

    user = User.objects.create_user(email=email, password="a-long-pass-phrase-9", full_name="Wren Writer")  # noqa: S106
    project = project_create(
        user=user,
        name="Northern Lights",
        description="Stories of the northern coast, where lighthouse keepers trade letters with the future.",
        default_production_type="short_story",
        default_genre="fantasy",
    )
    done = job_create(user=user, project=project, brief=BRIEF)
    _finish(done.pk)
    narrative = Narrative.objects.get(job=done)
    revision = Narrative.objects.create(
        user=user,
        project=project,
        title=narrative.title,
        production_type=narrative.production_type,
        genre=narrative.genre,
        narrative_text=narrative.narrative_text.replace("the", "a", 40),
        word_count=narrative.word_count,
        metadata=narrative.metadata,
        generation_cost_usd=0.0,
        tokens_used=narrative.tokens_used,
        version=2,
        parent_narrative=narrative,
    )
    plan = job_create(
        user=user, project=project, brief={**BRIEF, "title": "The Glass Tide", "review_plan": True}
    )
    _finish(plan.pk)
    failed = job_create(user=user, project=project, brief={**BRIEF, "title": "A Storm of Paper"})
    GenerationJob.objects.filter(pk=failed.pk).update(
        status=JobStatus.FAILED,
        error_message="The model provider refused the request (HTTP 429: rate limited). Resume to try again.",
        progress_percentage=41.0,
        completed_stages=["brief_interpretation", "world_architecture", "character_architecture"],
        can_resume=True,
    )
    queued = job_create(user=user, project=project, brief={**BRIEF, "title": "Salt and Semaphore"})
    connection = connection_create(
        user=user,
        name="Home llama on the study machine",
        preset="ollama",
        base_url="http://127.0.0.1:11434/v1",
        model_mini="llama3.1:8b-instruct-q4_K_M",
        model_gpt4="meta-llama/Llama-3.1-70B-Instruct-Turbo",
    )
    return Site(user, project, narrative, revision, done, queued, failed, plan, connection)


def sign_in(page, base: str, user) -> None:
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    page.context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": base}])


def horizontal_overflow(page) -> dict | None:
    """None when the page does not scroll sideways; else the widths and the widest culprits.

    Measured against the device's width, not ``innerWidth``: a phone browser
    widens its layout viewport to fit over-wide content (innerWidth grows to
    match), which hides the very overflow a person has to pan across.
    """
    return page.evaluate(
        """(width) => {
          const doc = document.documentElement;
          if (doc.scrollWidth <= width && window.innerWidth <= width) return null;
          const wide = [];
          for (const el of document.body.querySelectorAll('*')) {
            const r = el.getBoundingClientRect();
            if (r.right > width + 1) {
              const cls = typeof el.className === 'string' && el.className.trim()
                ? '.' + el.className.trim().split(/\\s+/).join('.') : '';
              wide.push(el.tagName.toLowerCase() + cls + ' → ' + Math.round(r.right));
            }
          }
          return {scrollWidth: doc.scrollWidth, innerWidth: window.innerWidth, culprits: wide.slice(0, 8)};
        }""",
        page.viewport_size["width"],
    )
