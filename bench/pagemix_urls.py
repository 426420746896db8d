"""The product's URLs plus ``/bench/ping/``: signed in, no template, no query beyond the session's user."""

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.urls import path

from narraforge.urls import urlpatterns as product_urls


@login_required
def ping(request):
    return HttpResponse(f"ok {request.user.pk}", content_type="text/plain")


urlpatterns = [path("bench/ping/", ping), *product_urls]
