"""Per-field conflict detection and its resolution page: different fields merge and say so;
the same field changed on both sides waits for the agent's choice; nothing is lost."""

import pytest
from django.urls import reverse
from django.utils import translation

from cooperatives import services
from cooperatives.models import ChangeRequest, Organisation
from offline.models import SyncChange
from offline.sync import sync_apply

from ..conftest import client_for
from .helpers import edit, proposal

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _org_a_as_saved(org_a, admin_user):
    """org_a as the rules store it (the factory writes the phone as typed)."""
    _meanwhile(admin_user, org_a)


def _meanwhile(user, organisation, **fields):
    """Another agent saves the organisation through the service (its version moves)."""
    organisation = Organisation.objects.get(pk=organisation.pk)
    services.organisation_update(user=user, organisation=organisation, **fields)


def test_same_values_in_another_spelling_are_not_a_change(agent_a, admin_user, org_a):
    change = edit(org_a, members_total="010", locality="Obala")
    _meanwhile(admin_user, org_a, members_total=11)
    result = sync_apply(user=agent_a, item=change)
    org_a.refresh_from_db()
    assert (result["status"], org_a.members_total, org_a.locality) == ("merged", 11, "Obala")


def test_different_fields_merge_and_say_so(agent_a, admin_user, org_a):
    change = edit(org_a, locality="Obala")
    _meanwhile(admin_user, org_a, members_total=14, acronym="CMA")
    with translation.override("en"):
        result = sync_apply(user=agent_a, item=change)
    org_a.refresh_from_db()
    assert (result["status"], result["merged_fields"], result["message"]) == (
        "merged", ["Acronym", "Members"],
        "Merged with the changes made meanwhile to: Acronym, Members.")
    assert (org_a.locality, org_a.members_total, org_a.acronym) == ("Obala", 14, "CMA")


def test_the_merge_message_in_french(agent_a, admin_user, org_a):
    change = edit(org_a, locality="Obala")
    _meanwhile(admin_user, org_a, members_total=14)
    with translation.override("fr"):
        result = sync_apply(user=agent_a, item=change)
    assert result["message"] == "Fusionné avec les changements faits entre-temps à : Membres."


def test_the_same_field_on_both_sides_is_a_conflict_and_nothing_is_applied(agent_a,
                                                                          admin_user, org_a):
    change = edit(org_a, name="Coop du Terrain", locality="Obala")
    _meanwhile(admin_user, org_a, name="Coop du Bureau")
    with translation.override("en"):
        result = sync_apply(user=agent_a, item=change)
    org_a.refresh_from_db()
    assert result == {
        "id": change["id"], "status": "conflict", "repeat": False, "object": None,
        "errors": {}, "merged_fields": [],
        "message": "Changed on the server meanwhile: Name. Choose the values to keep.",
        "conflict_url": f"/offline/conflicts/{change['id']}/"}
    assert (org_a.name, org_a.locality) == ("Coop du Bureau", "")
    stored = SyncChange.objects.get(pk=change["id"])
    assert stored.conflicts == {"name": {"base": "Coop Manioc Alpha",
                                         "theirs": "Coop du Bureau",
                                         "mine": "Coop du Terrain"}}
    assert sync_apply(user=agent_a, item=change) == {**result, "repeat": True}


def test_the_same_new_value_on_both_sides_is_no_conflict(agent_a, admin_user, org_a):
    change = edit(org_a, name="Coop Unanime")
    _meanwhile(admin_user, org_a, name="Coop Unanime")
    assert sync_apply(user=agent_a, item=change)["status"] == "applied"


def _conflict(agent_a, admin_user, org_a) -> dict:
    change = edit(org_a, name="Coop du Terrain", members_total="20", locality="Obala")
    _meanwhile(admin_user, org_a, name="Coop du Bureau", members_total=15)
    assert sync_apply(user=agent_a, item=change)["status"] == "conflict"
    return change


def test_the_resolution_page_shows_both_values_and_applies_the_choices(agent_a, admin_user,
                                                                      org_a):
    change = _conflict(agent_a, admin_user, org_a)
    client = client_for(agent_a, language="en")
    url = reverse("offline:conflict", args=[change["id"]])
    page = client.get(url).content.decode()
    assert '<div class="scroll"><table>' in page
    assert "<th scope=\"row\">Name</th><td>Coop Manioc Alpha</td>" in page
    assert 'value="theirs"> Coop du Bureau</label>' in page
    assert 'value="mine" checked> Coop du Terrain</label>' in page
    assert 'value="theirs"> 15</label>' in page and 'value="mine" checked> 20</label>' in page
    response = client.post(url, {"choice-name": "theirs", "choice-members_total": "mine"})
    assert response.status_code == 302
    assert response["Location"] == f"/organisations/{org_a.pk}/"
    org_a.refresh_from_db()
    assert (org_a.name, org_a.members_total, org_a.locality) == ("Coop du Bureau", 20, "Obala")
    stored = SyncChange.objects.get(pk=change["id"])
    assert (stored.status, stored.resolved_by) == ("resolved", agent_a)
    repeat = sync_apply(user=agent_a, item=change)
    assert (repeat["status"], repeat["repeat"]) == ("applied", True)
    followed = client.get(response["Location"]).content.decode()
    assert "The conflict is resolved: The changes are saved." in followed


def test_the_conflict_list_is_scoped(agent_a, agent_b, admin_user, rep_a, org_a):
    change = _conflict(agent_a, admin_user, org_a)
    url = reverse("offline:conflict", args=[change["id"]])
    for user, listed, code in ((agent_a, True, 200), (admin_user, True, 200),
                               (agent_b, False, 404), (rep_a, False, 404)):
        listing = client_for(user).get(reverse("offline:conflicts")).content.decode()
        assert (url in listing, client_for(user).get(url).status_code) == (listed, code)


def test_a_representatives_proposal_conflicts_too(rep_a, agent_a, org_a):
    change = proposal(org_a, members_total="12")
    _meanwhile(agent_a, org_a, members_total=11)
    result = sync_apply(user=rep_a, item=change)
    assert result["status"] == "conflict"
    assert not ChangeRequest.objects.exists()
    response = client_for(rep_a).post(result["conflict_url"], {"choice-members_total": "mine"})
    assert response.status_code == 302
    assert ChangeRequest.objects.get().changes == {"members_total": {"old": 11, "new": 12}}
