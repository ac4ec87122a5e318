"""The benchmark's P10 rows (operations.bench.cold) on the test database: the same code
`manage.py bench --only P10` runs on the national dataset. No timing is asserted."""

from types import SimpleNamespace

import pytest

from cooperatives.models import AggregateDirty, Organisation
from operations.bench.cold import measure_p10
from operations.bench.rows import TARGETS, UNMEASURED

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_cache")]


def test_it_times_the_first_request_after_each_edit_and_puts_the_members_back(org_a, org_b):
    before = dict(Organisation.objects.values_list("pk", "members_total"))
    ctx = SimpleNamespace(rows=[], say=lambda line: None)
    measure_p10(ctx, edits=2)
    national, commune = ctx.rows
    assert (national.id, national.unit, national.target) == ("P10", "ms", 300)
    assert (commune.id, commune.unit, commune.target) == ("P10", "ms", 50)
    assert national.details["edits"] == 2 and set(national.details["p95_ms"]) == {
        "region", "department", "commune"}
    assert dict(Organisation.objects.values_list("pk", "members_total")) == before
    assert set(AggregateDirty.objects.values_list("commune_id", flat=True)) == {
        org_a.commune_id, org_b.commune_id}  # the restoring edits, read by the next request


def test_it_is_a_target_of_the_table():
    assert "P10" in TARGETS and UNMEASURED["P10"][1:] == (300, "ms", "<")
