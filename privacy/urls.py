from django.urls import path

from . import views, views_access, views_requests

app_name = "privacy"

urlpatterns = [
    path("privacy/", views.notice, name="notice"),
    path("privacy/requests/", views_requests.request_list, name="request_list"),
    path("privacy/requests/new/", views_requests.request_new, name="request_new"),
    path("privacy/requests/<int:pk>/", views_requests.request_detail, name="request_detail"),
    path("privacy/requests/<int:pk>/export/", views_requests.request_export,
         name="request_export"),
    path("privacy/requests/<int:pk>/act/", views_requests.request_act, name="request_act"),
    path("privacy/access-log/", views_access.access_log, name="access_log"),
]
