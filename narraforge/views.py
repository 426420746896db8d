"""The front door: a landing page for visitors, the dashboard for writers."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.views.decorators.http import require_GET

from jobs.engine_settings import backend_name
from jobs.models import ACTIVE_STATUSES
from jobs.page_versions import dashboard_version
from jobs.sample import offline_sample
from jobs.selectors import jobs_for_user
from narraforge.pagecache import cached_page
from narratives.selectors import narratives_for_user
from projects.selectors import projects_for_user

RECENT_PROJECTS = 6
RECENT_NARRATIVES = 6
RUNNING_JOBS = 10

# The narrative list never needs the text itself (it can be megabytes).
NARRATIVE_CARD_FIELDS = (
    "id",
    "title",
    "production_type",
    "genre",
    "word_count",
    "version",
    "generation_cost_usd",
    "created_at",
    "project_id",
    "project__name",
)


def recent_narratives(*, user, limit: int = RECENT_NARRATIVES):
    return (
        narratives_for_user(user=user)
        .select_related("project")
        .only(*NARRATIVE_CARD_FIELDS)
        .order_by("-created_at")[:limit]
    )


def running_jobs(*, user, limit: int = RUNNING_JOBS):
    return list(
        jobs_for_user(user=user)
        .filter(status__in=ACTIVE_STATUSES)
        .select_related("project")
        .defer("output")
        .order_by("-created_at")[:limit]
    )


def _dashboard_version(request) -> str:
    return dashboard_version(user_id=request.user.pk)  # asked for signed-in requests only


@require_GET
@cached_page(_dashboard_version)
def home(request):
    if not request.user.is_authenticated:
        return render(request, "dashboard/landing.html", {"sample": offline_sample()})
    user = request.user
    projects = list(projects_for_user(user=user)[:RECENT_PROJECTS])
    narratives = list(recent_narratives(user=user))
    running = running_jobs(user=user)
    has_jobs = bool(running or narratives) or jobs_for_user(user=user).exists()
    context = {
        "projects": projects,
        "running": running,
        "narratives": narratives,
        # A writer with nothing yet is new here: a welcome and the three steps instead of "Welcome back".
        "first_visit": not (projects or has_jobs),
        "steps": {"project": bool(projects), "brief": has_jobs, "read": bool(narratives)},
        "offline_engine": backend_name() == "offline",
    }
    return render(request, "dashboard/home.html", context)


@login_required
@require_GET
def dashboard_running(request):
    """The running-jobs panel alone, polled by htmx while any job is active."""
    return render(request, "dashboard/_running.html", {"running": running_jobs(user=request.user)})
