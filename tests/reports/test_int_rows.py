"""`int_rows` reads integer rows exactly: 32-bit packing when every value fits, the same read
in 64-bit values when one does not (PostgreSQL refuses the narrowing; the transaction stays
usable), plain rows on SQLite."""

import pytest
from django.db.models import BigIntegerField, F, Value

from cooperatives.models import Organisation
from reports.cooperation_rows import int_rows

from ..factories import OrganisationFactory

pytestmark = pytest.mark.django_db


def _rows(extra: int):
    return (Organisation.objects.order_by("id")
            .annotate(extra=Value(extra, output_field=BigIntegerField()),
                      negative=-F("members_total"))
            .values_list("id", "members_total", "extra", "negative"))


@pytest.mark.parametrize("extra", [7, 2**31 - 1, 2**31, -(2**31) - 1, 2**53 + 3])
def test_it_reads_every_value_exactly(commune_a, cassava, extra):
    orgs = [OrganisationFactory(commune=commune_a, primary_filiere=cassava, members_total=n)
            for n in (12, 40)]
    rows = int_rows(_rows(extra), 4)
    assert rows.tolist() == [[o.pk, o.members_total, extra, -o.members_total] for o in orgs]
    # the transaction is still usable after a refused narrowing
    assert Organisation.objects.count() == 2


def test_no_row_is_an_empty_array():
    rows = int_rows(_rows(1), 4)
    assert rows.shape == (0, 4)


@pytest.mark.parametrize("extra", [-(2**31), 2**31 - 1, -1, 0])
def test_pairs_and_an_odd_column_keep_signs_and_extremes(commune_a, cassava, extra):
    """Two 32-bit values travel as one 64-bit value (high, low): a negative high half, a
    low half at either 32-bit extreme and a last odd column read back unchanged."""
    org = OrganisationFactory(commune=commune_a, primary_filiere=cassava, members_total=9)
    rows = int_rows(_rows(extra).values_list("negative", "extra", "id"), 3)
    assert rows.tolist() == [[-9, extra, org.pk]]
