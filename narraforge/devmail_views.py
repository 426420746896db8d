"""/dev/mail/: the development mailbox (narraforge.devmail). DEBUG or staff only; 404 for anyone else."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from narraforge import devmail


def _allowed(request) -> None:
    if settings.DEBUG or (request.user.is_authenticated and request.user.is_staff):
        return
    raise Http404  # the page does not exist for anyone else, not even as a refusal


@require_GET
@never_cache
def mailbox(request):
    _allowed(request)
    return render(request, "dev/mailbox.html", {"mails": devmail.mailbox_list(), "mail": None})


@require_GET
@never_cache
def mailbox_message(request, message_id: str):
    _allowed(request)
    mail = devmail.mailbox_get(message_id)
    if mail is None:
        raise Http404("No such message.")
    return render(request, "dev/mailbox.html", {"mails": devmail.mailbox_list(), "mail": mail})


@require_POST
def mailbox_clear(request):
    _allowed(request)
    removed = devmail.mailbox_clear()
    messages.success(request, f"Removed {removed} message{'' if removed == 1 else 's'}.")
    return redirect("dev-mailbox")
