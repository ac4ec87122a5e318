"""The one parser of a report or record year given in a query string, a form or a body, and
the one rule of dated records running during a year.

A missing value gives the caller's default; anything else must be a whole year within
`YEARS`, or the request is refused with a message in the user's language: the API answers
400 (`core.api.exception_handler` maps Django's ValidationError), a page shows the message.
Bad input is never silently read as "no year".
"""

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.translation import gettext as _

YEAR_MIN, YEAR_MAX = 1990, 2100
YEARS = range(YEAR_MIN, YEAR_MAX + 1)
YEAR_SCHEMA = {"type": "integer", "minimum": YEAR_MIN, "maximum": YEAR_MAX}


def parse_year(value, *, default=None, field: str = "year") -> int | None:
    """`value` as a year of `YEARS`; `default` when it is missing (None or blank)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return default
    try:
        year = int(str(value).strip())
    except (TypeError, ValueError):
        raise ValidationError({field: [_("Give a year such as 2025.")]}) from None
    if year not in YEARS:
        raise ValidationError({field: [_("Give a year between %(first)s and %(last)s.")
                                       % {"first": YEARS[0], "last": YEARS[-1]}]})
    return year


def year_message(error: ValidationError) -> str:
    """The message of a `parse_year` error, for a page to show."""
    return " ".join(error.messages)


def running_during(year: int) -> Q:
    """Records (interventions, programmes, enrolments) whose `start_date`-`end_date` overlaps
    calendar year `year`; no end date: still running."""
    return Q(start_date__year__lte=year) & (Q(end_date__isnull=True) | Q(end_date__year__gte=year))
