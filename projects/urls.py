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
]
