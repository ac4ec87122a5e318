from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DiagnosticsConfig(AppConfig):
    name = "diagnostics"
    verbose_name = _("diagnostics")

    def ready(self):
        from cooperatives import scorecards

        from . import selectors  # the models are loaded only now

        scorecards.provide_diagnostic_years(selectors.latest_validated_years)
