"""Report pages, included at the site root: `reports/...`."""

from django.urls import path, register_converter

from . import views, views_open_data, views_opportunities, views_signoff, views_territory


class ReportKindConverter:
    regex = "convergence|cooperation"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(ReportKindConverter, "report_kind")

app_name = "reports"
urlpatterns = [
    path("reports/map/", views.national_map, name="map"),
    path("reports/<report_kind:kind>/recompute/", views.recompute_national,
         name="recompute_national"),
    path("reports/<report_kind:kind>/<str:pcode>/recompute/", views.recompute_commune,
         name="recompute_commune"),
    path("reports/convergence/", views.convergence_national, name="convergence_national"),
    path("reports/cooperation/", views.cooperation_national, name="cooperation_national"),
    path("reports/convergence/<str:pcode>/", views.convergence_commune,
         name="convergence_commune"),
    path("reports/cooperation/<str:pcode>/", views.cooperation_commune,
         name="cooperation_commune"),
    path("reports/cooperation/<str:pcode>/opportunities/propose/",
         views_opportunities.propose, name="opportunity_propose"),
    path("reports/territories/<slug:code>/<report_kind:kind>/", views_territory.territory_report,
         name="territory_report"),
    path("reports/territories/<slug:code>/<report_kind:kind>/recompute/",
         views_territory.territory_recompute, name="territory_recompute"),
    path("reports/signoff/", views_signoff.signoff_queue, name="signoff_queue"),
    path("reports/signoff/<str:pcode>/", views_signoff.signoff_commune, name="signoff_commune"),
    path("reports/signoff/<str:pcode>/<int:year>/", views_signoff.signoff_year,
         name="signoff_year"),
    path("reports/signoff/<str:pcode>/<int:year>/step/", views_signoff.signoff_step,
         name="signoff_step"),
    path("open-data/signed-off/", views_open_data.closed_years, name="open_data_years"),
    path("open-data/signed-off/<int:year>.csv", views_open_data.closed_year_csv,
         name="open_data_year_csv"),
]
