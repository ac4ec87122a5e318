from rest_framework.routers import SimpleRouter

from .api import EnrolmentViewSet, ProgrammeViewSet

router = SimpleRouter()
router.register("programmes", ProgrammeViewSet, basename="api-programme")
router.register("enrolments", EnrolmentViewSet, basename="api-enrolment")

urlpatterns = router.urls
