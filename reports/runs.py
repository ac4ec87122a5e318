"""Report runs: request (coalesced), execute (recorded), read (latest done), sweep (stale).

A run moves queued -> running -> done | failed. At most one queued run exists per kind,
scope and year (a partial unique index), so a burst of edits in a commune leaves one queued
run. Executing a run twice (a retry after a worker died) stores the same result, because the
computation is a pure function of the registry and the year.
"""

import datetime
import logging
import traceback
from collections.abc import Callable

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from communes.models import Commune

from .models import ReportRun

NATIONAL = "national"
logger = logging.getLogger(__name__)


def scope_key(commune: Commune | None) -> str:
    return commune.pcode if commune is not None else NATIONAL


def report_run_request(*, kind: str, year: int, commune: Commune | None = None,
                       user=None) -> tuple[ReportRun, bool]:
    """The queued run for this kind, scope and year, created if none is queued.

    Returns (run, created); only a created run needs a task enqueued."""
    scope = scope_key(commune)
    existing = ReportRun.objects.filter(kind=kind, scope=scope, year=year,
                                        status=ReportRun.Status.QUEUED).first()
    if existing:
        return existing, False
    try:
        with transaction.atomic():
            run = ReportRun.objects.create(kind=kind, scope=scope, year=year, commune=commune,
                                           requested_by=user if user and user.pk else None)
        return run, True
    except IntegrityError:  # another request queued it between our read and our write
        return ReportRun.objects.get(kind=kind, scope=scope, year=year,
                                     status=ReportRun.Status.QUEUED), False


def report_runs_queue_every_commune(*, kind: str, year: int, user=None) -> list[int]:
    """A queued run for every commune (coalesced with those already queued), in three queries:
    the ids of the queued commune runs, by commune."""
    queued = ReportRun.objects.filter(kind=kind, year=year, status=ReportRun.Status.QUEUED,
                                      commune__isnull=False)
    have = set(queued.values_list("commune_id", flat=True))
    requester = user if user is not None and user.pk else None
    ReportRun.objects.bulk_create(
        [ReportRun(kind=kind, year=year, commune_id=pk, scope=pcode, requested_by=requester)
         for pk, pcode in Commune.objects.order_by("pk").values_list("pk", "pcode")
         if pk not in have],
        ignore_conflicts=True)  # a run queued meanwhile by an edit is simply reused
    return list(queued.order_by("commune_id").values_list("pk", flat=True))


def report_run_start(run_id: int) -> ReportRun | None:
    """Mark the run running (counting attempts); None if it is already finished."""
    with transaction.atomic():
        run = ReportRun.objects.select_for_update().get(pk=run_id)
        if run.status in (ReportRun.Status.DONE, ReportRun.Status.FAILED):
            return None
        run.status = ReportRun.Status.RUNNING
        run.started_at = timezone.now()
        run.attempts += 1
        run.save(update_fields=["status", "started_at", "attempts"])
    return run


def report_runs_start(run_ids: list[int]) -> list[ReportRun]:
    """`report_run_start` for many runs in three queries: the unfinished ones, now running, in
    the order of `run_ids`."""
    unfinished = (ReportRun.objects.filter(pk__in=run_ids)
                  .exclude(status__in=(ReportRun.Status.DONE, ReportRun.Status.FAILED)))
    with transaction.atomic():
        started = list(unfinished.select_for_update().values_list("pk", flat=True))
        ReportRun.objects.filter(pk__in=started).update(
            status=ReportRun.Status.RUNNING, started_at=timezone.now(),
            attempts=F("attempts") + 1)
        runs = ReportRun.objects.in_bulk(started)
    return [runs[pk] for pk in run_ids if pk in runs]


def report_run_finish(run: ReportRun, result: dict) -> ReportRun:
    run.status = ReportRun.Status.DONE
    run.result = result
    run.error = ""
    run.finished_at = timezone.now()
    run.save(update_fields=["status", "result", "error", "finished_at"])
    return run


def report_run_fail(run_id: int, error: BaseException | str) -> None:
    """Record the failure so a run is never left pending forever."""
    text = error if isinstance(error, str) else "".join(
        traceback.format_exception_only(type(error), error)).strip()
    ReportRun.objects.filter(pk=run_id).exclude(status=ReportRun.Status.DONE).update(
        status=ReportRun.Status.FAILED, error=text[:5000], finished_at=timezone.now())


def report_run_execute(run_id: int, compute: Callable[[ReportRun], dict]) -> ReportRun | None:
    """Run `compute(run)` for a queued or interrupted run and store its result."""
    run = report_run_start(run_id)
    if run is None:
        return None
    return report_run_finish(run, compute(run))


def latest_done(kind: str, *, commune: Commune | None = None,
                year: int | None = None) -> ReportRun | None:
    """The latest done run of a kind and scope (any year unless given): what pages show."""
    runs = ReportRun.objects.filter(kind=kind, scope=scope_key(commune),
                                    status=ReportRun.Status.DONE)
    if year is not None:
        runs = runs.filter(year=year)
    return runs.order_by("-finished_at", "-id").first()


def report_runs_queued_before(moment: datetime.datetime) -> list[int]:
    """Ids of the runs still queued since before `moment` (their message may be lost)."""
    return list(ReportRun.objects.filter(status=ReportRun.Status.QUEUED, queued_at__lt=moment)
                .values_list("pk", flat=True))


def report_runs_fail_stale(moment: datetime.datetime) -> int:
    """Mark failed the runs queued or running since before `moment`; how many."""
    return ReportRun.objects.filter(
        status__in=[ReportRun.Status.QUEUED, ReportRun.Status.RUNNING], queued_at__lt=moment,
    ).update(status=ReportRun.Status.FAILED, error="Timed out: no worker finished this run.",
             finished_at=timezone.now())
