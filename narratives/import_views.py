"""Import a manuscript (issue 16 §5): upload a .txt, .md or .docx into one of the user's projects.

The upload is limited before it is stored (``narratives.uploads``): a request
whose declared length is past the limit is refused without reading it, and a
file that grows past it is stopped. Another user's project is not offered and
is refused like a missing one.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_http_methods

from narraforge.errors import UserFacingError
from narratives.forms import ImportManuscriptForm
from narratives.import_services import narrative_import
from narratives.manuscript import MAX_UPLOAD_BYTES, MAX_UPLOAD_LABEL
from narratives.uploads import LimitedUploadHandler
from projects.selectors import project_of_user, projects_for_user

# Form fields and multipart framing around the file.
_ENVELOPE_BYTES = 64 * 1024


def _too_big_message(size: int | None = None) -> str:
    if size:
        megabytes = size / 1024 / 1024
        return f"This file is {megabytes:.1f} MB; the limit is {MAX_UPLOAD_LABEL}. Nothing was imported."
    return f"This file is too big: the limit is {MAX_UPLOAD_LABEL}. Nothing was imported."


@csrf_exempt  # only until the upload handler is in place: _import_checked is CSRF-protected
@login_required
@require_http_methods(["GET", "POST"])
def import_manuscript(request):
    projects = list(projects_for_user(user=request.user).only("id", "name", "default_genre"))
    if request.method == "POST":
        try:
            declared = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            declared = 0
        if declared > MAX_UPLOAD_BYTES + _ENVELOPE_BYTES:
            # Refused before a byte of the body is read: nothing stored, nothing parsed.
            form = ImportManuscriptForm(data={}, projects=projects)
            form.full_clean()
            form.errors.clear()
            form.add_error("file", _too_big_message(declared))
            return _page(request, form, projects, status=413)
        handler = LimitedUploadHandler(request, limit=MAX_UPLOAD_BYTES)
        request.upload_handlers.insert(0, handler)
        return _import_checked(request, projects, handler)
    return _import_checked(request, projects, None)


@csrf_protect
def _import_checked(request, projects, handler: LimitedUploadHandler | None):
    chosen = request.GET.get("project") or ""
    default = next((p for p in projects if p.pk == chosen), projects[0] if projects else None)
    initial = {
        "project": default.pk if default else "",
        "genre": (default.default_genre if default else "") or "drama",
    }
    if request.method != "POST":
        return _page(request, ImportManuscriptForm(initial=initial, projects=projects), projects)
    form = ImportManuscriptForm(request.POST, request.FILES, projects=projects)
    if handler is not None and handler.too_big:
        # Fields after the file were never read: only the size is worth saying.
        form.full_clean()
        form.errors.clear()
        form.add_error("file", _too_big_message())
        return _page(request, form, projects, status=413)
    if not form.is_valid():
        return _page(request, form, projects, status=400)
    data = form.cleaned_data
    project = project_of_user(user=request.user, project_id=data["project"])
    upload = data["file"]
    if project is None:  # pragma: no cover - the choices hold only the user's projects
        form.add_error("project", "That project does not exist or is not yours.")
        return _page(request, form, projects, status=400)
    if upload.size > MAX_UPLOAD_BYTES:
        form.add_error("file", _too_big_message(upload.size))
        return _page(request, form, projects, status=413)
    try:
        narrative, manuscript = narrative_import(
            user=request.user,
            project=project,
            filename=upload.name,
            data=upload.read(MAX_UPLOAD_BYTES + 1),
            title=data["title"],
            genre=data["genre"],
        )
    except UserFacingError as exc:
        form.add_error(exc.field if exc.field in form.fields else None, str(exc))
        return _page(request, form, projects, status=400)
    count = len(manuscript.chapters)
    chapters = f"{count} chapter{'s' if count != 1 else ''}"
    messages.success(request, f"Imported “{narrative}”: {chapters}, {narrative.word_count:,} words.")
    for note in manuscript.notes:
        messages.info(request, note)
    return redirect(reverse("narratives:detail", args=[narrative.pk]))


def _page(request, form, projects, *, status: int = 200):
    context = {"form": form, "has_projects": bool(projects), "limit_label": MAX_UPLOAD_LABEL}
    return render(request, "narratives/import.html", context, status=status)
