from django.contrib import admin
from django.urls import include, path

from cooperatives import quality_urls
from offline import pwa_urls
from operations import views as operations_views
from reports import export_urls as report_export_urls

from . import views

urlpatterns = [
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("accounts/", include("accounts.urls")),
    path("", include("accounts.notification_urls")),
    path("api/v1/", include("reless_platform.api_urls")),
    path("me/space/", views.our_space, name="our_space"),
    path("me/suggestions/", views.my_suggestions, name="my_suggestions"),
    path("me/requests/", views.my_requests, name="my_requests"),
    path("operations/integrity/", operations_views.integrity, name="integrity"),
    path("operations/runs/", operations_views.report_runs, name="report_runs"),
    path("", include(pwa_urls)),
    path("", include("privacy.urls")),
    path("", include("offline.urls")),
    path("", include("reports.urls")),
    path("", include("diagnostics.urls")),
    path("", include("support.urls")),
    path("", include("cooperatives.urls")),
    path("", include((quality_urls.urlpatterns + report_export_urls.urlpatterns, "quality"))),
]


# Under /api/ these answer JSON in the API's error shape; elsewhere Django's pages.
handler400 = "core.errors.bad_request"
handler403 = "core.errors.permission_denied"
handler404 = "core.errors.page_not_found"
handler500 = "core.errors.server_error"
