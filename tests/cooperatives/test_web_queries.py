"""The lists cost the same number of queries for 3 rows as for 30."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cooperatives import freshness, services
from cooperatives.models import ChangeRequest, CooperationLink, LinkStatus, Reless

from ..conftest import client_for
from ..factories import OrganisationFactory

pytestmark = pytest.mark.django_db


def _grow(n, commune, filieres, rep, agent, partner):
    """n organisations of the commune, each with a pending change request, an edit in its
    history, and a link proposal from a partner awaiting the commune."""
    for i in range(n):
        org = OrganisationFactory(commune=commune, primary_filiere=filieres[i % 2],
                                  filieres=filieres, rsc_number=f"RSC-{commune.pk}-{i}-{n}")
        services.organisation_update(user=agent, organisation=org, members_total=11 + i % 3)
        ChangeRequest.objects.create(organisation=org, requested_by=rep, changes={
            "members_total": {"old": 11, "new": 20},
            "filieres": {"old": ["manioc"], "new": ["mais", "manioc"]}})
        CooperationLink.objects.create(source=partner, target=org, kind="training",
                                       status=LinkStatus.PROPOSED, source_confirmed=True)


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
        assert response.status_code == 200
        if response.streaming:
            assert len(b"".join(response.streaming_content).splitlines()) > 3
    return len(captured)


@pytest.mark.parametrize("page", ["organisation_list", "commune_dashboard",
                                  "commune_change_requests", "organisation_list_csv"])
def test_it_costs_the_same_queries_for_3_or_30_rows(
        page, agent_a, rep_a, commune_a, org_b, cassava, maize):
    Reless.objects.create(commune=commune_a, name="RELESS Alpha")
    client = client_for(agent_a)
    if page == "organisation_list_csv":
        url = reverse("organisation_list", args=[commune_a.pcode]) + "?format=csv"
    else:
        url = reverse(page, args=[commune_a.pcode]) + ("?per_page=50"
                                                      if page == "organisation_list" else "")

    def cached_then_computed() -> tuple[int, int]:
        client.get(url)  # warm the session and the cached figures
        cached = _queries(client, url)
        freshness.renew_all()
        return cached, _queries(client, url)

    _grow(3, commune_a, [cassava, maize], rep_a, agent_a, org_b)
    few = cached_then_computed()
    _grow(27, commune_a, [cassava, maize], rep_a, agent_a, org_b)
    assert cached_then_computed() == few
    assert few[1] < 25


def test_it_costs_the_same_queries_for_an_organisation_with_3_or_30_links_and_requests(
        agent_a, rep_a, org_a, commune_b, cassava, maize):
    client = client_for(agent_a)
    url = reverse("organisation_detail", args=[org_a.pk])

    def grow(n):
        for i in range(n):
            partner = OrganisationFactory(commune=commune_b, primary_filiere=cassava)
            CooperationLink.objects.create(source=org_a, target=partner, kind="training")
            ChangeRequest.objects.create(organisation=org_a, requested_by=rep_a, changes={
                "filieres": {"old": ["manioc"], "new": ["mais", "manioc"]}})
            services.organisation_update(user=agent_a, organisation=org_a,
                                         members_total=10 + i, primary_filiere=maize)

    grow(3)
    client.get(url)
    few = _queries(client, url)
    grow(17)
    assert _queries(client, url) == few
