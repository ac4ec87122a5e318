"""The latest done run of each commune, found without reading the runs kept before it.

Runs are kept (PRODUCT.md: history is the list of runs): a nightly recompute alone adds 722
a day, so a year holds about 365 done runs per commune, kind and year. Asking for the
latest run of every commune by comparing each done run with its scope's latest (a
correlated subquery per run) costs the square of that history: 0.16 s with 22 runs per
commune, tens of seconds after a year. Here the communes are walked instead, each asking
`reports_run_latest_year_idx` (kind, scope, year, status, finished_at, id) for its first
entry: one index probe per commune whatever the history kept.
"""

from collections.abc import Iterable

from django.db.models import OuterRef, QuerySet, Subquery

from communes.models import Commune
from core.ids import id_list

from .models import ReportRun


def latest_done_ids(kind: str, year: int, *, pcodes: Iterable[str] | None = None,
                    exclude_ids: Iterable[int] = ()) -> dict[str, int]:
    """P-code -> id of the commune's latest done run of `kind` and `year` (the latest
    finished, then the highest id), for every commune or for those of `pcodes`; a commune
    without such a run is left out, as are the runs of `exclude_ids`. One query."""
    done = ReportRun.objects.filter(kind=kind, year=year, status=ReportRun.Status.DONE,
                                    scope=OuterRef("pcode"))
    excluded = list(exclude_ids)
    if excluded:
        done = done.exclude(pk__in=excluded)
    latest = done.order_by("-finished_at", "-id").values("pk")[:1]
    communes = Commune.objects.order_by()
    if pcodes is not None:
        communes = communes.filter(pcode__in=list(pcodes))
    return {pcode: pk for pcode, pk in communes.annotate(latest=Subquery(latest))
            .values_list("pcode", "latest") if pk is not None}


def latest_done_runs(kind: str, year: int, *, pcodes: Iterable[str] | None = None,
                     exclude_ids: Iterable[int] = ()) -> QuerySet:
    """The runs of `latest_done_ids` (same arguments), to read what is wanted of them."""
    latest = latest_done_ids(kind, year, pcodes=pcodes, exclude_ids=exclude_ids)
    return ReportRun.objects.filter(pk__in=id_list(latest.values()))
