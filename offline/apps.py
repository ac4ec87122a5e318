from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OfflineConfig(AppConfig):
    """Offline work in the field (issue 18): the changes an agent or a representative made
    without a connection, applied on sync through the same forms and services as the pages,
    with per-field conflict detection; the snapshot of the user's scope cached for offline
    reading; the pages around the outbox and the conflicts. On the top floor beside privacy:
    it reads cooperatives and diagnostics, and nothing below imports it."""

    name = "offline"
    verbose_name = _("offline work")
