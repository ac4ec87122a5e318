from django.urls import path

from . import report_api

urlpatterns = [
    path("reports/convergence/", report_api.ConvergenceReportView.as_view(),
         name="api-report-convergence"),
    path("reports/cooperation/", report_api.CooperationReportView.as_view(),
         name="api-report-cooperation"),
    path("reports/<str:kind>/runs/", report_api.ReportRunCreateView.as_view(),
         name="api-report-run-create"),
    path("reports/runs/<str:pk>/", report_api.ReportRunDetailView.as_view(),
         name="api-report-run"),
]
