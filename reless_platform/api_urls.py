"""Everything under /api/v1/: the schema, its offline docs and each app's endpoints."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("", include("communes.api_urls")),
    path("", include("cooperatives.api_urls")),
    path("", include("diagnostics.api_urls")),
    path("", include("diagnostics.report_api_urls")),
]
