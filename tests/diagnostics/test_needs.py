"""Needs by sector beside the commune's matching organisations (the first view of unmet
needs), on data built to hit the edges."""

import pytest

from diagnostics.selectors import needs_by_sector

from ..factories import (
    DiagnosticFactory,
    EntryFactory,
    FiliereFactory,
    MinistryFactory,
    OrganisationFactory,
    SectorFactory,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


@pytest.fixture
def health():
    return SectorFactory(code="sante", name_fr="Santé publique",
                         ministry=MinistryFactory(acronym="MINSANTE"))


@pytest.fixture
def crafted(commune_a, commune_b, agriculture, livestock, health, cassava, maize, poultry):
    """Commune A: needs in agriculture (ranks 2, 1), livestock (1) and health (1)."""
    diagnostic = DiagnosticFactory(commune=commune_a, year=2025)
    for sector, rank in ((agriculture, 2), (agriculture, 1), (livestock, 1), (health, 1)):
        EntryFactory(diagnostic=diagnostic, sector=sector, priority_rank=rank,
                     need=f"{sector.code} {rank}")
    orgs = {
        "cassava": OrganisationFactory(name="B Manioc", commune=commune_a,
                                       primary_filiere=cassava),
        # Poultry first, maize as a secondary filière: matches livestock and agriculture.
        "mixed": OrganisationFactory(name="A Mixte", commune=commune_a, primary_filiere=poultry,
                                     filieres=[maize]),
        # Two filières of one sector: listed once.
        "double": OrganisationFactory(name="C Double", commune=commune_a,
                                      primary_filiere=cassava, filieres=[maize]),
        "dormant": OrganisationFactory(name="D Dormante", commune=commune_a,
                                       primary_filiere=cassava, status="dormant"),
        "creating": OrganisationFactory(name="E En création", commune=commune_a,
                                        primary_filiere=poultry, status="in_creation"),
        "elsewhere": OrganisationFactory(name="F Ailleurs", commune=commune_b,
                                         primary_filiere=cassava),
    }
    OrganisationFactory(name="G Hors grille", commune=commune_a,
                        primary_filiere=FiliereFactory(code="miel"))  # a sector with no need
    return diagnostic, orgs


def test_it_puts_the_matching_active_organisations_beside_each_sectors_needs(crafted):
    diagnostic, orgs = crafted
    groups = needs_by_sector(diagnostic)
    assert [(g.sector.code, g.ministry.acronym, [e.priority_rank for e in g.entries],
             [o.id for o in g.organisations], g.unmet) for g in groups] == [
        ("agriculture", "MINADER", [1, 2],
         [orgs["mixed"].pk, orgs["cassava"].pk, orgs["double"].pk], False),
        ("elevage", "MINEPIA", [1], [orgs["mixed"].pk], False),
        ("sante", "MINSANTE", [1], [], True),
    ]
    assert [o.name for o in groups[0].organisations] == ["A Mixte", "B Manioc", "C Double"]


def test_it_takes_a_fixed_number_of_queries(crafted, django_assert_num_queries, commune_a,
                                            cassava, poultry):
    diagnostic, _orgs = crafted
    with django_assert_num_queries(2):
        needs_by_sector(diagnostic)
    for _n in range(20):
        OrganisationFactory(commune=commune_a, primary_filiere=cassava, filieres=[poultry])
    with django_assert_num_queries(2):
        groups = needs_by_sector(diagnostic)
    assert [len(g.organisations) for g in groups] == [23, 21, 0]


def test_it_answers_an_empty_list_for_a_diagnostic_without_needs(commune_a,
                                                                django_assert_num_queries):
    diagnostic = DiagnosticFactory(commune=commune_a)
    with django_assert_num_queries(1):
        assert needs_by_sector(diagnostic) == []


def test_it_shows_the_view_on_the_diagnostic_page(crafted, agent_a):
    from ..conftest import client_for

    diagnostic, _orgs = crafted
    page = client_for(agent_a).get(f"/diagnostics/{diagnostic.pk}/",
                                   HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "A Mixte" in page and "D Dormante" not in page and "F Ailleurs" not in page
    assert page.count("None: unmet need") == 1
