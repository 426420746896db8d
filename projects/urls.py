from django.urls import path

from projects import views

app_name = "projects"

urlpatterns = [
    path("", views.project_list, name="list"),
    path("new/", views.project_create_view, name="create"),
    path("<str:project_id>/", views.project_detail, name="detail"),
    path("<str:project_id>/edit/", views.project_edit, name="edit"),
    path("<str:project_id>/delete/", views.project_delete_view, name="delete"),
    path("<str:project_id>/world/", views.world_edit, name="world"),
    path("<str:project_id>/codex/new/<str:kind>/", views.codex_entry_create_view, name="codex-add"),
    path("<str:project_id>/codex/<str:entry_id>/edit/", views.codex_entry_edit, name="codex-edit"),
    path("<str:project_id>/codex/<str:entry_id>/delete/", views.codex_entry_delete_view, name="codex-delete"),
    path("<str:project_id>/codex/<str:entry_id>/rename/", views.codex_rename_offer, name="codex-rename"),
]
