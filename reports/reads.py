"""Reads behind the report pages: who may see the national reports, which run a page shows and
whether it is still current, and the stored results shared by all the server's processes.

Pages never compute a report: they read the latest done run (PRODUCT.md). National results
are large (every commune's report), so each is parsed and shaped once for all the server's
processes (kept in the shared cache, `shared`) and kept in each process by run id by the
presenters: a done run never changes.
"""

from dataclasses import dataclass, field

from django.utils import timezone

from communes.models import Commune
from cooperatives import freshness
from cooperatives.models import Organisation, ProjectTerritory
from cooperatives.permissions import scope_of

from .frozen import frozen_report
from .models import FrozenReport, ReportRun
from .runs import NATIONAL, latest_done, scope_key

SHARED_VERSION = 2  # part of the shared cache keys: change it when a cached shape changes


# Who may see what -------------------------------------------------------------------------

def reads_country(user) -> bool:
    """Admins and ministry analysts read the national reports."""
    return scope_of(user).reads_country


def recomputes_country(user) -> bool:
    """Only the national admin recomputes the whole country."""
    return scope_of(user).is_admin


# Which run a page shows -------------------------------------------------------------------

@dataclass
class RunState:
    """The run a page shows (None: not computed yet) and what happened since.

    `pending`: a queued or running run of the same scope and year; `failed`: a run that failed
    after the shown one finished; `changed`: the registry moved since the shown run (a pending
    run, organisations updated after it, or for the country a commune run queued after it).
    """

    kind: str
    year: int
    run: ReportRun | None
    pending: ReportRun | None = None
    failed: ReportRun | None = None
    changed: bool = False
    years: list[int] = field(default_factory=list)
    # The frozen report of a closed year (what the run shows): its version and closure date.
    frozen: FrozenReport | None = None


def run_state(kind: str, *, commune: Commune | None = None, year: int | None = None,
              territory: ProjectTerritory | None = None) -> RunState:
    """The latest done run of a scope (of `year` when given) and its freshness.

    For a commune or a project territory the run comes with its result (a territory's is
    "changed" only while a run of it waits); for the country the result is deferred (it is
    read through the per-run cache). A fixed number of queries.
    """
    if commune is not None or territory is not None:
        run = latest_done(kind, commune=commune, year=year, territory=territory)
    else:
        runs = ReportRun.objects.filter(kind=kind, scope=NATIONAL, status=ReportRun.Status.DONE)
        if year is not None:
            runs = runs.filter(year=year)
        run = runs.defer("result").order_by("-finished_at", "-id").first()
    shown_year = run.year if run else (year or timezone.localdate().year)
    scope_runs = ReportRun.objects.filter(kind=kind, scope=scope_key(commune, territory))
    state = RunState(kind=kind, year=shown_year, run=run, years=list(
        scope_runs.filter(status=ReportRun.Status.DONE).order_by("-year")
        .values_list("year", flat=True).distinct()))
    others = list(scope_runs.filter(year=shown_year).exclude(status=ReportRun.Status.DONE)
                  .defer("result").order_by("-queued_at", "-id")[:5])
    state.pending = next((r for r in others if r.status in (ReportRun.Status.QUEUED,
                                                            ReportRun.Status.RUNNING)), None)
    state.failed = next((r for r in others if r.status == ReportRun.Status.FAILED and (
        run is None or (r.finished_at and r.finished_at > run.finished_at))), None)
    if commune is not None:
        state.frozen = frozen_report(kind, commune, shown_year)
    if run is not None:
        state.changed = state.pending is not None or (
            territory is None and state.frozen is None and _changed_since(kind, commune, run))
    return state


def _changed_since(kind: str, commune: Commune | None, run: ReportRun) -> bool:
    """Since the run finished: organisations created, edited or deleted (their history rows,
    indexed by date, so no scan of the registry) when the run is of the current year (a past
    year's registry is its history up to 31 December: today's edits leave it as it was), or
    for the country a commune run of its year queued after it (every edit queues its
    commune's runs: reports.signals)."""
    current = run.year >= timezone.localdate().year
    history = Organisation.history.filter(history_date__gt=run.finished_at)
    if commune is not None:
        return current and history.filter(commune_id=commune.pk).exists()
    later = ReportRun.objects.filter(kind=kind, year=run.year,
                                     queued_at__gt=run.finished_at, commune__isnull=False)
    return later.exists() or (current and history.exists())


def shared(key: str, compute):
    """`compute()`, computed by one of the server's processes and read by the others from
    the cache (each worker parsing a national run itself costs a cold request of every worker
    a few hundred milliseconds). The value depends on its key only; the reference stamp keeps
    entries from outliving a restore (run ids may then come back with other results)."""
    return freshness.cached(f"reports:{SHARED_VERSION}:{key}", [], compute)


def stored_result(run_id: int) -> dict:
    return ReportRun.objects.filter(pk=run_id).values_list("result", flat=True).get() or {}

