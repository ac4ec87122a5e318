"""Name search: accents and case aside, over name, acronym, locality and RSC number, ranked;
on PostgreSQL served by the trigram indexes; list pages never load a commune's outline."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from core.search import fold

from ..api_helpers import api_client
from ..conftest import client_for
from ..factories import OrganisationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def banka(commune_a, cassava):
    names = [("Union de Bankassa", "", "Fotouni", ""),
             ("Coopérative des Éleveurs de Banka", "CEB", "Bafang", ""),
             ("GIC Agro", "BANKA", "Bana", ""),
             ("Banka Agro", "", "Kékem", ""),
             ("Coop du Noun", "", "Banka-village", ""),
             ("SCOOPS Cacao", "", "Bafang", "CM-BFG-2024-B-0042"),
             ("100% Manioc", "", "Bafang", "")]
    return {name: OrganisationFactory(commune=commune_a, primary_filiere=cassava, name=name,
                                      acronym=acronym, locality=locality, rsc_number=rsc or None)
            for name, acronym, locality, rsc in names}


def _names(agent, q, **params) -> list[str]:
    response = api_client(agent).get(reverse("api-organisation-list"), {"q": q, **params})
    assert response.status_code == 200, response.content
    return [row["name"] for row in response.json()["results"]]


def test_fold_drops_accents_and_case():
    assert fold("Coopérative des ÉLEVEURS de Kékem") == "cooperative des eleveurs de kekem"


def test_it_ranks_the_exact_name_then_the_start_then_the_rest(banka, agent_a):
    assert _names(agent_a, "BANKA") == [
        "GIC Agro",                            # a field (the acronym) equals the text
        "Banka Agro",                          # the name starts with it
        "Coopérative des Éleveurs de Banka",   # the name holds it
        "Union de Bankassa",
        "Coop du Noun",                        # the locality holds it
    ]


def test_accents_and_case_do_not_matter_either_way(banka, agent_a):
    assert _names(agent_a, "eleveurs") == ["Coopérative des Éleveurs de Banka"]
    assert _names(agent_a, "KEKEM") == ["Banka Agro"]
    assert _names(agent_a, "Kékem") == ["Banka Agro"]


def test_it_finds_an_rsc_number_and_takes_wildcards_literally(banka, agent_a):
    assert _names(agent_a, "b-0042") == ["SCOOPS Cacao"]
    assert _names(agent_a, "100%") == ["100% Manioc"]
    assert _names(agent_a, "%") == ["100% Manioc"]
    assert _names(agent_a, "_") == []


def test_an_explicit_ordering_wins_over_the_rank(banka, agent_a):
    assert _names(agent_a, "banka", ordering="-name") == [
        "Union de Bankassa", "GIC Agro", "Coopérative des Éleveurs de Banka", "Coop du Noun",
        "Banka Agro"]


def test_the_html_list_ranks_the_same_way(banka, agent_a, commune_a):
    response = client_for(agent_a).get(
        reverse("organisation_list", args=[commune_a.pcode]), {"q": "banka"})
    page = response.context["page"]
    assert [o.name for o in page.object_list] == [
        "GIC Agro", "Banka Agro", "Coopérative des Éleveurs de Banka", "Union de Bankassa",
        "Coop du Noun"]
    assert list(response.context["filterset"].form.fields["ordering"].choices)[0] == (
        "", "Meilleures correspondances d'abord")


@pytest.mark.parametrize("url", ["organisation_list_all", "api-organisation-list"])
def test_lists_and_their_filters_never_load_a_commune_outline(banka, admin_user, commune_a,
                                                                url):
    commune_a.boundary = {"type": "Polygon", "coordinates": [[[10, 5], [11, 5], [11, 6],
                                                              [10, 5]]]}
    commune_a.save()
    client = (client_for(admin_user) if url == "organisation_list_all"
              else api_client(admin_user))
    with CaptureQueriesContext(connection) as captured:
        response = client.get(reverse(url), {"q": "banka", "commune": commune_a.pcode})
        assert response.status_code == 200
    assert len(captured) > 0
    assert [q["sql"] for q in captured if "boundary" in q["sql"]] == []


@pytest.mark.skipif(not connection.vendor == "postgresql", reason="trigram indexes: PostgreSQL")
@pytest.mark.parametrize("text", ["banka", "de banka"])
def test_postgresql_serves_the_search_from_the_trigram_indexes(banka, text):
    """The list's condition, whatever the text (a page of the whole registry's search
    comes from the word index: tests/cooperatives/test_search_words.py)."""
    from cooperatives.filters import OrganisationFilterSet
    from cooperatives.models import Organisation

    queryset = OrganisationFilterSet({"q": text}, Organisation.objects.all()).qs
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "cooperatives_organisation_search_trgm" in plan, plan
