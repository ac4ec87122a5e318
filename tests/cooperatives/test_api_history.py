"""Audit history through the API: organisations, cooperation links and change requests show
the records their pages show, to the same readers, without personal data for analysts and
reviewers."""

import pytest
from django.utils import timezone

from cooperatives import services
from cooperatives.models import ChangeRequest

from ..api_helpers import api_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def edited_org_a(org_a, agent_a):
    """org_a with one edit by agent_a: a new phone number and a new member count."""
    services.organisation_update(user=agent_a, organisation=org_a,
                                 contact_phone="+237 655 123 456", members_total=30)
    return org_a


def history(user, path: str):
    response = api_client(user).get(path, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200, response.content
    return response.json()


def test_it_shows_an_organisation_edit_with_its_author_and_contacts_to_the_commune(
        edited_org_a, agent_a):
    rows = history(agent_a, f"/api/v1/organisations/{edited_org_a.pk}/history/")
    assert [(r["action"], r["kind"], r["user"]) for r in rows] == [
        ("changed", "Changed", "agent_a"), ("created", "Created", None)]
    assert {f["field"]: (f["old"], f["new"]) for f in rows[0]["fields"]} == {
        "Members": ("10", "30"), "Contact phone": ("+237 699 000 111", "+237655123456")}


# The reviewers of org_a's department and region read its history as analysts do.
@pytest.mark.parametrize("who", ["analyst", "dept_reviewer", "region_reviewer"])
def test_it_hides_contacts_and_authors_from_analysts(request, edited_org_a, who):
    response = api_client(request.getfixturevalue(who)).get(
        f"/api/v1/organisations/{edited_org_a.pk}/history/", HTTP_ACCEPT_LANGUAGE="en")
    rows = response.json()
    assert [(r["action"], r["user"]) for r in rows] == [("changed", None), ("created", None)]
    assert [f["field"] for f in rows[0]["fields"]] == ["Members"]
    body = response.content.decode()
    assert "699 000 111" not in body and "655123456" not in body and "agent_a" not in body


@pytest.mark.parametrize("who", ["agent_b", "rep_b", "far_reviewer"])
def test_it_answers_404_for_an_organisation_out_of_scope(request, edited_org_a, who):
    response = api_client(request.getfixturevalue(who)).get(
        f"/api/v1/organisations/{edited_org_a.pk}/history/")
    assert response.status_code == 404
    assert set(response.json()) == {"detail"}


def test_it_shows_a_link_to_both_sides_only(org_a, org_b, agent_a, rep_b, analyst):
    link = services.link_propose(user=agent_a, source=org_a, target=org_b, kind="joint_sale")
    services.link_confirm(user=rep_b, link=link)
    rows = history(rep_b, f"/api/v1/links/{link.pk}/history/")
    assert [(r["action"], r["user"]) for r in rows] == [("changed", "rep_b"),
                                                        ("created", "agent_a")]
    assert {f["field"]: (f["old"], f["new"]) for f in rows[0]["fields"]} == {
        "Status": ("Proposed", "Confirmed"), "Confirmed by the partner": ("No", "Yes"),
        "Start date": ("—", timezone.localdate().isoformat())}
    assert api_client(analyst).get(f"/api/v1/links/{link.pk}/history/").status_code == 404
    assert api_client(analyst).get("/api/v1/links/abc/history/").status_code == 404


def test_it_shows_a_change_request_to_its_organisations_people(org_a, rep_a, agent_a,
                                                                 agent_b, analyst):
    change_request = ChangeRequest.objects.create(
        organisation=org_a, requested_by=rep_a, changes={"members_total": {"old": 10,
                                                                           "new": 12}})
    services.change_request_reject(user=agent_a, change_request=change_request,
                                   reason="Pas de justificatif.")
    path = f"/api/v1/change-requests/{change_request.pk}/history/"
    rows = history(rep_a, path)
    assert [(r["action"], r["user"]) for r in rows] == [("changed", "agent_a"),
                                                        ("created", None)]
    fields = {f["field"]: (f["old"], f["new"]) for f in rows[0]["fields"]}
    assert fields["Status"] == ("Pending", "Rejected")
    assert fields["Reason"] == ("—", "Pas de justificatif.")
    for outsider in (agent_b, analyst):
        assert api_client(outsider).get(path).status_code == 404
