from django.urls import path

from . import api, api_signoff

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
urlpatterns += [
    path("signoff/<str:pcode>/<int:year>/", api_signoff.SignoffView.as_view(),
         name="api-signoff"),
]
