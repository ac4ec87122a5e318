from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OperationsConfig(AppConfig):
    """The top floor, beside reports: what runs the platform rather than what it is about
    (first-run set-up, the dataset generator and demo accounts, backup and restore, integrity
    checks, the benchmark). It may import every app below it; none imports it."""

    name = "operations"
    verbose_name = _("operations")

    def ready(self):
        from reports import signoff

        from . import integrity  # the models are loaded only now

        signoff.provide_commune_faults(integrity.commune_faults)
