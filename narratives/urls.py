from django.urls import path

from jobs import chapter_views  # chapter jobs: the jobs layer
from narratives import edit_views, import_views, views

app_name = "narratives"

urlpatterns = [
    path("", views.library, name="library"),
    path("import/", import_views.import_manuscript, name="import"),
    path("<str:pk>/", views.detail, name="detail"),
    path("<str:pk>/versions/", views.versions, name="versions"),
    path("<str:pk>/diff/", views.diff, name="diff"),
    path("<str:pk>/revise/", chapter_views.revise, name="revise"),
    path("<str:pk>/continue/", chapter_views.continue_story, name="continue"),
    path("<str:pk>/chapters/<int:number>/regenerate/", chapter_views.regenerate, name="regenerate"),
    path("<str:pk>/chapters/<int:number>/edit/", edit_views.edit_chapter, name="edit-chapter"),
    path("<str:pk>/rename/", views.rename, name="rename"),
    path("<str:pk>/rename-character/", views.rename_character, name="rename-character"),
    path("<str:pk>/delete/", views.delete, name="delete"),
    path("<str:pk>/download/<str:fmt>/", views.download, name="download"),
    path("<str:pk>/export/<str:fmt>/", views.export, name="export"),
]
