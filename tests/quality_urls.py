"""The site's URLs plus the registry quality ones, for the quality tests until the root
includes them (`path("", include("cooperatives.quality_urls"))` and, under /api/v1/,
`path("", include("cooperatives.quality_api_urls"))`). Including them twice is harmless."""

from django.urls import include, path

from reless_platform.urls import urlpatterns as site

urlpatterns = [
    path("api/v1/", include("cooperatives.quality_api_urls")),
    path("", include("cooperatives.quality_urls")),
    *site,
]
