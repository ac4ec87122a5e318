"""Registry quality pages, included at the site root: `quality/...` and `open-data/...`.

The report exports (reports.export_urls) share this URL namespace, `quality`."""

from django.urls import path

from . import views_exports
from . import views_quality as views

app_name = "quality"
urlpatterns = [
    # Imports
    path("quality/communes/<str:pcode>/import/", views.import_start, name="import_start"),
    path("quality/imports/", views.import_list, name="import_list"),
    path("quality/imports/<int:pk>/", views.import_detail, name="import_detail"),
    path("quality/imports/<int:pk>/errors.csv", views.import_errors_csv, name="import_errors"),
    path("quality/imports/<int:pk>/confirm/", views.import_confirm, name="import_confirm"),
    path("quality/imports/template.<str:fmt>", views.import_template, name="import_template"),
    # Exports
    path("quality/exports/organisations.<str:fmt>", views.export_organisations,
         name="export_organisations"),
    path("quality/exports/jobs/<int:pk>/", views_exports.export_job, name="export_job"),
    path("quality/exports/jobs/<int:pk>/download", views_exports.export_job_download,
         name="export_job_download"),
    # Possible duplicates
    path("quality/communes/<str:pcode>/duplicates/", views.duplicate_queue,
         name="duplicate_queue"),
    path("quality/duplicates/", views.duplicates_national, name="duplicates_national"),
    path("quality/duplicates/<int:pk>/merge/", views.duplicate_merge, name="duplicate_merge"),
    path("quality/duplicates/<int:pk>/dismiss/", views.duplicate_dismiss,
         name="duplicate_dismiss"),
    # Scorecards
    path("quality/scorecards/", views.scorecard_table, name="scorecards"),
    # Open data (public)
    path("open-data/", views.open_data, name="open_data"),
    path("open-data/organisations.csv", views.open_data_csv, name="open_data_csv"),
    path("open-data/organisations.jsonld", views.open_data_jsonld, name="open_data_jsonld"),
    path("open-data/ilo/<str:level>.csv", views.open_data_ilo_csv, name="open_data_ilo_csv"),
]
