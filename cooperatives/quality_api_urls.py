"""Registry quality endpoints, included under /api/v1/."""

from django.urls import path

from .quality_api import ScorecardDetailView, ScorecardListView

urlpatterns = [
    path("scorecards/", ScorecardListView.as_view(), name="api-scorecards"),
    path("scorecards/<str:pcode>/", ScorecardDetailView.as_view(), name="api-scorecard"),
]
