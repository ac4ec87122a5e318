from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = _("reports")

    def ready(self):
        from accounts import notifications
        from cooperatives import closed_years, year_notes
        from diagnostics import locks

        from . import frozen, signals, signoff, signoff_notes  # the models are loaded only now

        signals.connect()
        locks.provide_lock_reason(signoff.lock_reason)
        closed_years.provide_closed_year_aggregates(frozen.closed_year_aggregates)
        year_notes.provide_year_notes(signoff_notes.dashboard_notes)
        notifications.provide_awaiting(signoff_notes.awaiting)
