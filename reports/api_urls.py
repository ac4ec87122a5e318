from django.urls import path

from . import api

urlpatterns = [
    path("reports/convergence/", api.ConvergenceReportView.as_view(),
         name="api-report-convergence"),
    path("reports/cooperation/", api.CooperationReportView.as_view(),
         name="api-report-cooperation"),
    path("reports/<str:kind>/runs/", api.ReportRunCreateView.as_view(),
         name="api-report-run-create"),
    path("reports/runs/<str:pk>/", api.ReportRunDetailView.as_view(),
         name="api-report-run"),
]
