from django.urls import path
from rest_framework.routers import SimpleRouter

from .api import AggregatesView, CommuneAggregatesView, OrganisationViewSet
from .api_history import ChangeRequestHistoryView, LinkHistoryView
from .api_statistics import IloStatisticsView
from .api_territories import TerritoryViewSet
from .api_verification import VerificationListView

router = SimpleRouter()
router.register("organisations", OrganisationViewSet, basename="api-organisation")
router.register("territories", TerritoryViewSet, basename="api-territory")

urlpatterns = [
    path("aggregates/", AggregatesView.as_view(), name="api-aggregates"),
    path("communes/<str:pcode>/aggregates/", CommuneAggregatesView.as_view(),
         name="api-commune-aggregates"),
    path("statistics/ilo/", IloStatisticsView.as_view(), name="api-ilo-statistics"),
    path("links/<str:pk>/history/", LinkHistoryView.as_view(), name="api-link-history"),
    path("change-requests/<str:pk>/history/", ChangeRequestHistoryView.as_view(),
         name="api-change-request-history"),
    path("organisations/<str:pk>/verifications/", VerificationListView.as_view(),
         name="api-organisation-verifications"),
    *router.urls,
]
