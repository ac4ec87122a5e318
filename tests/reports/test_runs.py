"""Report runs in-process: coalescing, results stored, failures recorded, repeats identical."""

import datetime
import json

import pytest
from django.db import connection
from django.utils import timezone

from reports import compute, tasks
from reports.models import ReportRun
from reports.runs import latest_done, report_run_request
from reports.tasks import request_report, run_report

from ..factories import LinkFactory, OrganisationFactory

pytestmark = pytest.mark.django_db


def test_it_coalesces_requests_for_one_scope_into_one_queued_run(commune_a, commune_b):
    first, created = report_run_request(kind="cooperation", year=2025, commune=commune_a)
    again, created_again = report_run_request(kind="cooperation", year=2025, commune=commune_a)
    other, _ = report_run_request(kind="cooperation", year=2025, commune=commune_b)
    national, _ = report_run_request(kind="cooperation", year=2025)
    assert created and not created_again and again.pk == first.pk
    assert other.pk != first.pk and national.scope == "national"
    assert ReportRun.objects.filter(status="queued").count() == 3


def test_it_leaves_one_queued_run_after_many_edits_in_a_commune(
        org_a, commune_a, agent_a, django_capture_on_commit_callbacks):
    from cooperatives.services import organisation_update

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        for n in range(5):
            organisation_update(user=agent_a, organisation=org_a, members_total=20 + n)
    for callback in callbacks:  # the recompute requests, once the edits committed
        with django_capture_on_commit_callbacks(execute=False):
            callback()
    queued = ReportRun.objects.filter(scope=commune_a.pcode, status="queued")
    assert sorted(queued.values_list("kind", flat=True)) == ["convergence", "cooperation"]


def test_it_computes_and_stores_a_commune_run(org_a, org_b, commune_a, cassava,
                                              django_capture_on_commit_callbacks):
    second = OrganisationFactory(commune=commune_a, primary_filiere=cassava)
    LinkFactory(source=org_a, target=second)
    # The current year: a past year reads the registry as of its 31 December, when these
    # organisations, created today, did not exist yet (tests/reports/test_reports_as_of.py).
    with django_capture_on_commit_callbacks(execute=True):
        run = request_report(kind="cooperation", year=timezone.localdate().year,
                             commune=commune_a)
    run.refresh_from_db()
    assert run.status == "done" and run.attempts == 1 and run.finished_at
    assert run.result["active_organisations"] == 2
    assert run.result["links"] == 1
    assert latest_done("cooperation", commune=commune_a) == run


def test_it_gives_the_same_result_when_a_run_repeats(org_a, org_b, commune_a):
    LinkFactory(source=org_a, target=org_b)
    first, _ = report_run_request(kind="cooperation", year=2025, commune=commune_a)
    run_report(first.pk)
    repeat, _ = report_run_request(kind="cooperation", year=2025, commune=commune_a)
    run_report(repeat.pk)
    first.refresh_from_db()
    repeat.refresh_from_db()
    assert json.dumps(first.result, sort_keys=True) == json.dumps(repeat.result, sort_keys=True)


def test_it_records_a_failed_run_with_its_error(commune_a, monkeypatch):
    def explode(run):
        raise RuntimeError("boom in the report")

    monkeypatch.setattr(tasks, "compute_run", explode)
    run, _ = report_run_request(kind="convergence", year=2025, commune=commune_a)
    run_report(run.pk)
    run.refresh_from_db()
    assert run.status == "failed"
    assert "RuntimeError: boom in the report" in run.error
    assert run.finished_at is not None


def test_it_does_not_recompute_a_finished_run(commune_a):
    run, _ = report_run_request(kind="cooperation", year=2025, commune=commune_a)
    run_report(run.pk)
    run.refresh_from_db()
    finished = run.finished_at
    run_report(run.pk)  # a duplicate delivery
    run.refresh_from_db()
    assert run.finished_at == finished and run.attempts == 1


def test_it_recomputes_the_country_with_one_task_per_kind(
        commune_a, commune_b, commune_c, org_a, org_b, django_capture_on_commit_callbacks):
    LinkFactory(source=org_a, target=org_b)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        national = tasks.request_national_recompute(year=2025)
    assert len(callbacks) == 2
    assert {r.scope for r in national} == {"national"}
    runs = ReportRun.objects.all()
    assert runs.count() == 2 * 4
    assert set(runs.values_list("status", flat=True)) == {"done"}


def test_it_stores_the_same_commune_report_from_the_national_run(
        commune_a, commune_b, org_a, org_b, django_capture_on_commit_callbacks):
    LinkFactory(source=org_a, target=org_b)
    with django_capture_on_commit_callbacks(execute=True):
        tasks.request_national_recompute(year=2025)
    for kind in ("cooperation", "convergence"):
        stored = ReportRun.objects.get(kind=kind, scope=commune_a.pcode).result
        alone = compute.compute_for_communes(kind, [commune_a.pk], 2025)[commune_a.pk]
        assert json.dumps(stored, sort_keys=True) == json.dumps(alone, sort_keys=True)


