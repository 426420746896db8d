"""Profile → Model connections: list, add, edit, delete, pick the default, test.

Every page is the signed-in writer's own: another user's connection id is a
404 (``_own_or_404``), staff included — a key is nobody else's business. The
key field is write-only; pages show only its masked hint. "Test connection"
runs the probe (``jobs.pipeline.probe``) on the saved connection or on the
form's unsaved values, through the host guard, and answers with a partial.
"""

from __future__ import annotations

import copy

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from connections.forms import SERVICE_FIELDS, ConnectionForm
from connections.models import ModelConnection
from connections.selectors import (
    OPERATOR,
    connection_for_user,
    connection_info,
    connection_value,
    connections_for_user,
    operator_connection,
    operator_value,
    what_will_write,
)
from connections.services import (
    connection_create,
    connection_delete,
    connection_set_default,
    connection_update,
)
from jobs.engine_settings import allow_private_model_hosts
from jobs.pipeline.connection import JSON_MODE_MEMORY
from jobs.pipeline.presets import PRESETS, preset_for
from jobs.pipeline.probe import ProbeResult, probe_connection
from narraforge.errors import UserFacingError

# Per answer: the page waits for the button and a web worker is held meanwhile; at most four answers
# (model list, two tiny calls, llama.cpp's /props) stay under gunicorn's 60 s (Dockerfile).
PROBE_TIMEOUT_SECONDS = 12.0
TESTS_PER_MINUTE = 10  # each test makes outbound requests (and, on a paid key, tiny paid calls)


def _own_or_404(user, connection_id: str) -> ModelConnection:
    row = connection_for_user(user=user, connection_id=connection_id)
    if row is None:
        raise Http404("No such connection.")
    return row


def _presets_data() -> list[dict[str, object]]:
    return [p.as_dict() for p in PRESETS]


@login_required
def connection_list(request):
    user = request.user
    rows = connections_for_user(user=user)
    context = {
        "connections": [
            {"row": row, "info": connection_info(row), "preset": preset_for(row.preset)} for row in rows
        ],
        "operator": operator_connection(),
        "writes": what_will_write(user=user),
        "show_operator_details": user.is_staff,
        "has_default": any(row.is_default for row in rows),
    }
    return render(request, "connections/list.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def connection_create_view(request):
    form = ConnectionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            row = connection_create(
                user=request.user, api_key=form.key_change() or "", **form.service_fields()
            )
        except UserFacingError as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, f"“{row.name}” was saved. Test it to see what the server offers.")
            return redirect("connections:list")
    return render(
        request, "connections/form.html", {"form": form, "row": None, "presets_data": _presets_data()}
    )


@login_required
@require_http_methods(["GET", "POST"])
def connection_edit_view(request, connection_id: str):
    row = _own_or_404(request.user, connection_id)
    form = ConnectionForm(request.POST or None, instance=row)
    if request.method == "POST" and form.is_valid():
        try:
            saved = connection_update(
                user=request.user, connection_id=row.pk, api_key=form.key_change(), **form.service_fields()
            )
        except UserFacingError as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, f"“{saved.name}” was saved.")
            return redirect("connections:list")
    return render(
        request, "connections/form.html", {"form": form, "row": row, "presets_data": _presets_data()}
    )


@login_required
@require_http_methods(["GET", "POST"])
def connection_delete_view(request, connection_id: str):
    row = _own_or_404(request.user, connection_id)
    if request.method == "POST":
        try:
            connection_delete(user=request.user, connection_id=row.pk)
        except UserFacingError as exc:
            messages.error(request, str(exc))
            return redirect("connections:list")
        messages.success(request, f"“{row.name}” was deleted; its key is gone with it.")
        return redirect("connections:list")
    return render(request, "connections/delete.html", {"row": row})


@login_required
@require_POST
def connection_default_view(request):
    choice = request.POST.get("connection") or ""
    if choice != OPERATOR:
        _own_or_404(request.user, choice)  # another user's id: 404, nothing changed
    connection_set_default(user=request.user, connection_id=None if choice == OPERATOR else choice)
    writes = what_will_write(user=request.user)
    messages.success(request, f"Your jobs are now written by “{writes.name}”.")
    return redirect("connections:list")


# --- Test connection ------------------------------------------------------------------------------


def _rate_limited(user) -> bool:
    key = f"connections:test:{user.pk}"
    cache.add(key, 0, timeout=60)
    try:
        return cache.incr(key) > TESTS_PER_MINUTE
    except ValueError:  # expired between add and incr: this is the first test of a new minute
        cache.set(key, 1, timeout=60)
        return False


def _refused(message: str, cause: str = "form") -> ProbeResult:
    return ProbeResult(ok=False, cause=cause, headline=message, where="")


def _candidate(
    request, row: ModelConnection | None
) -> tuple[ModelConnection | None, str | None, ProbeResult | None]:
    """The connection to test (unsaved form values over the saved row) and the key, or why not."""
    if "base_url" not in request.POST:  # the list page's button: the saved connection as it is
        return row, None, None
    form = ConnectionForm(request.POST, instance=row)
    if not form.is_valid():
        problems = [
            f"{form.fields[f].label if f in form.fields else 'Form'}: {e}"
            for f, es in form.errors.items()
            for e in es
        ]
        return None, None, _refused("Fix the form first — " + " ".join(problems))
    candidate = copy.copy(row) if row is not None else ModelConnection(user_id=request.user.pk)
    fields = form.service_fields()
    for name in SERVICE_FIELDS:
        setattr(candidate, name, fields[name])  # in memory only: testing saves nothing
    return candidate, form.key_change() if row is not None else (form.key_change() or ""), None


@login_required
@require_POST
def operator_test_view(request):
    """Staff test the server's own connection (the environment's), as ``manage.py llm_check`` does."""
    if not request.user.is_staff:
        raise Http404("No such connection.")
    if operator_connection().is_offline:
        result = _refused("The server has no model configured: the offline engine writes.", "offline")
    else:
        result = probe_connection(
            operator_value(), timeout=PROBE_TIMEOUT_SECONDS, json_modes=JSON_MODE_MEMORY
        )
    return render(request, "connections/_test_result.html", {"result": result, "row": None, "in_form": False})


@login_required
@require_POST
def connection_test_view(request, connection_id: str | None = None):
    row = _own_or_404(request.user, connection_id) if connection_id else None
    if _rate_limited(request.user):
        result = _refused(
            f"That is more than {TESTS_PER_MINUTE} tests in a minute: wait a moment and test again.",
            "rate_limited",
        )
    else:
        candidate, api_key, result = _candidate(request, row)
        if result is None and candidate is not None:
            value = connection_value(candidate, api_key=api_key).with_changes(
                source="user", allow_private_hosts=allow_private_model_hosts()
            )
            result = probe_connection(value, timeout=PROBE_TIMEOUT_SECONDS, json_modes=JSON_MODE_MEMORY)
    return render(
        request,
        "connections/_test_result.html",
        {"result": result, "row": row, "in_form": "base_url" in request.POST},
    )
