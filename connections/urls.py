from django.urls import path

from connections import views

app_name = "connections"

urlpatterns = [
    path("", views.connection_list, name="list"),
    path("new/", views.connection_create_view, name="create"),
    path("default/", views.connection_default_view, name="default"),
    path("test/", views.connection_test_view, name="test-new"),
    path("operator/test/", views.operator_test_view, name="test-operator"),
    path("<str:connection_id>/", views.connection_edit_view, name="edit"),
    path("<str:connection_id>/delete/", views.connection_delete_view, name="delete"),
    path("<str:connection_id>/test/", views.connection_test_view, name="test"),
]
