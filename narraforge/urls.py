from django.contrib import admin
from django.urls import include, path
from django.views.generic import TemplateView

from narraforge import devmail_views, health, security, status_views, views

# The admin signs in through allauth's rate-limited login (narraforge/security.py).
admin.site.login = security.admin_login

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("", views.home, name="home"),
    path("dashboard/running/", views.dashboard_running, name="dashboard-running"),
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("profile/connections/", include("connections.urls")),
    path("profile/", include("accounts.urls")),
    path("projects/", include("projects.urls")),
    path("jobs/", include("jobs.urls")),
    path("narratives/", include("narratives.urls")),
    path("usage/", include("billing.urls")),
    path("django-rq/", include("django_rq.urls")),
    path("ops/status/", status_views.ops_status, name="ops-status"),
    path(
        "help/connect-a-model/",
        TemplateView.as_view(template_name="help/connect_model.html"),
        name="help-connect-model",
    ),
    path("dev/mail/", devmail_views.mailbox, name="dev-mailbox"),
    path("dev/mail/clear/", devmail_views.mailbox_clear, name="dev-mailbox-clear"),
    path("dev/mail/<str:message_id>/", devmail_views.mailbox_message, name="dev-mailbox-message"),
]
