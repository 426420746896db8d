"""Library, reader, versions (diff, revise, rename, delete) and downloads.

Every view needs a signed-in user and looks narratives up through the user's
own queryset, so another user's id is a 404. Narrative text only ever reaches
templates as plain strings, which Django escapes.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_safe

from narraforge.errors import UserFacingError
from narraforge.pagecache import cached_page
from narratives import selectors, services
from narratives.codex_mentions import narrative_codex_mentions
from narratives.diff import diff_texts
from narratives.export_services import exports_storage, is_sync, narrative_export_request
from narratives.exports import FORMATS, UnknownFormat, export_filename, export_narrative, get_format
from narratives.forms import CompareForm, LibraryFilterForm, RenameCharacterForm, RenameForm
from narratives.models import Narrative
from narratives.page_versions import library_version, reader_version
from narratives.reader import reader_body
from projects.selectors import projects_for_user

PAGE_SIZE = 20


def narrative_get_for_user(*, user, narrative_id: str, defer_text: bool = False) -> Narrative:
    """The user's narrative or a 404: another user's id is indistinguishable from a missing one."""
    narrative = selectors.narrative_of_user(user=user, narrative_id=narrative_id, defer_text=defer_text)
    if narrative is None:
        raise Http404("No such narrative.")
    return narrative


def _library_version(request) -> str | None:
    return library_version(user_id=request.user.pk, searching=bool(request.GET.get("q", "").strip()))


def _reader_version(request, pk: str) -> str | None:
    return reader_version(user_id=request.user.pk, narrative_id=pk)


@login_required
@require_GET
@cached_page(_library_version)
def library(request):
    projects = list(projects_for_user(user=request.user).only("id", "name"))
    form = LibraryFilterForm(request.GET, projects=projects)
    filters = form.filters()
    page = selectors.narrative_library_page(
        user=request.user, page_number=request.GET.get("page"), per_page=PAGE_SIZE, **filters
    )
    query_string = request.GET.copy()
    query_string.pop("page", None)
    context = {
        "form": form,
        "page": page,
        "filters": filters,
        "query_string": query_string.urlencode(),
        "has_projects": bool(projects),
    }
    # htmx filter/page requests swap only the results; a history restore gets the whole page.
    htmx = request.htmx
    partial = htmx and htmx.target == "library-results" and not htmx.history_restore_request
    template = "narratives/_library_results.html" if partial else "narratives/library.html"
    return render(request, template, context)


@login_required
@require_safe
@cached_page(_reader_version)
def detail(request, pk: str):
    # The body usually comes from the cache (narratives.reader): the text is read only to build it.
    narrative = narrative_get_for_user(user=request.user, narrative_id=pk, defer_text=True)
    if services.narrative_record_view(narrative=narrative, viewer=request.user, method=request.method):
        narrative.view_count = (narrative.view_count or 0) + 1
    body = reader_body(narrative)
    context = {
        "narrative": narrative,
        "body": body,
        "codex_mentions": _codex_mentions(narrative, body),
        "panel": selectors.reader_panel(narrative),
        "formats": FORMATS.values(),
        "sync_formats": [key for key in FORMATS if is_sync(key, narrative.word_count)],
        "parent": _light_parent(narrative),
        "children": list(narrative.children.only("id", "title", "version").order_by("version", "created_at")),
        # Set by the chapter editor after a save: the browser drops that chapter's draft.
        "clear_draft": request.session.pop("nf_clear_draft", None),
    }
    return render(request, "narratives/detail.html", context)


def _codex_mentions(narrative, body) -> list[dict]:
    """The codex entries this version mentions, each with (number, anchor, title) of its chapters."""
    chapters = {ch.number: ch for ch in body.chapters}
    return [
        {
            "entry": found["entry"],
            "chapters": [chapters[n] for n in found["chapters"] if n in chapters],
        }
        for found in narrative_codex_mentions(narrative=narrative)
    ]


def _light_parent(narrative):
    if not narrative.parent_narrative_id:
        return None
    return (
        selectors.narratives_for_user(user=narrative.user)
        .filter(pk=narrative.parent_narrative_id)
        .only("id", "title", "version")
        .first()
    )


@login_required
@require_GET
def versions(request, pk: str):
    narrative = narrative_get_for_user(user=request.user, narrative_id=pk)
    family = selectors.narrative_family(narrative=narrative)
    return render(
        request,
        "narratives/versions.html",
        {
            "narrative": narrative,
            "family": family,
            "compare_form": CompareForm(family=family, current=narrative),
            "rename_form": RenameForm(initial={"title": narrative.title}),
        },
    )


@login_required
@require_GET
def diff(request, pk: str):
    narrative = narrative_get_for_user(user=request.user, narrative_id=pk)
    against_id = request.GET.get("against") or narrative.parent_narrative_id
    if not against_id:
        messages.info(request, "This is the first version: choose another version to compare with.")
        return redirect("narratives:versions", pk=narrative.pk)
    other = narrative_get_for_user(user=request.user, narrative_id=against_id)
    # Older on the left, newer on the right, whichever order they were picked in.
    old, new = sorted((other, narrative), key=lambda n: (n.version or 0, n.created_at))
    result = diff_texts(old.narrative_text, new.narrative_text)
    family = selectors.narrative_family(narrative=narrative)
    return render(
        request,
        "narratives/diff.html",
        {
            "narrative": narrative,
            "old": old,
            "new": new,
            "result": result,
            "title_changed": (old.title or "") != (new.title or ""),
            "compare_form": CompareForm(initial={"against": other.pk}, family=family, current=narrative),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def rename_character(request, pk: str):
    narrative = narrative_get_for_user(user=request.user, narrative_id=pk)
    meta = narrative.metadata if isinstance(narrative.metadata, dict) else {}
    cast = [c["name"] for c in meta.get("characters") or [] if isinstance(c, dict) and c.get("name")]
    form = RenameCharacterForm(request.POST or None, cast=cast)
    if request.method == "POST" and form.is_valid():
        try:
            child = services.narrative_rename_character(
                narrative=narrative,
                old_name=form.cleaned_data["old_name"],
                new_name=form.cleaned_data["new_name"],
            )
        except UserFacingError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, str(exc))
        else:
            messages.success(request, f"Renamed in version {child.version}.")
            return redirect("narratives:detail", pk=child.pk)
    status = 400 if request.method == "POST" else 200
    return render(
        request, "narratives/rename_character.html", {"narrative": narrative, "form": form}, status=status
    )


@login_required
@require_http_methods(["GET", "POST"])
def rename(request, pk: str):
    narrative = narrative_get_for_user(user=request.user, narrative_id=pk)
    form = RenameForm(request.POST or None, initial={"title": narrative.title})
    if request.method == "POST" and form.is_valid():
        try:
            services.narrative_rename(narrative=narrative, title=form.cleaned_data["title"])
        except UserFacingError as exc:
            form.add_error("title", str(exc))
        else:
            messages.success(request, "Title saved.")
            return redirect("narratives:detail", pk=narrative.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "narratives/rename.html", {"narrative": narrative, "form": form}, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def delete(request, pk: str):
    narrative = narrative_get_for_user(user=request.user, narrative_id=pk)
    if request.method == "POST":
        title = str(narrative)
        orphaned = services.narrative_delete(narrative=narrative)
        note = f" {orphaned} later version(s) kept, now without a parent." if orphaned else ""
        messages.success(request, f"Deleted “{title}”.{note}")
        return redirect("narratives:library")
    effects = services.narrative_delete_effects(narrative=narrative)
    return render(request, "narratives/delete.html", {"narrative": narrative, "effects": effects})


@login_required
@require_GET
def download(request, pk: str, fmt: str):
    """TXT and Markdown are made here (milliseconds); other formats are files a worker made."""
    narrative = narrative_get_for_user(user=request.user, narrative_id=pk, defer_text=True)
    try:
        spec = get_format(fmt)
    except UnknownFormat:
        raise Http404("Unknown export format.")
    if is_sync(spec.key, narrative.word_count):
        data, filename, spec = export_narrative(narrative, spec.key)
        services.narrative_record_download(narrative=narrative, fmt=spec.key)
        response = HttpResponse(data, content_type=spec.content_type)
        response["Content-Length"] = str(len(data))
    else:
        export = selectors.narrative_export_current(narrative=narrative, fmt=spec.key)
        if export is None or export.status != export.Status.READY:
            return redirect("narratives:export", pk=narrative.pk, fmt=spec.key)
        try:
            handle = exports_storage().open(export.storage_name, "rb")
        except OSError:  # the file went missing (storage wiped): make it again
            messages.info(request, "That file is no longer stored: prepare it again.")
            return redirect("narratives:export", pk=narrative.pk, fmt=spec.key)
        services.narrative_record_download(narrative=narrative, fmt=spec.key)
        filename = export_filename(narrative.title or str(narrative), spec.extension)
        response = FileResponse(handle, content_type=spec.content_type)
        if export.size_bytes is not None:
            response["Content-Length"] = str(export.size_bytes)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_http_methods(["GET", "POST"])
def export(request, pk: str, fmt: str):
    """GET: where this version's file stands (htmx polls it); POST: ask a worker to make it."""
    narrative = narrative_get_for_user(user=request.user, narrative_id=pk, defer_text=True)
    try:
        spec = get_format(fmt)
    except UnknownFormat:
        raise Http404("Unknown export format.")
    if is_sync(spec.key, narrative.word_count):
        return redirect("narratives:download", pk=narrative.pk, fmt=spec.key)
    if request.method == "POST":
        narrative_export_request(narrative=narrative, fmt=spec.key)
        return redirect("narratives:export", pk=narrative.pk, fmt=spec.key)
    context = {
        "narrative": narrative,
        "spec": spec,
        "export": selectors.narrative_export_current(narrative=narrative, fmt=spec.key),
    }
    template = "narratives/_export_status.html" if request.htmx else "narratives/export.html"
    return render(request, template, context)
