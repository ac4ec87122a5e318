"""The report exports, at their place among the registry's exports: `quality/exports/...`.

reless_platform.urls includes them in the `quality` namespace with cooperatives.quality_urls,
so their names stay `quality:export_report`."""

from django.urls import path

from . import views

urlpatterns = [
    path("quality/exports/reports/<str:kind>.<str:fmt>", views.export_report,
         name="export_report"),
]
