"""Everything under /api/v1/: the schema, its offline docs and each app's endpoints."""

from django.urls import include, path
from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from .security import DEFAULT_POLICY


class ApiDocsView(SpectacularSwaggerSplitView):
    """Swagger UI from our static files; its start-up script is a separate request (no inline
    script). Swagger UI sets inline styles, so this page alone allows them. Our template gives
    the page its language and a stylesheet for contrast and small screens."""

    template_name = "api_docs.html"

    @extend_schema(exclude=True)
    def get(self, request, *args, **kwargs):
        response = super().get(request, *args, **kwargs)
        response.headers["Content-Security-Policy"] = DEFAULT_POLICY.replace(
            "style-src 'self'", "style-src 'self' 'unsafe-inline'")
        return response


urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", ApiDocsView.as_view(url_name="api-schema"), name="api-docs"),
    path("", include("cooperatives.api_urls")),
    path("", include("diagnostics.api_urls")),
    path("", include("diagnostics.report_api_urls")),
    path("", include("cooperatives.quality_api_urls")),
]
