"""The benchmark (`manage.py bench`) on the tiny dataset, so that it cannot rot.

It runs the real thing (a Celery worker, the P6 and P8 processes, gunicorn and wrk for a
second) on four communes, and checks the shape of the results and that the hand-written SQL
baseline agrees with the platform's stored reports. No timing is asserted: CI machines vary.
"""

import json
import os

import pytest

from operations.bench.context import Options
from operations.bench.load import wrk_available
from operations.bench.rows import SOAK, TARGETS, table
from operations.bench.runner import run_bench
from sectors.taxonomy import load_taxonomy

from ..factories import CommuneFactory, DepartmentFactory, RegionFactory

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not os.environ.get("DATABASE_URL", "").startswith("postgres"),
                       reason="the benchmark runs on PostgreSQL only: set DATABASE_URL to a "
                              "postgres:// URL (CI does)"),
]
ROW_KEYS = {"id", "what", "figure", "unit", "target", "compare", "passed", "ratio", "result",
            "figure_text", "target_text", "note", "details", "load_average"}


@pytest.fixture
def territory():
    """Two departments of the tiny scale's regions (Centre, Ouest), two communes each."""
    load_taxonomy()
    for region, name, latitude in (("CM002", "Centre", 3.7), ("CM008", "Ouest", 5.4)):
        department = DepartmentFactory(pcode=f"{region}001", region=RegionFactory(
            pcode=region, name_fr=name))
        for n in (1, 2):
            CommuneFactory(pcode=f"{department.pcode}00{n}", department=department,
                           name_fr=f"{name} {n}", latitude=latitude + n / 10, longitude=11.0)


def run(tmp_path, **options) -> dict:
    lines: list[str] = []
    results = run_bench(Options(scale="tiny", output=tmp_path / "results.json", **options),
                        say=lines.append)
    assert json.loads((tmp_path / "results.json").read_text()) == json.loads(
        json.dumps(results, default=str))
    for row in results["rows"]:
        assert ROW_KEYS <= set(row), row
        assert row["result"].startswith(("PASS", "FAIL")), row
    assert all(row["id"] in table(results) for row in results["rows"])
    return results


def rows_of(results: dict, target: str) -> list[dict]:
    return [row for row in results["rows"] if row["id"] == target]


def test_it_measures_every_target_and_the_baseline_agrees(territory, tmp_path, settings):
    settings.REPORT_REFRESH_DEBOUNCE = 2  # the burst's national refresh, due 2 s after an edit
    results = run(tmp_path, skip_load=True, import_rows=300, burst=5.0)

    assert {row["id"] for row in results["rows"]} == set(TARGETS) | {SOAK}
    assert results["dataset"]["organisations"] > 0
    assert results["machine"]["nproc"] >= 1
    recompute, ratio, agreement, past_year = rows_of(results, "P4")
    assert recompute["figure"] is not None, recompute["note"]
    # Each side's faster of two runs: the platform's two recomputes, the baseline's two.
    assert ratio["figure"] == pytest.approx(min(ratio["details"]["platform_seconds"])
                                            / min(ratio["details"]["baseline_seconds"]),
                                            rel=0.01)
    assert recompute["figure"] == pytest.approx(ratio["details"]["platform_seconds"][0],
                                                abs=0.0001)
    assert past_year["figure"] is not None and past_year["target"] == 3, past_year["note"]
    assert agreement["details"]["checked"] > 0
    assert agreement["figure"] == 0, agreement["details"]["examples"]
    assert all(row["figure"] is not None for row in rows_of(results, "P6"))
    assert rows_of(results, "P5")[0]["figure"] is not None, rows_of(results, "P5")[0]["note"]
    burst, national_runs = rows_of(results, "P9")
    assert burst["figure"] is not None, burst["note"]
    assert (burst["target"], national_runs["target"]) == (300, 4)
    assert rows_of(results, "P3")[0]["details"]["endpoints"]
    for skipped in ("P1", "P2", "P7", SOAK):
        assert all(row["figure"] is None for row in rows_of(results, skipped))
    warm, cold = rows_of(results, "HOME")
    assert warm["figure"] is not None and warm["target"] == 10, warm["note"]
    assert cold["figure"] is not None and cold["target"] == 200, cold["note"]
    (p8,) = rows_of(results, "P8")
    if "not available" not in p8["note"]:
        assert p8["details"]["errors"] == 0, p8["details"]["first_errors"]


@pytest.mark.skipif(not wrk_available(), reason="wrk is not installed (apt-get install wrk)")
def test_it_loads_the_api_and_the_pages_with_wrk(territory, tmp_path):
    results = run(tmp_path, only=frozenset({"P1", "P2", "P7", SOAK}), duration=1, soak=1)

    assert {row["id"] for row in results["rows"]} == {"P1", "P2", "P7", SOAK}
    p1_latency, p1_throughput = rows_of(results, "P1")
    assert p1_latency["details"]["requests"] > 0, p1_latency["note"]
    assert p1_latency["details"]["errors"] == 0, p1_latency["note"]
    pages, weight = rows_of(results, "P7")
    assert {page["path"] for page in pages["details"]["pages"]} >= {"/"}
    weighed = {page["name"]: page for page in weight["details"]["pages"]}
    # Every page route of the URLconf but those the benchmark says it skips, and why.
    from operations.bench.pages import html_routes

    missing = {name for name, _ in html_routes()} - set(weighed)
    # The generated dataset holds no change request, request about personal data nor
    # offline change in conflict; on these four communes, no project territory.
    assert missing <= {"change_request_detail", "privacy:request_detail",
                       "privacy:request_export", "offline:conflict", "territory_detail",
                       "reports:territory_report"}, (missing, weight["note"])
    assert {"programme_detail", "programme_edit", "enrolment_edit", "organisation_verify",
            "label_create", "ilo_statistics", "territory_list"} <= set(weighed)
    assert weight["figure"] is not None, weight["note"]  # no page or asset answered an error
    assert all(page["total_bytes"] > 1000 for page in weighed.values())
    assert weighed["commune_dashboard"]["who"] == "agent"
    assert weighed["change_propose"]["who"] == "representative"
