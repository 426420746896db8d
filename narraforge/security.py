"""The Django admin signs people in through allauth, never with its own form.

allauth's login is rate limited (ACCOUNT_RATE_LIMITS["login_failed"]); the
stock admin login form is not, so it would be a way around that limit. The
admin's login view is replaced: visitors are sent to the site's sign-in
(with ?next= back to the admin), signed-in staff go on, and signed-in
non-staff get 403. A POST of credentials to /admin/login/ never checks a
password.
"""

from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache


@never_cache
def admin_login(request, extra_context=None):
    target = request.GET.get(REDIRECT_FIELD_NAME) or request.POST.get(REDIRECT_FIELD_NAME) or ""
    if not url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure()):
        target = reverse("admin:index")
    if request.user.is_authenticated:
        if request.user.is_active and request.user.is_staff:
            return redirect(target)
        raise PermissionDenied("Staff only.")
    return redirect_to_login(target, login_url=reverse("account_login"))
