from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PrivacyConfig(AppConfig):
    """People's rights over their data (Law No. 2024/017), on the top floor beside reports and
    operations: the register's notice pages, a person's export, rectification and erasure
    (history pseudonymised), requests and their delays, retention, and the access log's
    pages. It reads every app below it; `operations` calls it to replay erasures after a
    restore."""

    name = "privacy"
    verbose_name = _("personal data")
