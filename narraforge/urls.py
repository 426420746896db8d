from django.contrib import admin
from django.urls import include, path

from narraforge import health

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("django-rq/", include("django_rq.urls")),
]
