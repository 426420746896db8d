"""Chapter work from the reader: regenerate a chapter, continue the story, revise chosen chapters.

Each POST starts a chapter job (``jobs.chapter_services``) and sends the writer to
its job page, which shows its progress and links to the new version when it is
done. Lookups go through the user's own narratives (another user's id is a 404);
a chapter number the narrative does not have is a 404 too.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from connections.selectors import what_will_write
from jobs.chapter_services import (
    job_create_chapter_revision,
    job_create_continuation,
    job_create_regeneration,
    narrative_brief,
    newer_version_of,
)
from jobs.pipeline import PipelineError, chapters_from_text
from jobs.pipeline.backends import capabilities_of
from jobs.pipeline.scoped import average_words, propose_continuation
from jobs.submissions import ALREADY_STARTED, key_from_post
from jobs.views import refusal_message
from narraforge.errors import UserFacingError
from narratives.forms import ContinueForm, NewChapterFormSet, RegenerateForm, ReviseForm
from narratives.views import narrative_get_for_user


def _follows_instructions(user) -> bool:
    """Whether what writes this user's jobs (their default connection, else the server's) reads them."""
    return capabilities_of(what_will_write(user=user).engine).follows_instructions


def _common(narrative, user) -> dict:
    chapters = chapters_from_text(narrative.narrative_text or "")
    return {
        "narrative": narrative,
        "chapters": chapters,
        "chapter_titles": [c.title or f"Chapter {i}" for i, c in enumerate(chapters, start=1)],
        "newer": newer_version_of(narrative),
        "next_version": (narrative.version or 1) + 1,
        "has_plan": bool((narrative.metadata or {}).get("plan")),
        # Said before the writer submits: the offline engine does not read free-text instructions.
        "instructions_need_model": not capabilities_of(
            what_will_write(user=user).engine
        ).follows_instructions,
    }


def _refuse(form, exc: UserFacingError) -> None:
    field = getattr(exc, "field", None)
    if field in form.fields:
        form.add_error(field, str(exc))
    else:
        form.add_error(None, refusal_message(exc))


def _to_job(request, job, message: str):
    messages.success(request, ALREADY_STARTED if getattr(job, "replayed", False) else message)
    return redirect(reverse("jobs:detail", args=[job.pk]))


@login_required
@require_http_methods(["GET", "POST"])
def regenerate(request, pk: str, number: int):
    narrative = narrative_get_for_user(user=request.user, narrative_id=pk)
    context = _common(narrative, request.user)
    if not 1 <= number <= len(context["chapters"]):
        raise Http404("This narrative has no such chapter.")
    form = RegenerateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            job = job_create_regeneration(
                user=request.user,
                narrative=narrative,
                chapter=number,
                instructions=form.cleaned_data["instructions"],
                branch=form.cleaned_data["branch"],
                submission_key=key_from_post(request.POST, request.path),
            )
        except UserFacingError as exc:
            _refuse(form, exc)
        else:
            return _to_job(
                request,
                job,
                f"Rewriting chapter {number}: the result will be version {context['next_version']}.",
            )
    context.update({"form": form, "number": number, "chapter": context["chapters"][number - 1]})
    status = 400 if request.method == "POST" else 200
    return render(request, "narratives/regenerate.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def continue_story(request, pk: str):
    narrative = narrative_get_for_user(user=request.user, narrative_id=pk)
    context = _common(narrative, request.user)
    form = ContinueForm(request.POST or None)
    action = request.POST.get("action", "")
    plan_forms = None
    if request.method == "POST" and form.is_valid():
        count = form.cleaned_data["count"]
        instructions = form.cleaned_data["instructions"]
        if action == "preview":
            try:
                proposal = propose_continuation(
                    narrative_brief(narrative),
                    plan=(narrative.metadata or {}).get("plan") or {},
                    chapters=context["chapters"],
                    add=count,
                    instructions=instructions,
                )
            except (UserFacingError, PipelineError) as exc:
                form.add_error(None, str(exc))
            else:
                plan_forms = NewChapterFormSet(initial=proposal, prefix="new")
                context.update({"form": form, "plan_forms": plan_forms, "step": "plan"})
                return render(request, "narratives/continue.html", context)
        else:
            new_segments = None
            if action == "start_with_plan":
                plan_forms = NewChapterFormSet(request.POST, prefix="new")
                if plan_forms.is_valid() and len(plan_forms.forms) == count:
                    new_segments = [f.cleaned_data for f in plan_forms.forms]
                elif plan_forms.is_valid():
                    form.add_error(
                        None, f"The plan has {len(plan_forms.forms)} chapters; {count} were asked for."
                    )
            if action != "start_with_plan" or new_segments is not None:
                try:
                    job = job_create_continuation(
                        user=request.user,
                        narrative=narrative,
                        chapters=count,
                        instructions=instructions,
                        new_segments=new_segments,
                        branch=form.cleaned_data["branch"],
                        submission_key=key_from_post(request.POST, request.path),
                    )
                except UserFacingError as exc:
                    _refuse(form, exc)
                else:
                    return _to_job(
                        request,
                        job,
                        f"Writing {count} more chapter{'s' if count != 1 else ''}: "
                        f"the result will be version {context['next_version']}.",
                    )
    context.update(
        {
            "form": form,
            "plan_forms": plan_forms,
            "step": "plan" if plan_forms is not None else "ask",
            "words_each": average_words(context["chapters"]) if context["chapters"] else 0,
        }
    )
    status = 400 if request.method == "POST" else 200
    return render(request, "narratives/continue.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def revise(request, pk: str):
    narrative = narrative_get_for_user(user=request.user, narrative_id=pk)
    context = _common(narrative, request.user)
    initial = {}
    if request.method == "GET" and request.GET.get("chapter", "").isdigit():
        initial = {"chapters": [request.GET["chapter"]]}
    form = ReviseForm(request.POST or None, chapter_titles=context["chapter_titles"], initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            job = job_create_chapter_revision(
                user=request.user,
                narrative=narrative,
                instructions=form.cleaned_data["instructions"],
                chapters=form.chosen(),
                branch=form.cleaned_data["branch"],
                submission_key=key_from_post(request.POST, request.path),
            )
        except UserFacingError as exc:
            _refuse(form, exc)
        else:
            return _to_job(
                request, job, f"Revision started: its result will be version {context['next_version']}."
            )
    context["form"] = form
    status = 400 if request.method == "POST" else 200
    return render(request, "narratives/revise.html", context, status=status)
