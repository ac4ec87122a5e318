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


# Under /api/ these answer JSON in the API's error shape; elsewhere Django's pages.
handler400 = "core.errors.bad_request"
handler403 = "core.errors.permission_denied"
handler404 = "core.errors.page_not_found"
handler500 = "core.errors.server_error"
