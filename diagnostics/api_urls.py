from rest_framework.routers import SimpleRouter

from .api import DiagnosticViewSet, InterventionViewSet

router = SimpleRouter()
router.register("diagnostics", DiagnosticViewSet, basename="api-diagnostic")
router.register("interventions", InterventionViewSet, basename="api-intervention")

urlpatterns = router.urls
