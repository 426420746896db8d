"""Project pages: list, create, detail, edit, delete, world; codex entries."""

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from jobs.models import ACTIVE_STATUSES, JobStatus
from jobs.selectors import jobs_for_user
from narraforge.errors import UserFacingError
from narraforge.views import NARRATIVE_CARD_FIELDS
from narratives.selectors import narratives_for_user
from narratives.services import narrative_rename_character
from projects.codex_forms import CodexEntryForm
from projects.codex_selectors import codex_by_kind, codex_entry_of_user
from projects.codex_services import CodexError, codex_entry_create, codex_entry_delete, codex_entry_update
from projects.forms import ProjectForm, WorldForm
from projects.models import CodexEntry, CodexKind, Project, World
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


_GROUP_LABELS = {CodexKind.CHARACTER: "Characters", CodexKind.PLACE: "Places", CodexKind.LORE: "Lore"}


def _codex_groups(project: Project) -> list[tuple[str, str, list[CodexEntry]]]:
    groups = codex_by_kind(project=project)
    return [(kind, _GROUP_LABELS[kind], groups[kind]) for kind in CodexKind.values]


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
        "codex_groups": _codex_groups(project),
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
    if request.method == "POST" and form.is_valid():
        world_update(
            project=project,
            name=form.cleaned_data["name"],
            bible=form.bible(world.bible if world else None),
            timeline=form.cleaned_data["timeline"],
        )
        messages.success(request, "World saved. New narratives in this project will follow it.")
        return redirect("projects:detail", project.id)
    context = {"project": project, "world": world, "form": form}
    return render(request, "projects/world_form.html", context)


# --------------------------------------------------------------------------- codex

RENAME_CANDIDATES = 20


def codex_entry_get_for_user(*, user, project: Project, entry_id: str) -> CodexEntry:
    """The entry of the user's project or a 404: another user's entry id looks missing."""
    entry = codex_entry_of_user(user=user, project=project, entry_id=entry_id)
    if entry is None:
        raise Http404("No such codex entry.")
    return entry


def _codex_url(project: Project) -> str:
    return reverse("projects:detail", args=[project.id]) + "#codex-h"


def _refused(form: CodexEntryForm, exc: UserFacingError) -> None:
    form.add_error(exc.field if exc.field in form.fields else None, str(exc))


@login_required
@require_http_methods(["GET", "POST"])
def codex_entry_create_view(request, project_id, kind):
    project = project_get_for_user(user=request.user, project_id=project_id)
    if kind not in CodexKind.values:
        raise Http404("No such kind of codex entry.")
    form = CodexEntryForm(request.POST or None, kind=kind)
    if request.method == "POST" and form.is_valid():
        try:
            entry = codex_entry_create(project=project, kind=kind, **form.cleaned_data)
        except CodexError as exc:
            _refused(form, exc)
        else:
            messages.success(request, f"“{entry.name}” added to the codex. New chapters will follow it.")
            return redirect(_codex_url(project))
    context = {"project": project, "form": form, "kind": kind, "entry": None}
    status = 400 if request.method == "POST" else 200
    return render(request, "projects/codex_form.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def codex_entry_edit(request, project_id, entry_id):
    project = project_get_for_user(user=request.user, project_id=project_id)
    entry = codex_entry_get_for_user(user=request.user, project=project, entry_id=entry_id)
    old_name = entry.name
    form = CodexEntryForm.for_entry(entry, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            entry = codex_entry_update(entry=entry, **form.cleaned_data)
        except CodexError as exc:
            _refused(form, exc)
        else:
            messages.success(request, f"“{entry.name}” saved.")
            if entry.kind == CodexKind.CHARACTER and entry.name != old_name:
                url = reverse("projects:codex-rename", args=[project.id, entry.id])
                return redirect(f"{url}?{urlencode({'old': old_name})}")
            return redirect(_codex_url(project))
    context = {
        "project": project,
        "form": form,
        "kind": entry.kind,
        "kind_label": entry.get_kind_display(),
        "entry": entry,
        "old_name": old_name,
    }
    status = 400 if request.method == "POST" else 200
    return render(request, "projects/codex_form.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def codex_entry_delete_view(request, project_id, entry_id):
    project = project_get_for_user(user=request.user, project_id=project_id)
    entry = codex_entry_get_for_user(user=request.user, project=project, entry_id=entry_id)
    if request.method == "POST":
        codex_entry_delete(entry=entry)
        messages.success(request, f"“{entry.name}” removed from the codex.")
        return redirect(_codex_url(project))
    return render(request, "projects/codex_delete.html", {"project": project, "entry": entry})


def _rename_candidates(user, project: Project, old_name: str):
    """The project's newest versions whose cast has ``old_name`` (a JSON containment query)."""
    return list(
        narratives_for_user(user=user)
        .filter(project=project, children__isnull=True, metadata__characters__contains=[{"name": old_name}])
        .only("id", "title", "version", "created_at")
        .order_by("-created_at")[:RENAME_CANDIDATES]
    )


@login_required
@require_http_methods(["GET", "POST"])
def codex_rename_offer(request, project_id, entry_id):
    """After a character's name changed in the codex: apply the rename to a narrative, as a new version."""
    project = project_get_for_user(user=request.user, project_id=project_id)
    entry = codex_entry_get_for_user(user=request.user, project=project, entry_id=entry_id)
    old_name = " ".join((request.POST.get("old") or request.GET.get("old") or "").split())
    candidates = _rename_candidates(request.user, project, old_name) if old_name else []
    error = ""
    if request.method == "POST":
        chosen = next((n for n in candidates if n.pk == request.POST.get("narrative")), None)
        if chosen is None:
            error = f"Choose one of the narratives below that has a character called {old_name}."
        else:
            try:
                child = narrative_rename_character(narrative=chosen, old_name=old_name, new_name=entry.name)
            except UserFacingError as exc:
                error = str(exc)
            else:
                messages.success(
                    request, f"{old_name} is {entry.name} in version {child.version} of “{child.title}”."
                )
                return redirect("narratives:detail", pk=child.pk)
    context = {"project": project, "entry": entry, "old_name": old_name}
    context.update(candidates=candidates, error=error)
    return render(request, "projects/codex_rename.html", context, status=400 if error else 200)
