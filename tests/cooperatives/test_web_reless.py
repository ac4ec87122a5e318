"""The RELESS page: the CTD agent records the network, its bureau and its members; the
commune's representatives read it; the history shows every edit."""

import pytest
from django.urls import reverse

from cooperatives.models import BureauMember, Reless

from ..conftest import english_client
from ..factories import OrganisationFactory

pytestmark = pytest.mark.django_db


def test_it_records_the_reless_its_bureau_and_its_members(agent_a, rep_a, org_a, commune_a):
    agent = english_client(agent_a)
    pcode = commune_a.pcode
    detail = reverse("reless_detail", args=[pcode])
    response = agent.post(reverse("bureau_member_create", args=[pcode]), {})
    assert response["Location"] == reverse("reless_edit", args=[pcode])  # the RELESS first
    assert agent.post(reverse("reless_edit", args=[pcode]), {
        "name": "RELESS d'Alpha", "founded_on": "2021-03-15", "status": "active",
    })["Location"] == detail
    assert agent.post(reverse("bureau_member_create", args=[pcode]), {
        "person_name": "Awa Ndzi", "office": "president", "organisation": org_a.pk,
        "mandate_start": "2021-03-15",
    })["Location"] == detail
    member = BureauMember.objects.get()
    assert agent.post(reverse("bureau_member_edit", args=[member.pk]), {
        "person_name": "Awa Ndzi", "office": "president", "organisation": org_a.pk,
        "mandate_start": "2021-03-15", "mandate_end": "2024-03-14",
    })["Location"] == detail
    assert agent.post(reverse("reless_membership", args=[pcode]), {
        "organisation": org_a.pk, "since": "2021-03-15"})["Location"] == detail

    reless = Reless.objects.get()
    assert (reless.name, reless.status, str(reless.founded_on)) == (
        "RELESS d'Alpha", "active", "2021-03-15")
    member.refresh_from_db()
    assert str(member.mandate_end) == "2024-03-14"
    org_a.refresh_from_db()
    assert str(org_a.reless_member_since) == "2021-03-15"

    response = english_client(rep_a).get(detail)
    html = response.content.decode()
    assert "Awa Ndzi" in html and "Coop Manioc Alpha" in html and "March 15, 2021" in html
    assert reverse("reless_edit", args=[pcode]) not in html  # representatives only read
    history = response.context["history"]
    assert {e.user for e in history} == {agent_a}
    assert any(("Mandate end", "—") == (str(c[0]), c[1]) for e in history for c in e.changes)


def test_it_refuses_a_mandate_that_ends_before_it_starts(agent_a, commune_a):
    reless = Reless.objects.create(commune=commune_a, name="RELESS")
    client = english_client(agent_a)
    response = client.post(reverse("bureau_member_create", args=[commune_a.pcode]), {
        "person_name": "Awa", "office": "treasurer", "mandate_start": "2024-01-01",
        "mandate_end": "2023-01-01"})
    assert response.status_code == 200
    assert "A mandate cannot end before it starts." in str(response.context["form"].errors)
    assert not reless.bureau.exists()


def test_it_offers_only_the_communes_organisations_for_the_bureau(agent_a, commune_a, org_b):
    Reless.objects.create(commune=commune_a, name="RELESS")
    client = english_client(agent_a)
    response = client.post(reverse("bureau_member_create", args=[commune_a.pcode]), {
        "person_name": "Bruno", "office": "member", "organisation": org_b.pk,
        "mandate_start": "2024-01-01"})
    assert "organisation" in response.context["form"].errors
    assert not BureauMember.objects.exists()


def test_it_lists_members_by_joining_date(agent_a, commune_a, cassava):
    for name, since in (("Late", "2024-01-01"), ("Early", "2020-01-01"), ("None", None)):
        OrganisationFactory(name=name, commune=commune_a, primary_filiere=cassava,
                            reless_member_since=since)
    members = english_client(agent_a).get(reverse("reless_detail", args=[commune_a.pcode]))
    assert [o.name for o in members.context["members"]] == ["Early", "Late"]
