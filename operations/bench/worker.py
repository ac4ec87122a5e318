"""P4 and P5: the reports computed by a real Celery worker (national recompute, an edit's
refresh), P4 beside the hand-written SQL baseline."""

import statistics
import time
from contextlib import contextmanager
from datetime import datetime

from celery import current_app as app  # the project's app (reless_platform.celery)
from django.conf import settings
from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone

from cooperatives.models import Organisation, OrganisationStatus
from cooperatives.services import organisation_update
from reports.compute import compute_national
from reports.models import ReportRun
from reports.tasks import request_national_recompute

from . import baseline_compare, baseline_sql, procs
from .context import Context, add_row, wait_until

P5_SAMPLES = 4


@contextmanager
def report_worker(ctx: Context):
    """A real worker (`celery worker -c 2`) on a queue of its own, when Redis is configured;
    otherwise the tasks run in-process (eager) and the timing says so. Yields whether a
    worker runs."""
    if not settings.REDIS_URL:
        eager = app.conf.task_always_eager
        app.conf.task_always_eager = True
        try:
            yield False
        finally:
            app.conf.task_always_eager = eager
        return
    process, queue, node = procs.celery_worker(ctx.log_dir, concurrency=2)
    old = app.conf.task_default_queue, app.conf.task_always_eager
    app.conf.task_default_queue, app.conf.task_always_eager = queue, False
    try:
        with process:
            procs.wait_worker(process, node)
            ctx.worker_queue = queue
            yield True
    finally:
        app.conf.task_default_queue, app.conf.task_always_eager = old
        ctx.worker_queue = None


PENDING = (ReportRun.Status.QUEUED, ReportRun.Status.RUNNING)


def fail_pending_runs() -> None:
    """Runs queued before the worker listened (an interrupted run, the set-up's own edits,
    sent to no worker's queue) would coalesce with ours and never finish: fail them."""
    ReportRun.objects.filter(status__in=PENDING).update(
        status=ReportRun.Status.FAILED, finished_at=timezone.now(),
        error="Left pending before a benchmark run.")


def measure_p4(ctx: Context, worker: bool) -> None:
    """The national recompute through the tasks, beside the SQL baseline on the same data.

    Each side runs twice and its faster run counts, as the same program run twice (the
    baseline in this process, the platform in the same worker: in production a worker lives
    long). The first recompute, in a worker that has run nothing yet, has its own row."""
    fail_pending_runs()
    baseline, baseline_first = baseline_sql.run_baseline(year=ctx.year, on=ctx.on)
    fresh, _, failed_fresh = _recompute(ctx)
    _, baseline_again = baseline_sql.run_baseline(year=ctx.year, on=ctx.on)
    again, ours, failed = _recompute(ctx)
    base_seconds = min(baseline_first, baseline_again)
    failed = failed or failed_fresh
    walls = [w for w in (fresh, again) if w is not None]
    wall = min(walls) if len(walls) == 2 and not failed else None
    where = "worker -c 2" if worker else "in-process (no REDIS_URL)"
    details = {"runs": ours.count(), "failed_runs": len(failed), "worker": worker,
               "baseline_seconds": [round(baseline_first, 4), round(baseline_again, 4)],
               "platform_seconds": [round(w, 4) if w is not None else None
                                    for w in (fresh, again)]}
    note = "" if len(walls) == 2 else "runs still pending after 600 s"
    if failed:
        note = f"{len(failed)} runs failed: " + "; ".join(failed[:2])
    add_row(ctx, "P4", f"national recompute: {ours.count()} runs, {where}, a fresh worker",
            fresh if fresh is not None and not failed else None, "s", 30, "<", note=note,
            details=details)
    add_row(ctx, "P4", f"platform ÷ SQL baseline (faster of two runs each: {wall or 0:.2f} s "
                       f"÷ {base_seconds:.2f} s)",
            wall / base_seconds if wall else None, "×", 2, "<=",
            note=f"a fresh worker's first run: {fresh / base_seconds:.2f}×" if wall else "",
            details=details)
    check = baseline_compare.compare(baseline, _stored_results(ours))
    add_row(ctx, "P4", f"baseline = platform ({check['checked']:,} values compared)",
         check["mismatches"], "mismatches", 0, "==",
         note="; ".join(check["examples"][:3]), details=check)


