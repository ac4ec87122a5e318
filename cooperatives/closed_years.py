"""A commune's aggregates for a year through the API (`?year=`): the current year's are the
registry's (`signed_off: false`); a past year's exist only once the commune's year is closed,
from its frozen registry snapshot (`signed_off: true`, the version and the approval chain).

The snapshots live in the reports app, above this one, which hands the reader down at start-up
(ReportsConfig.ready)."""

from collections.abc import Callable

from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework import exceptions

from core.years import parse_year

# (commune, year, by) -> (rows, {"signed_off", "version", "day", "approval_chain"}) or None.
_closed_year_aggregates: Callable | None = None
# The filters of the aggregates, which a closed year's kept rows cannot apply.
FILTERS = ("filiere", "ministry", "legal_form", "status", "verified", "q")


def provide_closed_year_aggregates(find: Callable) -> None:
    global _closed_year_aggregates
    _closed_year_aggregates = find


def requested_year(request) -> int:
    """The `year` asked for; 400 for a year that is not one."""
    year = parse_year(request.query_params.get("year"))
    if year is None:
        raise exceptions.ValidationError({"year": [_("Give a year.")]})
    return year


def closed_year(commune, year: int, by: str, params) -> tuple[list[dict], dict]:
    """The rows and the signature of a past year's aggregates; 404 when the year is not
    closed (nothing is kept of it), 400 when filters are asked of it."""
    if year > timezone.localdate().year:
        raise exceptions.NotFound(_("The year %(year)s has not started yet.") % {"year": year})
    asked = [name for name in FILTERS if params.get(name)]
    found = _closed_year_aggregates(commune, year, by) if _closed_year_aggregates else None
    if found is None:
        raise exceptions.NotFound(
            _("The year %(year)s of commune %(commune)s is not signed off: only the "
              "aggregates of closed years are kept.") % {"year": year, "commune": commune.name})
    if asked:
        raise exceptions.ValidationError({name: [_(
            "A signed-off year's aggregates are kept per grouping: filters do not apply "
            "to them.")] for name in asked})
    return found
