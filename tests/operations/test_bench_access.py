"""The benchmark's ACCESS row (operations.bench.access) on the test database: the same code
`manage.py bench --only ACCESS` runs on the national dataset. No timing is asserted."""

from types import SimpleNamespace

import pytest

from accounts import access_log
from operations.bench.access import measure_access
from operations.bench.rows import TARGETS, UNMEASURED

pytestmark = pytest.mark.django_db


def test_it_measures_what_the_access_log_adds_to_a_page(org_a, agent_a):
    lines: list[str] = []
    ctx = SimpleNamespace(rows=[], say=lines.append)
    measure_access(ctx, requests=10, records=100)
    [row] = ctx.rows
    assert (row.id, row.unit, row.target, row.compare) == ("ACCESS", "ms", 2, "<")
    assert row.details["requests"] == 10 and row.details["record_us"] > 0
    assert row.details["path"] == f"/organisations/{org_a.pk}/"
    assert access_log.waiting() == 0  # the measured records are not stored


def test_it_is_a_target_of_the_table():
    assert "ACCESS" in TARGETS and UNMEASURED["ACCESS"][1:] == (2, "ms", "<")
