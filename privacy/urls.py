from django.urls import path

from . import views, views_access

app_name = "privacy"

urlpatterns = [
    path("privacy/", views.notice, name="notice"),
    path("privacy/access-log/", views_access.access_log, name="access_log"),
]
