"""Report runs: request (coalesced), execute (recorded), read (latest done), sweep (stale).

A run moves queued -> running -> done | failed. At most one queued run exists per kind,
scope and year (a partial unique index), so a burst of edits in a commune leaves one queued
run. A refresh queued after an edit waits until its `not_before` (the debounce): later edits
join it, and a run already running does not absorb them (a new queued one follows). Executing
a run twice (a retry after a worker died) stores the same result, because the
computation is a pure function of the registry and the year.
"""

import datetime
import logging
import traceback
from collections.abc import Callable

import orjson
import psycopg
from django.db import IntegrityError, connections, transaction
from django.db.models import F
from django.db.models.functions import Coalesce
from django.utils import timezone

from communes.models import Commune
from cooperatives.models import ProjectTerritory

from .latest import latest_done_runs
from .models import ReportRun
from .opportunity_notices import previous_opportunities, tell_new_opportunities

NATIONAL = "national"
logger = logging.getLogger(__name__)


def scope_key(commune: Commune | None, territory: ProjectTerritory | None = None) -> str:
    if territory is not None:
        return territory.scope
    return commune.pcode if commune is not None else NATIONAL


def report_run_request(*, kind: str, year: int, commune: Commune | None = None,
                       user=None, not_before: datetime.datetime | None = None,
                       territory: ProjectTerritory | None = None) -> tuple[ReportRun, bool]:
    """The queued run for this kind, scope and year, created if none is queued.

    `not_before`: the run waits until then (a refresh after an edit, debounced); a later
    request joins the queued run and keeps its time, so the wait never grows past the
    debounce. Returns (run, send): `send` is True when a task must be sent, for a new run or
    for a waiting run brought forward by a request that does not wait (a recompute).
    `territory`: a project territory's run (then no commune)."""
    scope = scope_key(commune, territory)
    existing = ReportRun.objects.filter(kind=kind, scope=scope, year=year,
                                        status=ReportRun.Status.QUEUED).first()
    if existing:
        return existing, _bring_forward(existing, not_before)
    try:
        with transaction.atomic():
            run = ReportRun.objects.create(kind=kind, scope=scope, year=year, commune=commune,
                                           territory=territory,
                                           requested_by=user if user and user.pk else None,
                                           not_before=not_before)
        return run, True
    except IntegrityError:  # another request queued it between our read and our write
        return ReportRun.objects.get(kind=kind, scope=scope, year=year,
                                     status=ReportRun.Status.QUEUED), False


def _bring_forward(run: ReportRun, not_before: datetime.datetime | None) -> bool:
    """A waiting run asked for sooner waits no longer than asked; True if it moved."""
    if run.not_before is None or (not_before is not None and not_before >= run.not_before):
        return False
    run.not_before = not_before
    return bool(ReportRun.objects.filter(pk=run.pk, status=ReportRun.Status.QUEUED)
                .update(not_before=not_before))


def report_runs_queue_every_commune(*, kind: str, year: int, user=None) -> list[int]:
    """A queued run for every commune (coalesced with those already queued), in three queries:
    the ids of the queued commune runs, by commune."""
    queued = ReportRun.objects.filter(kind=kind, year=year, status=ReportRun.Status.QUEUED,
                                      commune__isnull=False)
    requester = user if user is not None and user.pk else None
    template = ReportRun(kind=kind, year=year, requested_by=requester)
    if connections[ReportRun.objects.db].vendor == "postgresql":
        _queue_per_commune(template)
    else:
        have = set(queued.values_list("commune_id", flat=True))
        ReportRun.objects.bulk_create(
            [ReportRun(kind=kind, year=year, commune_id=pk, scope=pcode, requested_by=requester)
             for pk, pcode in Commune.objects.order_by("pk").values_list("pk", "pcode")
             if pk not in have],
            ignore_conflicts=True)  # a run queued meanwhile by an edit is simply reused
    return list(queued.order_by("commune_id").values_list("pk", flat=True))


def _queue_per_commune(template: ReportRun) -> None:
    """On PostgreSQL, a run like `template` queued for every commune in one
    `INSERT … SELECT` over the communes, a commune whose run is queued already keeping it
    (the unique index on queued runs: `ON CONFLICT DO NOTHING`). Every other column holds
    the template's value as the model gives it (defaults included, cast to the column's
    type). Django's bulk_create of 361 runs cost 0.07 s of Python per report kind, in the
    request that asks for a national recompute, before any worker may start."""
    connection = connections[ReportRun.objects.db]
    quote = connection.ops.quote_name
    columns, values, params = [], [], []
    for field in ReportRun._meta.concrete_fields:
        if field.primary_key:
            continue
        columns.append(quote(field.column))
        if field.attname in ("commune_id", "scope"):
            values.append("commune.id" if field.attname == "commune_id" else "commune.pcode")
            continue
        values.append(f"CAST(%s AS {field.db_type(connection)})")
        params.append(field.get_db_prep_save(field.pre_save(template, add=True), connection))
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {quote(ReportRun._meta.db_table)} ({', '.join(columns)}) "
            f"SELECT {', '.join(values)} FROM {quote(Commune._meta.db_table)} AS commune "
            "ORDER BY commune.id ON CONFLICT DO NOTHING", params)


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
    return report_runs_finish([run], [result])[0]


