"""DiagnosticQuerySet.selected_for: the one rule for which diagnostic of a commune counts for
a year (the convergence report reads it)."""

import pytest

from diagnostics.models import TerritorialDiagnostic

from ..factories import DiagnosticFactory

pytestmark = pytest.mark.django_db


def test_it_selects_each_communes_latest_validated_diagnostic_up_to_the_year(
        commune_a, commune_b, commune_c):
    DiagnosticFactory(commune=commune_a, year=2022, status="validated")
    kept_a = DiagnosticFactory(commune=commune_a, year=2024, status="validated")
    DiagnosticFactory(commune=commune_a, year=2025, status="draft")
    DiagnosticFactory(commune=commune_a, year=2026, status="validated")
    kept_b = DiagnosticFactory(commune=commune_b, year=2020, status="validated")
    DiagnosticFactory(commune=commune_c, year=2025, status="draft")
    selected = TerritorialDiagnostic.objects.selected_for(2025)
    assert sorted(selected.values_list("commune__pcode", "year", "id")) == sorted([
        (commune_a.pcode, 2024, kept_a.pk), (commune_b.pcode, 2020, kept_b.pk)])
    assert selected.filter(commune=commune_a).first() == kept_a
    assert selected.filter(commune=commune_c).first() is None
    assert TerritorialDiagnostic.objects.selected_for(2019).count() == 0
