"""Project pages: list, create, detail (narratives, jobs, world, statistics), edit, delete, world."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from jobs.models import ACTIVE_STATUSES, JobStatus
from jobs.selectors import jobs_for_user
from narraforge.views import NARRATIVE_CARD_FIELDS
from narratives.selectors import narratives_for_user
from projects.forms import ProjectForm, WorldForm, character_formset
from projects.models import Project, World
from projects.selectors import project_of_user, projects_for_user
from projects.services import project_create, project_delete, project_update, world_update


def project_get_for_user(*, user, project_id: str) -> Project:
    """The user's project or a 404: another user's id is indistinguishable from a missing one."""
    project = project_of_user(user=user, project_id=project_id)
    if project is None:
        raise Http404("No such project.")
    return project


PROJECT_NARRATIVES = 20
PROJECT_JOBS = 10


def _world_of(project: Project) -> World | None:
    if not project.world_id:
        return None
    return World.objects.filter(pk=project.world_id, user_id=project.user_id).first()


@login_required
@require_GET
def project_list(request):
    projects = projects_for_user(user=request.user)
    return render(request, "projects/list.html", {"projects": projects})


@login_required
@require_http_methods(["GET", "POST"])
def project_create_view(request):
    form = ProjectForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        project = project_create(user=request.user, **form.cleaned_data)
        messages.success(request, f"Project “{project.name}” created.")
        return redirect("projects:detail", project.id)
    return render(request, "projects/form.html", {"form": form, "project": None})


@login_required
@require_GET
def project_detail(request, project_id):
    project = project_get_for_user(user=request.user, project_id=project_id)
    narratives = list(
        narratives_for_user(user=request.user)
        .filter(project=project)
        .only(*NARRATIVE_CARD_FIELDS)
        .select_related("project")
        .order_by("-created_at")[:PROJECT_NARRATIVES]
    )
    project_jobs = jobs_for_user(user=request.user, project=project)
    jobs = list(project_jobs.defer("output").order_by("-created_at")[:PROJECT_JOBS])
    job_counts = project_jobs.aggregate(
        total=Count("id"),
        active=Count("id", filter=Q(status__in=ACTIVE_STATUSES)),
        failed=Count("id", filter=Q(status=JobStatus.FAILED)),
    )
    context = {
        "project": project,
        "narratives": narratives,
        "jobs": jobs,
        "job_counts": job_counts,
        "world": _world_of(project),
        "has_running": any(job.is_active for job in jobs),
    }
    return render(request, "projects/detail.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def project_edit(request, project_id):
    project = project_get_for_user(user=request.user, project_id=project_id)
    form = ProjectForm.for_project(project, request.POST or None)
    if request.method == "POST" and form.is_valid():
        project_update(project=project, **form.cleaned_data)
        messages.success(request, "Project saved.")
        return redirect("projects:detail", project.id)
    return render(request, "projects/form.html", {"form": form, "project": project})


@login_required
@require_http_methods(["GET", "POST"])
def project_delete_view(request, project_id):
    project = project_get_for_user(user=request.user, project_id=project_id)
    if request.method == "POST":
        name = project.name
        project_delete(project=project)
        messages.success(request, f"Project “{name}” and everything in it was deleted.")
        return redirect("projects:list")
    counts = {
        "narratives": project.narratives.count(),
        "jobs": project.jobs.count(),
        "active_jobs": project.jobs.filter(status__in=ACTIVE_STATUSES).count(),
    }
    return render(request, "projects/delete.html", {"project": project, "counts": counts})


@login_required
@require_http_methods(["GET", "POST"])
def world_edit(request, project_id):
    project = project_get_for_user(user=request.user, project_id=project_id)
    world = _world_of(project)
    data = request.POST if request.method == "POST" else None
    form = WorldForm.for_world(world, project, data)
    characters = character_formset(world, data)
    if request.method == "POST" and form.is_valid() and characters.is_valid():
        world_update(
            project=project,
            name=form.cleaned_data["name"],
            bible=form.bible(world.bible if world else None),
            characters=characters.characters(world.characters if world else []),
            timeline=form.cleaned_data["timeline"],
        )
        messages.success(request, "World saved. New narratives in this project will follow it.")
        return redirect("projects:detail", project.id)
    context = {"project": project, "world": world, "form": form, "characters": characters}
    return render(request, "projects/world_form.html", context)
