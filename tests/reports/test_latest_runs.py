"""Each commune's latest done run of a kind and year (reports.latest), whatever the history
kept, and the readers built on it; results stored in one statement (reports.runs._store)."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from reports.latest import latest_done_ids
from reports.models import ReportRun
from reports.opportunity_notices import previous_opportunities
from reports.partners import _latest_results
from reports.runs import latest_commune_results, report_runs_finish, report_runs_finish_national

pytestmark = pytest.mark.django_db

YEAR = timezone.localdate().year
T0 = datetime.datetime(YEAR, 1, 2, 8, 0, tzinfo=datetime.UTC)


def run(commune, *, kind="cooperation", year=YEAR, status="done", minutes=0, result=None):
    return ReportRun.objects.create(
        kind=kind, scope=commune.pcode, commune=commune, year=year, status=status,
        finished_at=T0 + datetime.timedelta(minutes=minutes) if status == "done" else None,
        result=result if result is not None else {"n": minutes})


@pytest.fixture
def history(commune_a, commune_b):
    """Twelve runs of commune A and three of B, of both kinds, two years and every status."""
    runs = {"a": [run(commune_a, minutes=m) for m in range(10)]}
    runs["a_latest"] = run(commune_a, minutes=30)
    run(commune_a, minutes=40, status="failed")  # later, but not done
    run(commune_a, minutes=50, kind="convergence")  # later, another kind
    run(commune_a, minutes=60, year=YEAR - 1)  # later, another year
    tie = [run(commune_b, minutes=5), run(commune_b, minutes=5)]  # same time: the higher id
    runs["b_latest"] = tie[1]
    run(commune_b, minutes=1)
    return runs


def test_it_finds_each_communes_latest_done_run_of_a_kind_and_year(
        history, commune_a, commune_b, commune_c):
    assert latest_done_ids("cooperation", YEAR) == {
        commune_a.pcode: history["a_latest"].pk, commune_b.pcode: history["b_latest"].pk}
    assert latest_done_ids("cooperation", YEAR, pcodes=[commune_b.pcode]) == {
        commune_b.pcode: history["b_latest"].pk}
    # Without the latest, the one before it; a commune with no run is left out.
    assert latest_done_ids("cooperation", YEAR, pcodes=[commune_a.pcode, commune_c.pcode],
                           exclude_ids=[history["a_latest"].pk]) == {
        commune_a.pcode: history["a"][9].pk}
    assert latest_done_ids("convergence", YEAR - 1) == {}


def test_the_readers_take_the_latest_run_in_a_fixed_number_of_queries(
        history, commune_a, commune_b):
    with CaptureQueriesContext(connection) as queries:
        results = latest_commune_results("cooperation", YEAR)
    assert results == {commune_a.pk: {"n": 30}, commune_b.pk: {"n": 5}}
    assert len(queries) == 2
    assert latest_commune_results("cooperation", YEAR, key="n", exclude=commune_b) == {
        commune_a.pk: 30}
    with CaptureQueriesContext(connection) as queries:
        found = _latest_results({commune_a.pcode, commune_b.pcode})
    assert sorted(r["n"] for r in found) == [5, 30] and len(queries) == 2


def test_the_queries_stay_fixed_as_the_history_grows(history, commune_a):
    with CaptureQueriesContext(connection) as before:
        latest_commune_results("cooperation", YEAR)
    for minutes in range(100, 140):
        run(commune_a, minutes=minutes)
    with CaptureQueriesContext(connection) as after:
        assert latest_commune_results("cooperation", YEAR)[commune_a.pk] == {"n": 139}
    assert len(after) == len(before) == 2


def test_previous_opportunities_read_the_run_before_the_ones_being_stored(
        commune_a, commune_b):
    run(commune_a, minutes=1, result={"opportunities": [{"organisations": [1, 2]}]})
    run(commune_a, minutes=2, result={"opportunities": [{"organisations": [3, 4]}]})
    storing = run(commune_a, minutes=3, result={"opportunities": []})
    run(commune_b, minutes=9, year=YEAR - 1, result={"opportunities": [1]})
    new_a = ReportRun(pk=storing.pk, kind="cooperation", scope=commune_a.pcode,
                      commune=commune_a, year=YEAR)
    new_b = ReportRun.objects.create(kind="cooperation", scope=commune_b.pcode,
                                     commune=commune_b, year=YEAR, status="running")
    # The run being stored is itself excluded (the one before it is read, not the first);
    # commune B has no done run of this year.
    assert previous_opportunities([new_a, new_b]) == {
        commune_a.pcode: [{"organisations": [3, 4]}]}


def test_results_are_stored_whole_for_one_run_and_for_many(commune_a, commune_b):
    """On PostgreSQL one run goes as its own value, several as one array: the same stored
    values either way (keys that are not strings written as strings, non-ASCII text)."""
    result = {"name": "Coopérative Ngaoundéré", 7: [1.5, None, True], "nested": {"x": []}}
    expected = {"name": "Coopérative Ngaoundéré", "7": [1.5, None, True], "nested": {"x": []}}
    one = ReportRun.objects.create(kind="convergence", scope="national", year=YEAR,
                                   status="running")
    many = [ReportRun.objects.create(kind="convergence", scope=c.pcode, commune=c, year=YEAR,
                                     status="running") for c in (commune_a, commune_b)]
    report_runs_finish([one], [result])
    report_runs_finish(many, [result, {"n": 2}])
    stored = dict(ReportRun.objects.values_list("scope", "result"))
    assert stored == {"national": expected, commune_a.pcode: expected,
                      commune_b.pcode: {"n": 2}}
    assert set(ReportRun.objects.values_list("status", "error")) == {("done", "")}
    assert ReportRun.objects.filter(finished_at__isnull=True).count() == 0


@pytest.mark.skipif(connection.vendor != "postgresql", reason="column compression: PostgreSQL")
def test_large_results_are_compressed_with_lz4_and_read_back_whole(commune_a, commune_b):
    """A stored result past the compression threshold is lz4 (the column's setting, tested
    in test_runs) and reads back equal; a small one is not compressed."""
    large = {"communes": {f"CM{i:09d}": {"links": i, "state": "converging"}
                          for i in range(2000)}}
    runs = [ReportRun.objects.create(kind="cooperation", scope=c.pcode, commune=c, year=YEAR,
                                     status="running") for c in (commune_a, commune_b)]
    report_runs_finish(runs, [large, {"n": 1}])
    with connection.cursor() as cursor:
        cursor.execute("SELECT scope, pg_column_compression(result) FROM reports_reportrun")
        assert dict(cursor.fetchall()) == {commune_a.pcode: "lz4", commune_b.pcode: None}
    assert ReportRun.objects.get(scope=commune_a.pcode).result == large


def test_a_national_run_and_its_communes_runs_are_stored_together(commune_a, commune_b,
                                                                  commune_c):
    """report_runs_finish_national: the national result whole, each commune run its part of
    it (on PostgreSQL each part written once, the national text put together around them),
    all done at one moment; a commune run without a part in the result stores nothing."""
    part_a = {"commune": commune_a.pcode, "opportunities": [], "name": "Coopérative Éfoulan",
              7: [1.5, None]}
    result = {"on": "2026-01-02", "links": 4,
              "communes": {commune_a.pcode: part_a, commune_b.pcode: {"links": 0}}}
    national = ReportRun.objects.create(kind="cooperation", scope="national", year=YEAR,
                                        status="running")
    communes = [ReportRun.objects.create(kind="cooperation", scope=c.pcode, commune=c,
                                         year=YEAR, status="running")
                for c in (commune_a, commune_b)]
    stray = ReportRun.objects.create(kind="cooperation", scope=commune_c.pcode,
                                     commune=commune_c, year=YEAR, status="running")

    with pytest.raises(KeyError, match=commune_c.pcode):
        report_runs_finish_national(national, result, [*communes, stray])
    assert set(ReportRun.objects.values_list("status", flat=True)) == {"running"}

    report_runs_finish_national(national, result, communes)
    part_a_json = {"commune": commune_a.pcode, "opportunities": [],
                   "name": "Coopérative Éfoulan", "7": [1.5, None]}
    as_json = {**result, "communes": {commune_a.pcode: part_a_json,
                                      commune_b.pcode: {"links": 0}}}
    stored = dict(ReportRun.objects.exclude(pk=stray.pk).values_list("scope", "result"))
    assert stored == {"national": as_json, commune_a.pcode: as_json["communes"][commune_a.pcode],
                      commune_b.pcode: {"links": 0}}
    done = ReportRun.objects.exclude(pk=stray.pk)
    assert set(done.values_list("status", "error")) == {("done", "")}
    assert done.values("finished_at").distinct().count() == 1
    assert ReportRun.objects.get(pk=stray.pk).status == "running"
    assert [run.status for run in [national, *communes]] == ["done"] * 3


@pytest.mark.parametrize("rest", [{}, {"on": "2026-01-02", "country": {"links": 3, 4: "x"}}])
def test_the_national_text_put_together_is_the_result_written_whole(rest):
    """`_national_texts`: the national result's text, built around its communes' parts, reads
    back as the result written whole; each part as its commune's report (keys that are not
    strings written as strings, as everywhere)."""
    import json

    from reports.runs import _json_text, _national_texts

    result = {**rest, "communes": {"CM1": {"links": 1, "names": ["Éfoulan", 'a "b"']},
                                   "CM2": {}}}
    text, parts = _national_texts(result)
    assert json.loads(text) == json.loads(_json_text(result))
    assert {p: json.loads(part) for p, part in parts.items()} == json.loads(
        _json_text(result["communes"]))