def report_runs_finish(runs: list[ReportRun], results: list[dict]) -> list[ReportRun]:
    """Store the results of the runs, done now; the representatives named by a new
    cooperation opportunity are told (reports/opportunity_notices.py)."""
    previous = previous_opportunities(runs)
    _mark_done(zip(runs, results, strict=True))
    _store(runs)
    tell_new_opportunities(runs, previous)
    return runs


def report_runs_finish_national(national: ReportRun, result: dict, communes: list[ReportRun],
                                previous: dict[str, list] | None = None) -> None:
    """Store the national run's result and each commune run's, its part of it
    (`result["communes"][scope]`), done now, in one transaction: readers see the country and
    its communes change together. On PostgreSQL each commune's part is written to JSON once,
    and the national result's text is put together from those parts (`_national_texts`);
    the communes' parts go as one binary array (`_store_parts`). The representatives named
    by a new opportunity are told, as `report_runs_finish` does; `previous`: the communes'
    opportunities before (as `previous_opportunities`), when read already."""
    missing = [run.scope for run in communes if run.scope not in result["communes"]]
    if missing:
        raise KeyError(f"no commune report for {', '.join(missing)} in the national result")
    if previous is None:
        previous = previous_opportunities(communes)
    now = _mark_done([(national, result),
                      *((run, result["communes"][run.scope]) for run in communes)])
    connection = connections[ReportRun.objects.db]
    with transaction.atomic(using=connection.alias):
        if connection.vendor != "postgresql":
            _store([national, *communes])
        else:
            text, parts = _national_texts(result)
            _store_parts(connection, [(national.pk, text),
                                      *((run.pk, parts[run.scope]) for run in communes)], now)
        tell_new_opportunities(communes, previous)


def _national_texts(result: dict) -> tuple[str, dict[str, str]]:
    """The national result as JSON text, and each commune's part of it: the parts written
    once, the whole put together around them (the same value as writing it whole; its
    "communes" key comes first)."""
    parts = {pcode: _json_text(report) for pcode, report in result["communes"].items()}
    rest = _json_text({key: value for key, value in result.items() if key != "communes"})
    communes = ",".join(f"{_json_text(pcode)}:{part}" for pcode, part in parts.items())
    return f'{{"communes":{{{communes}}}{"," + rest[1:] if rest != "{}" else "}"}', parts


def _store_parts(connection, texts: list[tuple[int, str]], now: datetime.datetime) -> None:
    """Runs done now with their results given as JSON text: (run id, text). One statement
    over two arrays sent in binary, on a cursor binding them apart from the statement (Django's
    cursors write parameters into the statement's text: a national result of 3-4 MB quoted by
    Python, then read again by the server's parser). On the national dataset, storing the
    cooperation report's 361 results took the database 50 ms split out of the stored national
    result (`json_each`) and 30 ms from the array, and sending the national result 38 ms quoted
    into the statement and 22 ms apart from it."""
    connection.ensure_connection()
    with psycopg.Cursor(connection.connection) as cursor:
        cursor.execute(
            f"UPDATE {ReportRun._meta.db_table} AS run SET status = %s, error = '', "
            "finished_at = %s, result = stored.result::json "
            "FROM unnest(%b::bigint[], %b::text[]) AS stored(id, result) "
            "WHERE run.id = stored.id",
            [ReportRun.Status.DONE, now, [pk for pk, _ in texts], [text for _, text in texts]])


def _mark_done(runs_and_results) -> datetime.datetime:
    """Each (run, result) marked done now, holding its result (not yet stored); now."""
    now = timezone.now()
    for run, result in runs_and_results:
        run.status, run.result, run.error, run.finished_at = (
            ReportRun.Status.DONE, result, "", now)
    return now


def _store(runs: list[ReportRun]) -> None:
    """One statement for the lot (a national recompute stores 360 per report), not one each.
    On PostgreSQL the results go as JSON text written by orjson (a national report's 361
    results: 0.12 s with the standard library's encoder, 0.02 s with orjson; both decode to
    the same values), which the database parses once (`_store_parts`; Django's bulk_update
    builds a CASE branch per run and field, which cost more than the writing itself)."""
    connection = connections[ReportRun.objects.db]
    if connection.vendor != "postgresql":
        ReportRun.objects.bulk_update(runs, ["status", "result", "error", "finished_at"])
        return
    _store_parts(connection, [(run.pk, _json_text(run.result)) for run in runs],
                 runs[0].finished_at)


