from django.urls import path

from . import views

app_name = "offline"

urlpatterns = [
    path("offline/", views.workspace, name="workspace"),
    path("offline/forms/<slug:slug>/", views.form_shell, name="form"),
    path("offline/conflicts/", views.conflict_list, name="conflicts"),
    path("offline/conflicts/<uuid:pk>/", views.conflict_detail, name="conflict"),
]
