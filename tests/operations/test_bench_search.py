"""The benchmark's SEARCH row (operations.bench.search) on the test database: the same code
`manage.py bench --only SEARCH` runs on the national dataset. No timing is asserted."""

from types import SimpleNamespace

import pytest

from operations.bench.rows import TARGETS, UNMEASURED
from operations.bench.search import measure_search, search_terms

from ..factories import OrganisationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def named(commune_a, cassava):
    for name, acronym, locality in [("Coopérative des Éleveurs", "CDE", "Bafang"),
                                    ("Union Manioc", "UMA", "Kékem"),
                                    ("GIC Espoir", "GE", "Banwa")]:
        OrganisationFactory(commune=commune_a, primary_filiere=cassava, name=name,
                            acronym=acronym, locality=locality)


def test_it_searches_words_of_the_dataset_folded_and_in_capitals(named):
    # One row in three takes its word from the name, the acronym (too short here: the
    # name's middle word instead), then the locality.
    assert search_terms(3) == ["ELEVEURS", "MANIOC", "BANWA"]


def test_it_measures_the_p95_of_the_lists_ranked_and_sorted(named):
    ctx = SimpleNamespace(rows=[], say=lambda line: None)
    measure_search(ctx, terms=3, rounds=2)
    [row] = ctx.rows
    assert (row.id, row.unit, row.target, row.compare) == ("SEARCH", "ms", 50, "<")
    assert row.details["terms"] == 3 and row.details["requests"] == 18  # 3 words × 2 × 3
    assert row.figure == max(row.details["api_p95_ms"], row.details["html_p95_ms"],
                             row.details["html_by_name_p95_ms"])
    assert row.details["organisations"] == 3


def test_it_is_a_target_of_the_table():
    assert "SEARCH" in TARGETS and UNMEASURED["SEARCH"][1:] == (50, "ms", "<")
