from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("accounts/", include("accounts.urls")),
    path("api/v1/", include("reless_platform.api_urls")),
    path("", include("diagnostics.report_urls")),
    path("", include("diagnostics.urls")),
    path("", include("cooperatives.urls")),
    path("", include("cooperatives.quality_urls")),
]

