from django.urls import path

from jobs import views

app_name = "jobs"

urlpatterns = [
    path("", views.job_list, name="list"),
    path("new/<str:project_id>/", views.job_create_view, name="create"),
    path("new/<str:project_id>/estimate/", views.job_estimate_view, name="estimate"),
    path("submitted/<str:key>/", views.submission_status_view, name="submitted"),
    path("<str:job_id>/", views.job_detail, name="detail"),
    path("<str:job_id>/progress/", views.job_progress_view, name="progress"),
    path("<str:job_id>/cancel/", views.job_cancel_view, name="cancel"),
    path("<str:job_id>/resume/", views.job_resume_view, name="resume"),
    path("<str:job_id>/plan/", views.plan_review, name="plan"),
]
