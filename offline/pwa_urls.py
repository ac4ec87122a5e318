"""Routes of the installable web app, at the root of the site (a service worker's scope is
the folder it is served from)."""

from django.urls import path

from . import views_pwa

urlpatterns = [
    path("sw.js", views_pwa.service_worker, name="service_worker"),
    path("manifest.webmanifest", views_pwa.manifest, name="web_manifest"),
]
