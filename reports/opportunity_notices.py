"""New cooperation opportunities, told to the representatives they name.

When a commune's cooperation run of the current year is stored, its opportunities (pairs of
organisations sharing a filière with no counted link) are compared with those of the
commune's previous done run of the same year: each pair absent from it is new, and the
representatives of both organisations are told (`cooperatives.notices.opportunities_found`,
once per organisation and partner, whatever later runs do). A commune's first run of a year
has nothing to compare with: it tells no one (otherwise each new year, or the first run on
a new platform, would tell every representative of the country at once).
"""

from django.urls import reverse
from django.utils import timezone

from cooperatives import notices

from .latest import latest_done_runs
from .models import ReportRun


def _told_about(run: ReportRun, current_year: int) -> bool:
    return (run.kind == ReportRun.Kind.COOPERATION and run.commune_id is not None
            and run.year == current_year)


def previous_opportunities(runs: list[ReportRun]) -> dict[str, list]:
    """The opportunities of the latest done run of each run's commune (by P-code), for the
    cooperation runs of the current year among `runs`, read before they are stored (two
    queries whatever the runs kept, reports.latest; none when no run is such)."""
    year = timezone.localdate().year
    scopes = {run.scope for run in runs if _told_about(run, year)}
    if not scopes:
        return {}
    return dict(latest_done_runs(ReportRun.Kind.COOPERATION, timezone.localdate().year,
                                 pcodes=scopes, exclude_ids=[run.pk for run in runs])
                .values_list("scope", "result__opportunities"))


def tell_new_opportunities(runs: list[ReportRun], previous: dict[str, list]) -> int:
    """Tell the representatives named by the opportunities of `runs` (just stored) that
    `previous` (by P-code, as `previous_opportunities`) lacks; how many notices were made."""
    found, year = [], timezone.localdate().year
    for run in runs:
        if not _told_about(run, year) or run.scope not in previous:
            continue
        before = {tuple(sorted(o["organisations"])) for o in previous[run.scope] or ()}
        new = [o for o in (run.result or {}).get("opportunities", ())
               if tuple(sorted(o["organisations"])) not in before]
        if new:  # the page's address only where there is news (35 µs each, 360 a recompute)
            url = reverse("reports:cooperation_commune", args=[run.scope])
            found += [(o, url) for o in new]
    return notices.opportunities_found(found)
