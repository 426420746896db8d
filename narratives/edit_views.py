"""The chapter editor (issue 16 §1): open one chapter of a version, save it as the next version.

Kept out of ``narratives.views`` so the manuscript pages grow without crowding
the library and reader. Lookups go through ``narrative_get_for_user``: another
user's narrative is a 404.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from narraforge.errors import UserFacingError
from narratives.edit_services import EditConflict, chapter_for_edit, narrative_edit_chapter
from narratives.forms import EditChapterForm
from narratives.views import narrative_get_for_user

# The reader clears the browser draft of the chapter just saved (static/js/drafts.js).
CLEAR_DRAFT_SESSION_KEY = "nf_clear_draft"


def draft_key(narrative_id: str, number: int) -> str:
    return f"{narrative_id}:{number}"


@login_required
@require_http_methods(["GET", "POST"])
def edit_chapter(request, pk: str, number: int):
    narrative = narrative_get_for_user(user=request.user, narrative_id=pk)
    try:
        draft = chapter_for_edit(narrative=narrative, number=number)
    except UserFacingError as exc:
        messages.error(request, str(exc))
        return redirect("narratives:detail", pk=narrative.pk)
    status, conflict = 200, False
    if request.method == "POST":
        form = EditChapterForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                child = narrative_edit_chapter(
                    narrative=narrative,
                    number=number,
                    title=data["title"],
                    body=data["body"],
                    base=data["base"],
                    note=data["note"],
                )
            except EditConflict as exc:
                form.add_error(None, str(exc))
                status, conflict = 409, True
            except UserFacingError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, str(exc))
                status = 400
            else:
                request.session[CLEAR_DRAFT_SESSION_KEY] = draft_key(narrative.pk, number)
                messages.success(request, f"Chapter {number} saved as version {child.version}.")
                return redirect(reverse("narratives:detail", args=[child.pk]) + f"#ch-{number}")
        else:
            status = 400
    else:
        form = EditChapterForm(initial={"title": draft.title, "body": draft.body, "base": draft.base})
    later = list(narrative.children.only("id", "version").order_by("-created_at")[:1])
    context = {
        "narrative": narrative,
        "form": form,
        "draft": draft,
        "draft_key": draft_key(narrative.pk, number),
        "conflict": conflict,
        "later": later[0] if later else None,
    }
    return render(request, "narratives/edit_chapter.html", context, status=status)
