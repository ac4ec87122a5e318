from django.urls import path
from rest_framework.routers import SimpleRouter

from .api import AggregatesView, CommuneAggregatesView, OrganisationViewSet
from .api_communes import CommuneViewSet

router = SimpleRouter()
router.register("communes", CommuneViewSet, basename="api-commune")
router.register("organisations", OrganisationViewSet, basename="api-organisation")

urlpatterns = [
    path("aggregates/", AggregatesView.as_view(), name="api-aggregates"),
    path("communes/<str:pcode>/aggregates/", CommuneAggregatesView.as_view(),
         name="api-commune-aggregates"),
    *router.urls,
]
