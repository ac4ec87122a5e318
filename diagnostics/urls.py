from django.urls import path, re_path

from . import views, views_public

urlpatterns = [
    path("c/<str:pcode>/", views_public.commune_public, name="commune_public"),
    path("diagnostics/c/<str:pcode>/", views.diagnostic_list, name="diagnostic_list"),
    path("diagnostics/c/<str:pcode>/new/", views.diagnostic_create, name="diagnostic_create"),
    path("diagnostics/<int:pk>/", views.diagnostic_detail, name="diagnostic_detail"),
    path("diagnostics/<int:pk>/edit/", views.diagnostic_edit, name="diagnostic_edit"),
    path("diagnostics/<int:pk>/validate/", views.diagnostic_validate,
         name="diagnostic_validate"),
    path("diagnostics/<int:pk>/copy/", views.diagnostic_copy, name="diagnostic_copy"),
    path("diagnostics/<int:pk>/import/", views.diagnostic_import, name="diagnostic_import"),
    path("diagnostics/<int:pk>/<slug:kind>/new/", views.row_add, name="diagnostic_row_add"),
    path("diagnostics/<int:pk>/<slug:kind>/<int:row_pk>/", views.row_edit,
         name="diagnostic_row_edit"),
    path("diagnostics/<int:pk>/<slug:kind>/<int:row_pk>/delete/", views.row_delete,
         name="diagnostic_row_delete"),
    re_path(r"^diagnostics/import-template\.(?P<fmt>csv|xlsx)$", views.import_template,
            name="diagnostic_import_template"),
    path("interventions/new/", views.intervention_start, name="intervention_start"),
    path("interventions/c/<str:pcode>/", views.commune_interventions,
         name="commune_interventions"),
    path("interventions/c/<str:pcode>/new/", views.intervention_create,
         name="intervention_create"),
    path("interventions/m/<str:acronym>/", views.ministry_interventions,
         name="ministry_interventions"),
    path("interventions/<int:pk>/", views.intervention_detail, name="intervention_detail"),
    path("interventions/<int:pk>/edit/", views.intervention_edit, name="intervention_edit"),
]