def test_it_fails_runs_left_pending_too_long(commune_a):
    from datetime import timedelta

    from django.utils import timezone

    run, _ = report_run_request(kind="cooperation", year=2025, commune=commune_a)
    ReportRun.objects.filter(pk=run.pk).update(queued_at=timezone.now() - timedelta(hours=2))
    assert tasks.fail_stale_runs() == 1
    run.refresh_from_db()
    assert run.status == "failed" and "Timed out" in run.error


def test_it_starts_many_runs_at_once_leaving_finished_ones_alone(commune_a, commune_b):
    from reports.runs import report_runs_start

    def run(commune, kind, status, attempts):
        return ReportRun.objects.create(kind=kind, commune=commune, scope=commune.pcode,
                                        year=2025, status=status, attempts=attempts)

    queued = run(commune_a, "cooperation", "queued", 0)
    interrupted = run(commune_b, "cooperation", "running", 1)
    done = run(commune_a, "convergence", "done", 1)
    failed = run(commune_b, "convergence", "failed", 2)
    started = report_runs_start([interrupted.pk, done.pk, failed.pk, queued.pk])
    assert [r.pk for r in started] == [interrupted.pk, queued.pk]
    assert [(r.status, r.attempts) for r in started] == [("running", 2), ("running", 1)]
    assert all(r.started_at is not None for r in started)
    stored = dict(ReportRun.objects.values_list("pk", "status"))
    assert stored == {queued.pk: "running", interrupted.pk: "running", done.pk: "done",
                      failed.pk: "failed"}


def test_a_national_recompute_joining_a_waiting_refresh_still_runs_every_commune(
        commune_a, commune_b, settings, django_capture_on_commit_callbacks):
    """An edit's national refresh waits (debounced) when the admin asks for a national
    recompute: the recompute joins that run, and the commune runs it queues are run too
    (they were once left queued: the waiting refresh's task carried none of them)."""
    settings.REPORT_REFRESH_IN_PROCESS = False  # the waiting refresh's timer never fires here
    year = timezone.localdate().year
    later = timezone.now() + datetime.timedelta(minutes=5)
    with django_capture_on_commit_callbacks(execute=True):
        waiting = request_report(kind="cooperation", year=year, not_before=later)
    with django_capture_on_commit_callbacks(execute=True):
        national = tasks.request_national_recompute(year=year)
    assert waiting in national
    runs = ReportRun.objects.filter(year=year)
    assert sorted(runs.values_list("kind", "scope", "status")) == sorted(
        (kind, scope, "done") for kind in ("convergence", "cooperation")
        for scope in ("national", commune_a.pcode, commune_b.pcode))


@pytest.mark.skipif(connection.vendor != "postgresql", reason="a PostgreSQL column setting")
def test_stored_results_are_compressed_with_lz4(db):
    """Migrations reports.0006 (the runs' results) and 0009 (a closed year's frozen copies):
    lz4 where the server has it (Debian's PostgreSQL 15 does)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT attrelid::regclass::text, attname, attcompression "
                       "FROM pg_attribute WHERE attcompression <> '' AND attrelid IN "
                       "('reports_reportrun'::regclass, 'reports_frozenreport'::regclass, "
                       "'reports_frozenregistry'::regclass)")
        assert set(cursor.fetchall()) == {("reports_reportrun", "result", "l"),
                                          ("reports_frozenreport", "result", "l"),
                                          ("reports_frozenregistry", "organisations", "l"),
                                          ("reports_frozenregistry", "links", "l")}


def test_a_national_recompute_queues_one_run_per_commune_keeping_those_queued(
        commune_a, commune_b, commune_c, agent_a):
    """report_runs_queue_every_commune (one INSERT … SELECT on PostgreSQL, bulk_create
    elsewhere): every commune gets a queued run with the model's defaults, the requester and
    the commune's P-code; a commune with a run queued already keeps it."""
    from reports.runs import report_runs_queue_every_commune

    kept, _ = report_run_request(kind="cooperation", year=2025, commune=commune_b)
    before = timezone.now()
    ids = report_runs_queue_every_commune(kind="cooperation", year=2025, user=agent_a)
    runs = list(ReportRun.objects.filter(pk__in=ids).order_by("commune_id"))
    assert [r.pk for r in runs] == ids and kept.pk in ids
    assert [(r.commune_id, r.scope) for r in runs] == [
        (c.pk, c.pcode) for c in sorted((commune_a, commune_b, commune_c), key=lambda c: c.pk)]
    new = [r for r in runs if r.pk != kept.pk]
    assert {(r.kind, r.year, r.status, r.attempts, r.error, r.result, r.requested_by_id,
             r.territory_id, r.not_before, r.started_at, r.finished_at) for r in new} == {
        ("cooperation", 2025, "queued", 0, "", None, agent_a.pk, None, None, None, None)}
    assert all(r.queued_at >= before for r in new)
    # Asked again: the same runs, nothing more.
    assert report_runs_queue_every_commune(kind="cooperation", year=2025) == ids
    assert ReportRun.objects.count() == 3
