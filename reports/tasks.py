"""Celery tasks computing and storing the two reports. Thin: take ids, hand the run and what
it computes (reports.compute) to the run life cycle (reports.runs). Every task is safe to run
twice.

Before this app existed the tasks were named diagnostics.tasks.*: messages queued under the
old names are not consumed, but their runs stay queued rows that `requeue_queued_runs` sends
again under the new names."""

import datetime
import logging
import threading

from celery import current_app, shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import InterfaceError, OperationalError, connections, transaction
from django.utils import timezone

from communes.models import Commune
from cooperatives.models import ProjectTerritory
from core.beside import read_beside
from core.broker import send
from core.collection import fewer_collections

from .compute import compute_national, compute_run
from .models import ReportRun
from .opportunity_notices import previous_opportunities
from .runs import (
    NATIONAL,
    communes_naming,
    report_run_execute,
    report_run_fail,
    report_run_request,
    report_run_start,
    report_runs_fail_stale,
    report_runs_finish,
    report_runs_finish_national,
    report_runs_queue_every_commune,
    report_runs_queued_before,
    report_runs_start,
    report_runs_store_changed,
)

logger = logging.getLogger(__name__)
KINDS = (ReportRun.Kind.CONVERGENCE, ReportRun.Kind.COOPERATION)
STORE_CHUNK = 60  # commune runs stored per transaction when the national run ran already
TRANSIENT = (OperationalError, InterfaceError)
OVERDUE = datetime.timedelta(minutes=2)  # in-process: a waiting run this late lost its timer


TASK_OPTIONS = {
    "bind": True,
    "acks_late": True,
    "reject_on_worker_lost": True,
    "autoretry_for": TRANSIENT,
    "retry_backoff": 2,
    "retry_backoff_max": 60,
    "max_retries": 5,
}


@shared_task(**TASK_OPTIONS)
def run_report(self, run_id: int) -> str | None:
    """Compute and store one report run; a failure is recorded on the run."""
    try:
        run = report_run_execute(run_id, compute_run)
    except ReportRun.DoesNotExist:
        logger.warning("report run %s vanished before it ran", run_id)
        return None
    except TRANSIENT as error:
        if self.request.retries >= self.max_retries:
            report_run_fail(run_id, error)
            return None
        raise
    except (Exception, SoftTimeLimitExceeded) as error:  # noqa: BLE001 - recorded, not lost
        logger.exception("report run %s failed", run_id)
        report_run_fail(run_id, error)
        return None
    return run.status if run else None


@shared_task(**TASK_OPTIONS)
def run_national(self, kind: str, year: int, run_id: int, commune_run_ids: list[int]) -> int:
    """The national report of a kind, and every commune's report from the same snapshot.

    The national computation reads the whole country once and yields each commune's report
    as well, so storing those is cheaper than recomputing communes in chunks (each chunk of
    a large batch reads the country anyway). The national run and the commune runs are
    stored in one transaction (`report_runs_finish_national`; if the national run ran
    already, the commune runs alone, STORE_CHUNK per transaction); the communes without a
    run here whose stored report
    differs from the snapshot's get a new done run too (after an edit: a cross-commune
    link's far end, a commune whose nearest-commune lists change)."""
    try:
        national = report_run_start(run_id)
    except ReportRun.DoesNotExist:  # deleted while it waited (a restore, a cleanup)
        national = None
    communes = report_runs_start(commune_run_ids)
    if national is None and not communes:
        return 0  # a duplicate delivery (the run was brought forward and already ran)
    try:
        with fewer_collections():  # the country in memory until the results are stored
            _compute_and_store_national(kind, year, national, communes)
    except TRANSIENT:
        if self.request.retries < self.max_retries:
            raise
        _fail_all([run_id, *commune_run_ids], "database unavailable")
    except (Exception, SoftTimeLimitExceeded) as error:  # noqa: BLE001 - recorded, not lost
        logger.exception("national %s report failed", kind)
        _fail_all([run_id, *commune_run_ids], error)
    return len(communes)


def _compute_and_store_national(kind: str, year: int, national, communes) -> None:
    # The opportunities stored before, read beside the computation (core.beside), where
    # there are any to tell about (cooperation): convergence needs no thread.
    previous = (read_beside(previous_opportunities, communes)
                if national is not None and kind == ReportRun.Kind.COOPERATION else None)
    result = compute_national(kind, year)
    by_pcode = result["communes"]
    if national is not None:  # the country and its communes' runs stored together
        report_runs_finish_national(national, result, communes,
                                    previous() if previous is not None else None)
    else:  # the national run already ran: the communes' runs alone
        for start in range(0, len(communes), STORE_CHUNK):
            with transaction.atomic():
                chunk = communes[start:start + STORE_CHUNK]
                report_runs_finish(chunk, [by_pcode[run.scope] for run in chunk])
    with transaction.atomic():
        report_runs_store_changed(kind, year, by_pcode,
                                  skip=frozenset(run.scope for run in communes))


def _fail_all(run_ids: list[int], error) -> None:
    for pk in run_ids:
        report_run_fail(pk, error)


