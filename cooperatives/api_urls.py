from django.urls import path
from rest_framework.routers import SimpleRouter

from .api import AggregatesView, CommuneAggregatesView, OrganisationViewSet

router = SimpleRouter()
router.register("organisations", OrganisationViewSet, basename="api-organisation")

urlpatterns = [
    path("aggregates/", AggregatesView.as_view(), name="api-aggregates"),
    # Counts organisations, so it lives here and not in communes (floor 1 imports no app).
    path("communes/<str:pcode>/aggregates/", CommuneAggregatesView.as_view(),
         name="api-commune-aggregates"),
    *router.urls,
]
