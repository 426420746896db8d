from django.urls import path

from billing import views

app_name = "billing"

urlpatterns = [
    path("", views.usage, name="usage"),
    path("export.csv", views.usage_export, name="export"),
    path("plans/", views.plans, name="plans"),
]
