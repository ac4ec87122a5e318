from django.urls import path

from . import views

urlpatterns = [
    path("support/programmes/", views.programme_list, name="programme_list"),
    path("support/programmes/new/", views.programme_create, name="programme_create"),
    path("support/programmes/<int:pk>/", views.programme_detail, name="programme_detail"),
    path("support/programmes/<int:pk>/edit/", views.programme_edit, name="programme_edit"),
    path("support/programmes/<int:pk>/enrol/", views.enrolment_create, name="enrolment_create"),
    path("support/enrolments/<int:pk>/edit/", views.enrolment_edit, name="enrolment_edit"),
]
