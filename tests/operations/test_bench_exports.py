"""The benchmark's EXPORT_CSV, EXPORT_XLSX and OPENDATA rows (operations.bench.exports) on the
test database: the same code `manage.py bench --only EXPORT_CSV,EXPORT_XLSX,OPENDATA` runs on
the national dataset. No timing is asserted."""

from types import SimpleNamespace

import pytest

from accounts import access_log
from operations.bench import exports as bench_exports
from operations.bench import measures
from operations.bench.rows import TARGETS, UNMEASURED

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_it_measures_a_national_export_as_the_admin(org_a, org_b, admin_user, fmt):
    data = bench_exports.measure_export(admin_user.username, fmt)
    assert data["fmt"] == fmt and data["rows"] == 2 and data["bytes"] > 0
    assert data["seconds"] > 0 and data["peak_mb"] > 0
    assert data["access_log_entries"] >= 0 and access_log.waiting() == 0  # not stored


def test_it_adds_the_export_rows_from_the_child_process(admin_user, monkeypatch):
    monkeypatch.setattr(measures, "_json_process", lambda ctx, args, timeout: {
        "fmt": args[-1], "rows": 10, "seconds": 1.5, "count_seconds": 0.1, "us_per_row": 3.0,
        "bytes": 2_000_000, "peak_mb": 90.0, "peak_before_mb": 60.0, "access_log_entries": 0})
    ctx = SimpleNamespace(rows=[], say=lambda line: None, admin=admin_user)
    bench_exports.measure_exports(ctx)
    assert [(r.id, r.unit, r.target, r.compare) for r in ctx.rows] == [
        ("EXPORT_CSV", "s", 10, "<"), ("EXPORT_CSV", "MB", 1024, "<"),
        ("EXPORT_XLSX", "s", 10, "<"), ("EXPORT_XLSX", "MB", 1024, "<")]


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