def send_run(run: ReportRun) -> bool:
    """Send the task of a queued run: `run_national` for the country (storing the communes
    whose figures changed), `run_report` for a commune; a run with a `not_before` waits
    until then (Celery's countdown). In-process (no REDIS_URL) a waiting run is not run in
    the request that queued it: a timer thread runs it when due (REPORT_REFRESH_IN_PROCESS),
    otherwise it stays queued for a recompute."""
    wait = (run.not_before - timezone.now()).total_seconds() if run.not_before else 0
    if wait > 0 and current_app.conf.task_always_eager:
        return _run_later_in_process(run, wait)
    return send(*_task_of(run), countdown=wait if wait > 0 else None)


def _task_of(run: ReportRun) -> tuple:
    if run.scope == NATIONAL:
        return run_national, run.kind, run.year, run.pk, []
    return run_report, run.pk


def _run_later_in_process(run: ReportRun, wait: float) -> bool:
    if settings.REPORT_REFRESH_IN_PROCESS:
        task, *args = _task_of(run)
        timer = threading.Timer(wait, _run_in_thread, (task, args))
        timer.daemon = True
        timer.start()
    return True


def _lost_in_process(run: ReportRun) -> bool:
    """In-process, a waiting run long overdue lost its timer (the server restarted): the
    next edit joining it starts a new one (there is no sweeper without a broker)."""
    return (current_app.conf.task_always_eager and run.not_before is not None
            and run.not_before < timezone.now() - OVERDUE)


def _run_in_thread(task, args) -> None:
    try:
        task.apply(args)
    finally:
        connections.close_all()  # this thread's own connections


def request_report(*, kind: str, year: int, commune: Commune | None = None,
                   user=None, not_before: datetime.datetime | None = None,
                   territory: ProjectTerritory | None = None) -> ReportRun:
    """Queue a run (coalesced with a queued one of the same scope), enqueued on commit;
    `territory`: a project territory's run."""
    run, created = report_run_request(kind=kind, year=year, commune=commune, user=user,
                                      not_before=not_before, territory=territory)
    if created:
        transaction.on_commit(lambda: send_run(run))
    elif _lost_in_process(run):
        transaction.on_commit(lambda: _run_later_in_process(run, 0))
    return run


def request_national_recompute(*, year: int, user=None) -> list[ReportRun]:
    """Queue the national run and every commune's run of both kinds: one task per kind. The
    task is sent even when the national run joins one already queued (a refresh after an
    edit, whose task was sent with other commune runs, or none): it carries the commune runs
    queued now, and finds the national run done if the other task ran first."""
    national = []
    for kind in KINDS:
        run, _created = report_run_request(kind=kind, year=year, user=user)
        commune_run_ids = report_runs_queue_every_commune(kind=kind, year=year, user=user)
        transaction.on_commit(
            lambda k=kind, r=run.pk, c=commune_run_ids: send(run_national, k, year, r, c))
        national.append(run)
    return national


@shared_task
def nightly_reports() -> int:
    """Celery beat, every night: recompute both reports for every commune, every active
    project territory and the country."""
    year = timezone.localdate().year
    request_territory_reports(year=year)
    return len(request_national_recompute(year=year))


def request_territory_reports(*, year: int) -> int:
    """Queue both reports of every active project territory; how many runs were asked."""
    asked = 0
    for territory in ProjectTerritory.objects.active():
        for kind in KINDS:
            request_report(kind=kind, year=year, territory=territory)
            asked += 1
    return asked


def queue_commune_reports(commune_id: int, year: int | None = None) -> None:
    """After a change in a commune: queue its two reports now, and the refreshes it makes
    due (`queue_refresh_after_edit`). The runs are rows first, so a broker outage delays
    them but loses nothing."""
    commune = Commune.objects.filter(pk=commune_id).first()
    if commune is not None:
        year = year or timezone.localdate().year
        for kind in KINDS:
            request_report(kind=kind, year=year, commune=commune)
        queue_refresh_after_edit(commune, year)


def queue_refresh_after_edit(commune: Commune, year: int) -> None:
    """The refreshes an edit in `commune` makes due, after the debounce
    (REPORT_REFRESH_DEBOUNCE seconds): the national run of each kind, and the convergence
    run of every commune whose stored nearest-commune lists name `commune`. Each joins the
    run of its scope already queued, so a burst of edits leaves one national run per kind;
    and both runs of each active project territory the commune is a member of."""
    not_before = timezone.now() + datetime.timedelta(seconds=settings.REPORT_REFRESH_DEBOUNCE)
    for kind in KINDS:
        request_report(kind=kind, year=year, not_before=not_before)
    for neighbour in Commune.objects.filter(pk__in=communes_naming(commune, year)):
        request_report(kind=ReportRun.Kind.CONVERGENCE, year=year, commune=neighbour,
                       not_before=not_before)
    for territory in ProjectTerritory.objects.active().with_member([commune.pk]):
        for kind in KINDS:
            request_report(kind=kind, year=year, territory=territory, not_before=not_before)


@shared_task
def requeue_queued_runs(min_age_seconds: int = 120) -> int:
    """Send again the runs still queued a while after they were due (their message was
    lost, e.g. the broker was down when they were requested); a run still waiting for its
    `not_before` is left alone. A duplicate delivery is harmless."""
    limit = timezone.now() - datetime.timedelta(seconds=min_age_seconds)
    return sum(send_run(run) for run in report_runs_queued_before(limit))


@shared_task
def fail_stale_runs(max_age_seconds: int = 3600) -> int:
    """Runs queued or running for longer than any task may take (counted from when they were
    due) are marked failed."""
    limit = timezone.now() - datetime.timedelta(seconds=max_age_seconds)
    return report_runs_fail_stale(limit)
