from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SupportConfig(AppConfig):
    name = "support"
    verbose_name = _("support programmes")

    def ready(self):
        from cooperatives import page_sections

        from . import selectors  # the models are loaded only now

        page_sections.provide_organisation_section(selectors.support_section)
