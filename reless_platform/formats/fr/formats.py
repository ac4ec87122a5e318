"""French number formats: Django's, with a narrow no-break space between thousands."""

from django.conf.locale.fr.formats import *  # noqa: F403

THOUSAND_SEPARATOR = "\u202f"
