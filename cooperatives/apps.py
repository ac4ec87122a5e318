from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CooperativesConfig(AppConfig):
    name = "cooperatives"
    verbose_name = _("cooperatives")

    def ready(self):
        from accounts import notifications

        from . import notices, signals  # the models are loaded only now

        signals.connect()
        notifications.provide_awaiting(notices.awaiting)
