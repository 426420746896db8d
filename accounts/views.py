"""The profile page (who you are, your tier, its limits and this month's use) and new confirmation links."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods

from accounts.forms import ProfileForm
from accounts.services import email_confirmation_resend
from accounts.verification import verification_required
from connections.selectors import connections_for_user, what_will_write


@login_required
@require_http_methods(["GET", "POST"])
def profile(request):
    user = request.user
    if request.method == "POST":
        form = ProfileForm(request.POST, instance=user)
        if form.is_valid():
            form.save()
            messages.success(request, "Your profile was saved.")
            return redirect("accounts:profile")
    else:
        form = ProfileForm(instance=user)
    context = {
        "form": form,
        "tier": user.tier,
        "verification_required": verification_required(),
        "writes": what_will_write(user=user),
        "connection_count": len(connections_for_user(user=user)),
    }
    return render(request, "accounts/profile.html", context)


_RESENT_ANONYMOUS = (
    "If {email} belongs to an account whose address is not confirmed yet, a new confirmation link "
    "is on its way. Check your inbox and spam folder; links sent earlier keep working."
)
_RESENT_OWN = {
    "sent": "We sent a new confirmation link to {email}. Open it to start writing.",
    "limited": (
        "A link went to {email} a moment ago: check your inbox and spam folder, "
        "or try again in a few minutes."
    ),
    "nothing": "Your address {email} is already confirmed.",
}


@require_http_methods(["GET", "POST"])
def confirm_email_resend(request):
    """Ask for a new confirmation link: for your own address when signed in, for any address otherwise.

    Anonymous visitors get the same answer whether or not the address is
    registered (no account enumeration), like sign-up and password reset.
    """
    user = request.user if request.user.is_authenticated else None
    if request.method == "POST":
        email = user.email if user else (request.POST.get("email") or "").strip()
        if not user and "@" not in email:
            messages.error(request, "Enter the email address you signed up with.")
            return redirect("accounts:confirm-email")
        outcome = email_confirmation_resend(request=request, email=email)
        text = _RESENT_OWN[outcome] if user else _RESENT_ANONYMOUS
        messages.info(request, text.format(email=email))
        return redirect(request.POST.get("next") if _safe_next(request) else "accounts:confirm-email")
    return render(request, "accounts/confirm_email.html", {"signed_in_email": user.email if user else None})


def _safe_next(request) -> bool:
    target = request.POST.get("next") or ""
    return bool(target) and url_has_allowed_host_and_scheme(
        target, {request.get_host()}, require_https=request.is_secure()
    )
