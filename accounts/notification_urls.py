"""The person's notices, included at the site root: `/me/notifications/`."""

from django.urls import path

from . import views

urlpatterns = [
    path("me/notifications/", views.notifications, name="notifications"),
    path("me/notifications/read/", views.notifications_read_all, name="notifications_read_all"),
    path("me/notifications/<int:pk>/read/", views.notification_read, name="notification_read"),
]