def _json_text(value) -> str:
    """`value` as JSON text (dictionary keys that are not strings written as strings, as the
    standard library's encoder does)."""
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()


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


def latest_done(kind: str, *, commune: Commune | None = None, year: int | None = None,
                territory: ProjectTerritory | None = None) -> ReportRun | None:
    """The latest done run of a kind and scope (any year unless given): what pages show."""
    runs = ReportRun.objects.filter(kind=kind, scope=scope_key(commune, territory),
                                    status=ReportRun.Status.DONE)
    if year is not None:
        runs = runs.filter(year=year)
    return runs.order_by("-finished_at", "-id").first()


def pending_run(kind: str, scope: str, year: int) -> ReportRun | None:
    """The queued run of a kind, scope and year, else a running one, else None."""
    pending = ReportRun.objects.filter(kind=kind, scope=scope, year=year, status__in=(
        ReportRun.Status.QUEUED, ReportRun.Status.RUNNING)).defer("result")
    runs = sorted(pending, key=lambda r: (r.status != ReportRun.Status.QUEUED, r.queued_at))
    return runs[0] if runs else None


def report_runs_queued_before(moment: datetime.datetime) -> list[ReportRun]:
    """The runs still queued since before `moment` and due before it (their message may be
    lost); a run waiting for its `not_before` is left alone until then."""
    return list(ReportRun.objects.filter(status=ReportRun.Status.QUEUED)
                .alias(due=Coalesce("not_before", "queued_at")).filter(
                    queued_at__lt=moment, due__lt=moment)
                .only("pk", "kind", "scope", "year", "not_before"))


def report_runs_fail_stale(moment: datetime.datetime) -> int:
    """Mark failed the runs queued or running since before `moment` (counted from their
    `not_before` for a run that waited); how many."""
    return ReportRun.objects.filter(
        status__in=[ReportRun.Status.QUEUED, ReportRun.Status.RUNNING],
    ).alias(due=Coalesce("not_before", "queued_at")).filter(due__lt=moment).update(
        status=ReportRun.Status.FAILED, error="Timed out: no worker finished this run.",
        finished_at=timezone.now())


def latest_commune_results(kind: str, year: int, *, key: str | None = None,
                           exclude: Commune | None = None) -> dict[int, object]:
    """The result (or its `key`) of each commune's latest done run of a kind and year, by
    commune id: what the commune pages show. Two queries (reports.latest), whatever the
    number of runs kept."""
    runs = latest_done_runs(kind, year)
    if exclude is not None:
        runs = runs.exclude(commune=exclude)
    return dict(runs.values_list("commune_id", f"result__{key}" if key else "result"))


def communes_naming(commune: Commune, year: int) -> list[int]:
    """The communes whose stored convergence report (of `year`) names `commune` in the
    nearest-commune list of one of their unmet needs, by id."""
    unmet = latest_commune_results(ReportRun.Kind.CONVERGENCE, year, key="unmet_needs",
                                   exclude=commune)
    return sorted(pk for pk, needs in unmet.items() if any(
        near.get("commune") == commune.pcode
        for need in needs or () for near in need.get("nearest") or ()))


def report_runs_store_changed(kind: str, year: int, results: dict[str, dict], *,
                              skip: frozenset[str] = frozenset()) -> int:
    """Store, as done runs, the commune results (by P-code, from one national computation)
    that differ from the commune's latest stored result of that kind and year, except the
    P-codes in `skip`; how many were stored."""
    ids = dict(Commune.objects.values_list("pcode", "pk"))
    if all(pcode in skip or pcode not in ids for pcode in results):
        return 0  # a national recompute: every commune has its run already
    stored = latest_commune_results(kind, year)
    now = timezone.now()
    changed = [ReportRun(kind=kind, scope=pcode, commune_id=ids[pcode], year=year,
                         status=ReportRun.Status.DONE, result=result, started_at=now,
                         finished_at=now, attempts=1)
               for pcode, result in sorted(results.items())
               if pcode in ids and pcode not in skip
               and stored.get(ids[pcode]) != orjson.loads(_json_text(result))]
    ReportRun.objects.bulk_create(changed, batch_size=200)
    if kind == ReportRun.Kind.COOPERATION:
        tell_new_opportunities(changed, {pcode: (stored[ids[pcode]] or {}).get("opportunities")
                                         for pcode in results
                                         if pcode in ids and ids[pcode] in stored})
    return len(changed)
