from django.urls import path

from .api import SnapshotView, SyncView

urlpatterns = [
    path("sync/", SyncView.as_view(), name="api-sync"),
    path("offline/snapshot/", SnapshotView.as_view(), name="api-offline-snapshot"),
]
