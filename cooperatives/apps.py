from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CooperativesConfig(AppConfig):
    name = "cooperatives"
    verbose_name = _("cooperatives")

    def ready(self):
        from . import freshness

        freshness.connect()
