"""Cooperation links through the pages: a link between two communes counts once both sides
confirm it; either side may refuse or end it; every step is in the link's history."""

import datetime

import pytest
from django.urls import reverse

from cooperatives.models import CooperationLink
from cooperatives.views_registry import awaiting_links

from ..conftest import client_for, english_client
from ..factories import LinkFactory, OrganisationFactory

pytestmark = pytest.mark.django_db


def _propose(user, source, target, kind="joint_sale"):
    url = reverse("link_propose", args=[source.pk]) + f"?commune={target.commune.pcode}"
    return english_client(user).post(url, {"target": target.pk, "kind": kind})


def test_it_offers_the_partner_communes_organisations(agent_a, org_a, org_b):
    response = english_client(agent_a).get(reverse("link_propose", args=[org_a.pk])
                                     + f"?commune={org_b.commune.pcode}")
    html = response.content.decode()
    assert f'<option value="{org_b.pk}">Coop Manioc Bêta</option>' in html
    assert org_b.contact_phone not in html


def test_it_needs_both_communes_to_confirm_a_link_between_them(
        agent_a, agent_b, rep_b, org_a, org_b):
    response = _propose(agent_a, org_a, org_b)
    link = CooperationLink.objects.get()
    assert response["Location"] == reverse("link_detail", args=[link.pk])
    assert (link.status, link.source_confirmed, link.target_confirmed) == (
        "proposed", True, False)
    awaiting_b = english_client(agent_b).get(
        reverse("commune_dashboard", args=[org_b.commune.pcode])).context["awaiting"]
    awaiting_a = english_client(agent_a).get(
        reverse("commune_dashboard", args=[org_a.commune.pcode])).context["awaiting"]
    assert [x.pk for x in awaiting_b] == [link.pk] and awaiting_a == []
    profile = english_client(rep_b).get(reverse("organisation_detail", args=[org_b.pk]))
    assert reverse("link_confirm", args=[link.pk]) in profile.content.decode()

    back = reverse("organisation_detail", args=[org_b.pk])
    response = english_client(rep_b).post(reverse("link_confirm", args=[link.pk]), {"next": back})
    assert response["Location"] == back
    link.refresh_from_db()
    assert link.status == "confirmed" and link.start_date is not None
    history = english_client(agent_a).get(reverse("link_detail", args=[link.pk])).context["history"]
    assert [e.user for e in history] == [rep_b, agent_a]
    assert [(str(f), str(old), new) for f, old, new in history[0].changes] == [
        ("Status", "Proposed", "Confirmed"), ("Confirmed by the partner", "No", "Yes"),
        ("Start date", "—", link.start_date.strftime("%m/%d/%Y"))]


def test_it_confirms_at_once_a_link_proposed_by_the_agent_of_both_sides(agent_a, org_a, cassava):
    other = OrganisationFactory(commune=org_a.commune, primary_filiere=cassava)
    _propose(agent_a, org_a, other)
    assert CooperationLink.objects.get().status == "confirmed"


def test_it_lets_the_agent_confirm_a_representatives_proposal(agent_a, rep_a, org_a, cassava):
    other = OrganisationFactory(commune=org_a.commune, primary_filiere=cassava)
    _propose(rep_a, org_a, other)
    link = CooperationLink.objects.get()
    assert (link.status, link.target_confirmed) == ("proposed", False)
    dashboard = reverse("commune_dashboard", args=[org_a.commune.pcode])
    response = english_client(agent_a).post(reverse("link_confirm", args=[link.pk]),
                                      {"next": dashboard})
    assert response["Location"] == dashboard
    link.refresh_from_db()
    assert link.status == "confirmed"


def test_it_ends_a_refused_proposal_without_it_ever_counting(agent_a, rep_b, org_a, org_b):
    _propose(agent_a, org_a, org_b)
    link = CooperationLink.objects.get()
    english_client(rep_b).post(reverse("link_refuse", args=[link.pk]), {"note": "Pas intéressés"})
    link.refresh_from_db()
    assert (link.status, link.target_confirmed) == ("ended", False)
    assert "Pas intéressés" in link.note
    assert not CooperationLink.objects.counted().exists()


def test_it_lets_either_side_end_a_link(agent_a, agent_b, rep_b, org_a, org_b):
    _propose(agent_a, org_a, org_b)
    link = CooperationLink.objects.get()
    english_client(rep_b).post(reverse("link_confirm", args=[link.pk]))
    english_client(agent_a).post(reverse("link_end", args=[link.pk]))
    link.refresh_from_db()
    assert link.status == "ended" and link.end_date is not None
    response = english_client(agent_b).post(reverse("link_confirm", args=[link.pk]), follow=True)
    assert "This link has ended." in response.content.decode()


def test_it_shows_a_duplicate_link_as_a_form_error(agent_a, org_a, org_b):
    _propose(agent_a, org_a, org_b)
    response = _propose(agent_a, org_b, org_a)  # agent_a cannot speak for org_b
    assert response.status_code == 404
    response = _propose(agent_a, org_a, org_b)
    assert response.status_code == 200
    assert ("These two organisations already have a link of this kind."
            in response.context["form"].non_field_errors())
    assert CooperationLink.objects.count() == 1


def test_it_never_redirects_outside_the_site(agent_a, rep_b, org_a, org_b):
    _propose(agent_a, org_a, org_b)
    link = CooperationLink.objects.get()
    response = english_client(rep_b).post(reverse("link_confirm", args=[link.pk]),
                                    {"next": "https://evil.example/"})
    assert response["Location"] == reverse("link_detail", args=[link.pk])


def test_it_lists_on_the_dashboard_the_proposals_awaiting_the_commune_both_ways(
        agent_a, commune_a, commune_b, commune_c, cassava):
    def org(commune):
        return OrganisationFactory(commune=commune, primary_filiere=cassava)

    def link(source, target, day, *, status="proposed", source_ok=False, target_ok=False):
        return LinkFactory(source=source, target=target, status=status, source_confirmed=source_ok,
                           target_confirmed=target_ok,
                           created_at=datetime.datetime(2025, 1, day, tzinfo=datetime.UTC))

    a, b, c = commune_a, commune_b, commune_c
    to_a = link(org(b), org(a), 3, source_ok=True)  # the partner in A has not confirmed
    from_a = link(org(a), org(b), 1, target_ok=True)  # the proposer in A has not confirmed
    inside_a = link(org(a), org(a), 2)  # both ends in A unconfirmed: listed once
    far = link(org(c), org(a), 5, source_ok=True)
    for_b = link(org(a), org(b), 4, source_ok=True)  # A confirmed, B has not
    link(org(b), org(a), 1, source_ok=True, target_ok=True, status="confirmed")
    link(org(a), org(b), 1, status="ended")
    b_and_c = link(org(b), org(c), 1)  # A is no end of it
    expected = [from_a.pk, inside_a.pk, to_a.pk, far.pk]  # oldest first

    awaiting = client_for(agent_a).get(
        reverse("commune_dashboard", args=[a.pcode])).context["awaiting"]
    assert [x.pk for x in awaiting] == expected
    assert [x.can_confirm for x in awaiting] == [True] * 4
    assert [x.pk for x in awaiting_links(a, limit=2)] == expected[:2]
    assert [x.pk for x in awaiting_links(b)] == [b_and_c.pk, for_b.pk]
    assert [x.pk for x in awaiting_links(c)] == [b_and_c.pk]
