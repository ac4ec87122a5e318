"""Everything under /api/v1/: the schema, its docs and each app's endpoints."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView

from core.api import ApiViewMixin

from .api_docs import ApiTryView, api_reference


class ApiSchemaView(ApiViewMixin, SpectacularAPIView):
    """The OpenAPI document, with the API's error answers."""


urlpatterns = [
    path("schema/", ApiSchemaView.as_view(), name="api-schema"),
    path("docs/", api_reference, name="api-docs"),
    path("docs/try/", ApiTryView.as_view(url_name="api-schema"), name="api-docs-try"),
    path("", include("communes.api_urls")),
    path("", include("cooperatives.api_urls")),
    path("", include("diagnostics.api_urls")),
    path("", include("support.api_urls")),
    path("", include("reports.api_urls")),
    path("", include("cooperatives.quality_api_urls")),
    path("", include("offline.api_urls")),
]
