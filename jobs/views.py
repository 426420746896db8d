"""Job pages: the generation form, the live job page, the plan review and the jobs list.

Thin views: fetch through the user-scoped selectors, validate a form, call
one service, then redirect or render (a partial for htmx requests).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.html import format_html
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect

from accounts.verification import user_may_start_jobs
from billing.services import LimitExceeded
from connections.selectors import job_connection_info
from jobs.forms import GenerationForm, PlanEditor, estimate_brief, estimate_data
from jobs.models import FINISHED_STATUSES, GenerationJob, JobStatus
from jobs.selectors import (
    job_estimate,
    job_live_prose,
    job_of_submission,
    job_of_user,
    job_plan,
    job_plan_estimate,
    job_progress,
    jobs_for_user,
)
from jobs.services import cancel_message, job_cancel, job_create, job_draft_from_plan, job_resume
from jobs.submissions import ALREADY_STARTED, SUBMISSION_KEY, key_from_post
from narraforge.errors import UserFacingError
from narraforge.templatetags.nf_ui import narrative_url
from projects.selectors import projects_for_user, world_for_project
from projects.views import project_get_for_user

JOBS_PER_PAGE = 25


def job_get_for_user(*, user, job_id: str, page: bool = False) -> GenerationJob:
    """The user's job or a 404: another user's id is indistinguishable from a missing one."""
    job = job_of_user(user=user, job_id=job_id, page=page)
    if job is None:
        raise Http404("No such job.")
    return job


def refusal_message(exc: UserFacingError) -> str:
    """A refusal for the page; a limit refusal links to the plans page (limits, use, upgrade requests)."""
    if isinstance(exc, LimitExceeded):
        return format_html(
            '{} <a href="{}">See the plans and request an upgrade</a>.', str(exc), reverse("billing:plans")
        )
    return str(exc)


def _started(job, message: str) -> str:
    """The success message, or "already started" when this POST repeated an earlier one."""
    return ALREADY_STARTED if getattr(job, "replayed", False) else message


def _awaiting_review(job, progress: dict) -> bool:
    """A finished plan-review job: its plan waits for the writer, there is no narrative."""
    if "plan_ready" in progress:
        return bool(progress["plan_ready"])
    return (
        job.status == JobStatus.COMPLETED
        and bool((job.production_brief or {}).get("review_plan"))
        and not progress.get("narrative_id")
    )


def _job_context(job) -> dict:
    progress = job_progress(job)
    return {
        "job": job,
        "progress": progress,
        "brief": job.production_brief or {},
        "awaiting_review": _awaiting_review(job, progress),
        "finished": job.status in FINISHED_STATUSES,
        "live_prose": job_live_prose(job),
        "wrote_with": job_connection_info(job=job),  # which connection and models write it (None: older jobs)
    }


# --------------------------------------------------------------------------- generation form


@login_required
@require_http_methods(["GET", "POST"])
def job_create_view(request, project_id):
    project = project_get_for_user(user=request.user, project_id=project_id)
    if not user_may_start_jobs(request.user):
        # The service refuses too (jobs.services); here the writer gets the page that says why.
        return render(request, "accounts/verify_first.html", {"project": project}, status=403)
    form = GenerationForm(
        request.POST or None, project=project, user=request.user, world=world_for_project(project)
    )
    if request.method == "POST" and form.is_valid():
        try:
            job = job_create(
                user=request.user,
                project=project,
                brief=form.brief,
                new_world=form.new_world,
                submission_key=key_from_post(request.POST, request.path),
                connection=form.cleaned_data.get("connection") or None,
            )
        except UserFacingError as exc:
            field = getattr(exc, "field", None)
            form.add_error(field if field in form.fields else None, refusal_message(exc))
        else:
            messages.success(request, _started(job, "Your brief is queued. This page follows it live."))
            return redirect("jobs:detail", job.id)
    return render(request, "jobs/create.html", {"form": form, "project": project, **_estimate(request, form)})


def _estimate_context(user, brief, problem: str, connection: str | None) -> dict:
    """The estimate at the chosen connection's prices; a connection that is not the user's is the problem."""
    estimate = None
    if brief:
        try:
            estimate = job_estimate(user, brief, connection=connection)
        except UserFacingError as exc:
            problem = str(exc)
    return {"estimate": estimate, "estimate_problem": problem}


def _estimate(request, form: GenerationForm) -> dict:
    data = form.data if form.is_bound else estimate_data(form)
    brief, problem = estimate_brief(data)
    choice = form.data.get("connection") if form.is_bound else form["connection"].value()
    return _estimate_context(request.user, brief, problem, choice)


@login_required
@require_POST
def job_estimate_view(request, project_id):
    """The live cost estimate and remaining quota (an htmx partial)."""
    project_get_for_user(user=request.user, project_id=project_id)
    brief, problem = estimate_brief(request.POST)
    context = _estimate_context(request.user, brief, problem, request.POST.get("connection"))
    return render(request, "jobs/_estimate.html", context)


@login_required
@require_GET
def submission_status_view(request, key):
    """Back on a form that was already sent: which job it started (an htmx partial; 404 when none).

    static/js/app.js asks with the key the form was last submitted with
    (kept in sessionStorage), so the notice appears even when the browser
    shows the page from its back-forward cache. Only the signed-in user's own
    submissions are found; anyone else's key is a 404 like an unknown one.
    """
    job = job_of_submission(user=request.user, key=key) if SUBMISSION_KEY.fullmatch(key) else None
    if job is None:
        raise Http404("No job was started with that form.")
    return render(request, "jobs/_submitted.html", {"job": job, "brief": job.production_brief or {}})


# --------------------------------------------------------------------------- job page


@login_required
@require_GET
def job_detail(request, job_id):
    job = job_get_for_user(user=request.user, job_id=job_id, page=True)
    return render(request, "jobs/detail.html", _job_context(job))


@login_required
@require_GET
def job_progress_view(request, job_id):
    """The live part of the job page, polled by htmx; moves on when the job is done."""
    job = job_get_for_user(user=request.user, job_id=job_id, page=True)
    context = _job_context(job)
    if request.htmx and job.status == JobStatus.COMPLETED:
        if context["progress"].get("narrative_id"):
            messages.success(request, "Finished. Here is your narrative.")
            return HttpResponseClientRedirect(narrative_url(context["progress"]["narrative_id"]))
        if context["awaiting_review"]:
            messages.success(request, "The plan is ready for your review.")
            return HttpResponseClientRedirect(reverse("jobs:plan", args=[job.id]))
    return render(request, "jobs/_live.html", context)


@login_required
@require_POST
def job_cancel_view(request, job_id):
    job = job_get_for_user(user=request.user, job_id=job_id)
    try:
        job = job_cancel(user=request.user, job=job)
    except UserFacingError as exc:
        messages.error(request, refusal_message(exc))
    else:
        messages.success(request, cancel_message(job))
    return redirect("jobs:detail", job.id)


@login_required
@require_POST
def job_resume_view(request, job_id):
    job = job_get_for_user(user=request.user, job_id=job_id)
    try:
        resumed = job_resume(
            user=request.user, job=job, submission_key=key_from_post(request.POST, request.path)
        )
    except UserFacingError as exc:
        messages.error(request, refusal_message(exc))
    else:
        messages.success(
            request,
            _started(resumed, "Resumed from the last checkpoint; finished work is not paid for again."),
        )
    return redirect("jobs:detail", job.id)


# --------------------------------------------------------------------------- plan review


@login_required
@require_http_methods(["GET", "POST"])
def plan_review(request, job_id):
    job = job_get_for_user(user=request.user, job_id=job_id)
    base = job_plan(job) if job.status == JobStatus.COMPLETED else None
    if not base:
        raise Http404("This job has no plan to review.")
    editor = PlanEditor(
        base,
        request.POST if request.method == "POST" else None,
        production_type=(job.production_brief or {}).get("production_type"),
        brief=job.production_brief,
    )
    if request.method == "POST":
        op = request.POST.get("op", "")
        if op == "write":
            if editor.is_valid():
                try:
                    draft = job_draft_from_plan(
                        user=request.user,
                        job=job,
                        plan=editor.plan,
                        codex=editor.codex_entries(),
                        submission_key=key_from_post(request.POST, request.path),
                    )
                except UserFacingError as exc:
                    editor.errors.append(refusal_message(exc))
                else:
                    messages.success(request, _started(draft, "Writing from your plan."))
                    return redirect("jobs:detail", draft.id)
        else:
            editor.apply(op)
    context = {
        "job": job,
        "brief": job.production_brief or {},
        "write_estimate": job_plan_estimate(job, editor.plan),
        **editor.context(),
    }
    invalid = request.method == "POST" and bool(editor.errors or editor.segment_errors)
    return render(request, "jobs/plan_review.html", context, status=422 if invalid else 200)


# --------------------------------------------------------------------------- jobs list


@login_required
@require_GET
def job_list(request):
    status = request.GET.get("status") or None
    if status not in JobStatus.values:
        status = None
    projects = list(projects_for_user(user=request.user).only("id", "name"))
    project = next((p for p in projects if p.id == request.GET.get("project")), None)
    jobs = jobs_for_user(user=request.user, status=status, project=project)
    jobs = jobs.select_related("project").defer("output")
    page = Paginator(jobs.order_by("-created_at"), JOBS_PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "jobs": page.object_list,
        "projects": projects,
        "statuses": JobStatus.choices,
        "current_status": status or "",
        "current_project": project,
    }
    return render(request, "jobs/list.html", context)