def _recompute(ctx: Context) -> tuple[float | None, object, list[str]]:
    """A national recompute requested as the admin: (seconds until a reader sees every run
    done, or None after 600 s; its runs; the errors of those that failed).

    Polled every 10 ms with one plain statement: a run's `finished_at` is stamped before its
    result is stored, so it would leave the storing out (0.07-0.14 s of a national run)."""
    first = (ReportRun.objects.aggregate(m=Max("id"))["m"] or 0) + 1
    pending = (f"SELECT EXISTS (SELECT 1 FROM {ReportRun._meta.db_table} "
               "WHERE id >= %s AND status IN (%s, %s))")
    with connection.cursor() as cursor:
        def done() -> bool:
            cursor.execute(pending, [first, *PENDING])
            return not cursor.fetchone()[0]

        requested = time.monotonic()
        with transaction.atomic():
            request_national_recompute(year=ctx.year, user=ctx.admin)
        finished = wait_until(done, 600, 0.01)
        wall = time.monotonic() - requested if finished else None
    ours = ReportRun.objects.filter(id__gte=first)
    failed = list(ours.filter(status=ReportRun.Status.FAILED).values_list("error", flat=True))
    return wall, ours, failed


PAST_YEAR_FACTOR = 3  # issue 16: a past year's national recompute within 3x the current's


def measure_p4_past_year(ctx: Context) -> None:
    """Both national reports computed in-process for the previous year (the registry as of
    its 31 December, rebuilt from the audit history) beside the current year's."""
    seconds = {}
    for year in (ctx.year, ctx.year - 1):
        started = time.perf_counter()
        for kind in ReportRun.Kind.values:
            compute_national(kind, year)
        seconds[year] = time.perf_counter() - started
    current, past = seconds[ctx.year], seconds[ctx.year - 1]
    details = {"current_year_seconds": round(current, 2), "past_year_seconds": round(past, 2)}
    add_row(ctx, "P4", f"national recompute of {ctx.year - 1} (as of 31 December, from "
                       f"history) ÷ {ctx.year} ({past:.1f} s vs {current:.1f} s, in-process; "
                       f"target {PAST_YEAR_FACTOR}×)",
            past / current if current else None, "×", PAST_YEAR_FACTOR, "<=", details=details)


def _stored_results(runs) -> dict:
    """The done runs' results as `baseline_compare.compare` takes them."""
    stored = {"convergence": {}, "cooperation": {}, "national_convergence": None,
              "national_cooperation": None}
    for kind, scope, result in runs.filter(status=ReportRun.Status.DONE).values_list(
            "kind", "scope", "result"):
        if scope == "national":
            stored[f"national_{kind}"] = result
        else:
            stored[kind][scope] = result
    return stored


def measure_p5(ctx: Context, worker: bool) -> None:
    """Edits of one organisation (services), each until both commune reports are refreshed."""
    fail_pending_runs()
    organisation = (Organisation.objects.filter(commune=ctx.commune,
                                                status=OrganisationStatus.ACTIVE)
                    .order_by("id").first())
    samples, timeouts = [], 0
    for n in range(P5_SAMPLES):
        seconds = _edit_to_refresh(ctx, organisation_update, organisation,
                                   delta=1 if n % 2 == 0 else -1)
        if seconds is None:
            timeouts += 1
        else:
            samples.append(seconds)
    worst = max(samples) if samples and not timeouts else None
    note = (f"median {statistics.median(samples):.2f} s of {len(samples)} edits"
            if samples else "") + (f"; {timeouts} edits not refreshed within 30 s"
                                   if timeouts else "")
    if not worker:
        note += "; no REDIS_URL: tasks ran in-process"
    add_row(ctx, "P5", f"edit → both reports of {ctx.commune.pcode} refreshed (worst of "
         f"{P5_SAMPLES} edits)", worst, "s", 2, "<", note=note,
         details={"samples": samples, "timeouts": timeouts, "organisation": organisation.pk})


def _edit_to_refresh(ctx: Context, update, organisation: Organisation, delta: int
                     ) -> float | None:
    """Seconds from the edit's commit until both reports of the commune were computed by runs
    started after it (None: not within 30 s)."""
    organisation.refresh_from_db()
    committed: list[datetime] = []
    with transaction.atomic():
        transaction.on_commit(lambda: committed.append(timezone.now()))
        update(user=ctx.agent, organisation=organisation,
               employees=organisation.employees + delta)
    fresh = ReportRun.objects.filter(scope=ctx.commune.pcode, status=ReportRun.Status.DONE,
                                     started_at__gte=committed[0]).order_by()
    if not wait_until(lambda: fresh.values("kind").distinct().count() == 2, 30, 0.02):
        return None
    firsts = [fresh.filter(kind=kind).order_by("finished_at").values_list(
        "finished_at", flat=True).first() for kind in ReportRun.Kind.values]
    # Let the runs of this edit settle before the next one.
    wait_until(lambda: not ReportRun.objects.filter(scope=ctx.commune.pcode,
                                               status__in=PENDING).exists(), 30)
    return (max(firsts) - committed[0]).total_seconds()
