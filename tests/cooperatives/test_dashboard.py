"""The commune dashboard's figures: exact counts by status, filière and legal form, served from
the commune's cache, refreshed by every write to its organisations, in each language."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cooperatives import services

from ..conftest import client_for
from ..factories import OrganisationFactory

pytestmark = pytest.mark.django_db

AGGREGATE = 'SUM("cooperatives_organisation"."members_total") AS "members"'


@pytest.fixture
def registry(org_a, org_b, commune_a, cassava, maize):
    """Alpha: org_a (active SCOOPS, cassava, 10 members), an active COOP-CA of 20 members in
    cassava and maize, a dormant SCOOPS of 10. Bêta's org_b never counts here."""
    coop_ca = OrganisationFactory(name="Coop CA Alpha", commune=commune_a, legal_form="coop_ca",
                                  primary_filiere=cassava, filieres=[maize], members_total=20)
    OrganisationFactory(name="Dormante", commune=commune_a, primary_filiere=cassava,
                        status="dormant")
    return coop_ca


def _context(user, lang="en"):
    response = client_for(user, lang).get(reverse("commune_dashboard", args=["CM901001001"]))
    assert response.status_code == 200
    return response.context


def _rows(context, key):
    return [(r["group"], r["group_name"], r["organisations"], r["members"])
            for r in context[key]]


def test_it_counts_the_communes_organisations(registry, agent_a):
    context = _context(agent_a)
    assert _rows(context, "by_status") == [("active", "Active", 2, 30),
                                           ("dormant", "Dormant", 1, 10)]
    assert context["total"] == {"organisations": 3, "members": 40, "women": 12, "youth": 9,
                                "employees": 3}
    assert _rows(context, "by_filiere") == [("manioc", "Cassava", 2, 30),
                                            ("mais", "Maize", 1, 20)]
    assert _rows(context, "by_legal_form") == [
        ("scoops", "SCOOPS (simplified cooperative)", 1, 10),
        ("coop_ca", "COOP-CA (cooperative with a board)", 1, 20)]
    assert context["reless_members"] == 0


def test_it_keeps_one_set_of_figures_per_language(registry, agent_a):
    for _ in range(2):  # the second round is read from the cache
        french, english = _context(agent_a, "fr"), _context(agent_a, "en")
        assert _rows(french, "by_filiere") == [("mais", "Maïs", 1, 20),
                                               ("manioc", "Manioc", 2, 30)]
        assert _rows(french, "by_status")[1] == ("dormant", "En sommeil", 1, 10)
        assert _rows(english, "by_filiere") == [("manioc", "Cassava", 2, 30),
                                                ("mais", "Maize", 1, 20)]


def test_it_serves_the_figures_from_the_cache(registry, agent_a):
    _context(agent_a)
    with CaptureQueriesContext(connection) as queries:
        context = _context(agent_a)
    assert not [q for q in queries if AGGREGATE in q["sql"]]
    assert context["total"]["organisations"] == 3


def test_it_counts_an_organisation_registered_after_the_figures_were_cached(
        registry, agent_a, commune_a, cassava):
    _context(agent_a)
    services.organisation_create(user=agent_a, commune=commune_a, name="Coop Nouvelle",
                                 legal_form="scoops", primary_filiere=cassava, members_total=9)
    context = _context(agent_a)
    assert _rows(context, "by_status")[0] == ("active", "Active", 3, 39)
    assert context["total"]["organisations"] == 4
    assert _rows(context, "by_filiere")[0] == ("manioc", "Cassava", 3, 39)


def test_it_follows_edits_of_status_filieres_and_reless_membership(
        registry, agent_a, org_a, maize):
    _context(agent_a)
    services.organisation_update(user=agent_a, organisation=registry, status="dormant")
    services.organisation_update(user=agent_a, organisation=org_a, filieres=[maize])
    services.reless_membership_set(user=agent_a, organisation=org_a,
                                   since=datetime.date(2024, 5, 1))
    context = _context(agent_a)
    assert _rows(context, "by_status") == [("active", "Active", 1, 10),
                                           ("dormant", "Dormant", 2, 30)]
    assert _rows(context, "by_filiere") == [("manioc", "Cassava", 1, 10),
                                            ("mais", "Maize", 1, 10)]
    assert context["reless_members"] == 1


def test_it_forgets_a_deleted_organisation(registry, agent_a):
    _context(agent_a)
    registry.delete()
    context = _context(agent_a)
    assert _rows(context, "by_status") == [("active", "Active", 1, 10),
                                           ("dormant", "Dormant", 1, 10)]
