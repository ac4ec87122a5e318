"""The benchmark's HOME rows (operations.bench.home) on the test database: the same code
`manage.py bench` runs on the national dataset, here on a small registry and SQLite, so it
cannot rot between national runs. No timing is asserted."""

from types import SimpleNamespace

import pytest

from operations.bench.home import measure_home
from operations.bench.rows import TARGETS, UNMEASURED

pytestmark = pytest.mark.django_db


def test_it_measures_the_home_page_cold_and_warm(org_a, org_b, commune_c):
    lines: list[str] = []
    ctx = SimpleNamespace(rows=[], say=lines.append)
    measure_home(ctx, warm_requests=20, cold_requests=2)
    warm, cold = ctx.rows
    assert (warm.id, warm.unit, warm.target, warm.compare) == ("HOME", "ms", 10, "<")
    assert (cold.id, cold.unit, cold.target, cold.compare) == ("HOME", "ms", 200, "<")
    assert warm.figure > 0 and cold.figure > 0
    assert warm.details["warm_queries"] == 0  # the test settings' cache is in memory
    assert len(warm.details["cold_ms"]) == 2 and warm.details["warm_requests"] == 20
    assert len(lines) == 2 and lines[0].startswith("  HOME home page (public), cache warm")


def test_it_is_a_target_of_the_table():
    assert "HOME" in TARGETS and UNMEASURED["HOME"][1:] == (10, "ms", "<")
