from django.urls import path

from accounts import views

app_name = "accounts"

urlpatterns = [
    path("", views.profile, name="profile"),
    path("confirm-email/", views.confirm_email_resend, name="confirm-email"),
]
