from rest_framework.routers import SimpleRouter

from .api import CommuneViewSet

router = SimpleRouter()
router.register("communes", CommuneViewSet, basename="api-commune")

urlpatterns = router.urls
