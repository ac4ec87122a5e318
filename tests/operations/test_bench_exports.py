"""The benchmark's EXPORT_CSV, EXPORT_XLSX and OPENDATA rows (operations.bench.exports) on the
test database: the same code `manage.py bench --only EXPORT_CSV,EXPORT_XLSX,OPENDATA` runs on
the national dataset. No timing is asserted."""

from types import SimpleNamespace

import pytest

from accounts import access_log
from cooperatives.models import ExportJob
from operations.bench import exports as bench_exports
from operations.bench import measures
from operations.bench.rows import TARGETS, UNMEASURED

pytestmark = pytest.mark.django_db


@pytest.fixture
def through_jobs(settings, tmp_path):
    """Every export above 0 rows is a job (the national one is above the threshold)."""
    settings.EXPORT_SYNC_MAX_ROWS = 0
    settings.EXPORT_DIR = str(tmp_path)


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_it_asks_follows_and_downloads_a_national_export_as_the_admin(
        org_a, org_b, admin_user, through_jobs, monkeypatch, fmt):
    ran = []

    def child(ctx, args, timeout):  # the job's process, run here
        assert args[:3] == ["-m", "operations.bench.exports", "job"]
        ran.append(int(args[3]))
        return bench_exports.run_job(int(args[3]))

    monkeypatch.setattr(measures, "_json_process", child)
    ctx = SimpleNamespace(rows=[], say=lambda line: None, admin=admin_user)
    bench_exports.measure_exports(ctx, formats=[fmt])

    job = ExportJob.objects.get(pk=ran[0])
    assert (job.user, job.fmt, job.status, job.rows_total) == (
        admin_user, fmt, ExportJob.Status.DONE, 2)
    slowest, work, memory = ctx.rows
    target = f"EXPORT_{fmt.upper()}"
    assert [(r.id, r.unit, r.target, r.compare) for r in ctx.rows] == [
        (target, "s", 10, "<"), (target, "s", 120, "<"), (target, "MB", 1024, "<")]
    assert set(slowest.details["requests"]) == {"ask", "progress page", "done page",
                                                "download"}
    # The figure is the slowest request in s (3 decimals); the details keep 4.
    assert abs(slowest.figure - max(slowest.details["requests"].values())) <= 0.0006
    assert work.details["rows"] == 2 and work.details["bytes"] > 0 and memory.figure > 0
    assert access_log.waiting() == 0  # the job's access log is measured, not stored


def test_it_measures_the_open_data_file_served(org_a, org_b):
    ctx = SimpleNamespace(rows=[], say=lambda line: None)
    bench_exports.measure_open_data(ctx, downloads=3)
    [row] = ctx.rows
    assert (row.id, row.unit, row.target, row.compare) == ("OPENDATA", "ms", 1000, "<")
    assert row.details["downloads"] == 3 and row.details["bytes"] > 0


def test_they_are_targets_of_the_table():
    for target, unit, limit in (("EXPORT_CSV", "s", 10), ("EXPORT_XLSX", "s", 10),
                                ("OPENDATA", "ms", 1000)):
        assert target in TARGETS and UNMEASURED[target][1:] == (limit, unit, "<")
