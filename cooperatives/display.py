"""How a stored value reads on a page: numbers with the language's thousands separator,
dates and times in its format. For text shown to people only (never CSV, JSON, URLs or
form values)."""

import datetime

from django.contrib.humanize.templatetags.humanize import intcomma
from django.utils import timezone
from django.utils.formats import date_format, localize


def readable(value):
    """`value` formatted for the active language; other values unchanged."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, datetime.datetime):
        aware = timezone.localtime(value) if timezone.is_aware(value) else value
        return date_format(aware, "SHORT_DATETIME_FORMAT")
    if isinstance(value, datetime.date):
        return date_format(value, "SHORT_DATE_FORMAT")
    if isinstance(value, int):
        return intcomma(value)
    if isinstance(value, float):
        return localize(value)
    return value
