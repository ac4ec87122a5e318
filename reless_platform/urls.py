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
handler400 = "accounts.errors.bad_request"
handler403 = "accounts.errors.permission_denied"
handler404 = "accounts.errors.page_not_found"
handler500 = "accounts.errors.server_error"
