from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = _("reports")

    def ready(self):
        from cooperatives import year_notes
        from diagnostics import locks

        from . import signals, signoff, signoff_notes  # the models are loaded only now

        signals.connect()
        locks.provide_lock_reason(signoff.lock_reason)
        year_notes.provide_year_notes(signoff_notes.dashboard_notes)
