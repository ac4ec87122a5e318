"""Years a commune has handed in for sign-off: the edits that belong to such a year (its
diagnostic, the interventions lying within it) are refused, saying why.

The sign-off lives in `reports` (it spans the registry, diagnostics and reports), above this
app: it hands its reading down at start-up (`ReportsConfig.ready`), so nothing here imports it.
"""

import datetime
from collections.abc import Callable

from core.conflicts import Conflict


def _never_locked(commune_id: int, year: int) -> str | None:
    return None


# (commune id, year) -> why the year is locked (a translated sentence), or None when open.
_lock_reason: Callable[[int, int], str | None] = _never_locked


def provide_lock_reason(reason: Callable[[int, int], str | None]) -> None:
    global _lock_reason
    _lock_reason = reason


def refuse_if_locked(commune_id: int, year: int | None) -> None:
    """Raise a Conflict naming the year's state, who put it there and when, if it is locked."""
    message = _lock_reason(commune_id, year) if year is not None else None
    if message:
        raise Conflict(message, code="year_locked")


def only_year(start: datetime.date | None, end: datetime.date | None) -> int | None:
    """The one year an intervention lies within, or None when it spans several (or runs on):
    only such interventions belong to a single year's sign-off."""
    if start is None or end is None or start.year != end.year:
        return None
    return start.year
