"""POST /api/v1/sync/: each kind applied through the page's form and service, the form's
messages on invalid values, idempotency by the client's id, scope."""

import datetime
import uuid

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from cooperatives import services
from cooperatives.models import (
    ChangeRequest,
    CooperationLink,
    Organisation,
    RegistryEvent,
    VerificationVisit,
)
from diagnostics.models import DiagnosticEntry
from offline.models import SyncChange
from offline.sync import sync_apply

from ..api_tokens import token_client
from ..conftest import client_for
from ..factories import DiagnosticFactory
from .helpers import edit, item, proposal, sync

pytestmark = pytest.mark.django_db

NEW_ORGANISATION = {"name": "Coop Hors Ligne", "legal_form": "scoops", "status": "active",
                    "members_total": "7", "members_women": "2", "members_youth": "1",
                    "employees": "0", "share_capital": "0"}


def _new(cassava, **extra):
    return {**NEW_ORGANISATION, "primary_filiere": str(cassava.pk), **extra}


def test_it_registers_an_organisation(agent_a, commune_a, cassava, maize):
    change = item("organisation.create", _new(cassava, filieres=[str(maize.pk)]),
                  commune=commune_a.pcode)
    response = sync(client_for(agent_a, language="en"), change)
    assert response.status_code == 200
    organisation = Organisation.objects.get(name="Coop Hors Ligne")
    assert response.json() == {"results": [{
        "id": change["id"], "status": "applied", "repeat": False,
        "object": {"type": "organisation", "id": organisation.pk,
                   "url": f"/organisations/{organisation.pk}/"},
        "errors": {}, "message": "The organisation is registered.", "merged_fields": [],
        "conflict_url": None}]}
    assert (organisation.commune, organisation.members_total) == (commune_a, 7)
    assert sorted(organisation.filieres.values_list("code", flat=True)) == ["mais", "manioc"]
    stored = SyncChange.objects.get(pk=change["id"])
    assert (stored.user, stored.status, stored.commune) == (agent_a, "applied", commune_a)


def test_it_edits_an_organisation_not_changed_since(agent_a, org_a):
    result = sync_apply(user=agent_a, item=edit(org_a, name="Coop Renommée", locality="Obala"))
    org_a.refresh_from_db()
    assert (result["status"], org_a.name, org_a.locality) == ("applied", "Coop Renommée",
                                                              "Obala")


def test_it_records_a_registry_event(agent_a, org_a):
    change = item("registry_event.add", {"kind": "modification", "date": "2024-03-01",
                                         "reference": "RSC/2024/12"}, target=org_a.pk)
    with translation.override("en"):
        result = sync_apply(user=agent_a, item=change)
    event = RegistryEvent.objects.get(organisation=org_a)
    assert (result["status"], result["message"], result["object"]) == (
        "applied", "The registry event is recorded.",
        {"type": "registry_event", "id": event.pk, "url": f"/organisations/{org_a.pk}/"})
    assert (event.date, event.reference) == (datetime.date(2024, 3, 1), "RSC/2024/12")


def test_it_records_a_verification_visit_with_the_phones_point(agent_a, org_a):
    change = item("verification.add", {"visited_on": "2026-03-02", "outcome": "moved",
                                       "new_locality": "Obala", "latitude": "4.16",
                                       "longitude": "11.53"}, target=org_a.pk)
    with translation.override("en"):
        result = sync_apply(user=agent_a, item=change)
    visit = VerificationVisit.objects.get(organisation=org_a)
    assert (result["status"], result["message"], result["object"]) == (
        "applied", "The verification visit is recorded.",
        {"type": "verification", "id": visit.pk,
         "url": f"/organisations/{org_a.pk}/#verifications"})
    assert (visit.outcome, visit.new_locality, visit.latitude, visit.visited_by) == (
        "moved", "Obala", 4.16, agent_a)
    org_a.refresh_from_db()
    assert (org_a.last_verified_on, org_a.last_verification_outcome) == (
        datetime.date(2026, 3, 2), "moved")


def test_it_answers_the_forms_messages_for_a_bad_visit_and_refuses_other_communes(
        agent_a, agent_b, org_a):
    bad = item("verification.add", {"visited_on": "2026-03-02", "outcome": "moved"},
               target=org_a.pk)
    with translation.override("en"):
        result = sync_apply(user=agent_a, item=bad)
    assert (result["status"], result["errors"]) == (
        "invalid", {"new_locality": ["Say where the organisation has moved to."]})
    other = item("verification.add", {"visited_on": "2026-03-02", "outcome": "active"},
                 target=org_a.pk)
    assert sync_apply(user=agent_b, item=other)["status"] == "refused"
    assert not VerificationVisit.objects.exists()


def test_it_adds_a_need_to_the_draft_diagnostic(agent_a, commune_a, livestock):
    draft = DiagnosticFactory(commune=commune_a, year=2026, status="draft")
    change = item("diagnostic_entry.add", {"sector": str(livestock.pk), "level": "village",
                                           "need": "Vaccins", "priority_rank": "1"},
                  target=draft.pk)
    result = sync_apply(user=agent_a, item=change)
    entry = DiagnosticEntry.objects.get(diagnostic=draft)
    assert result["object"] == {"type": "diagnostic_entry", "id": entry.pk,
                                "url": f"/diagnostics/{draft.pk}/#entries"}
    assert (entry.need, entry.priority_rank, entry.sector) == ("Vaccins", 1, livestock)


def test_it_refuses_a_need_for_a_validated_diagnostic_with_the_pages_message(agent_a,
                                                                            commune_a,
                                                                            livestock):
    validated = DiagnosticFactory(commune=commune_a, year=2024)
    change = item("diagnostic_entry.add", {"sector": str(livestock.pk), "level": "village",
                                           "need": "Vaccins", "priority_rank": "1"},
                  target=validated.pk)
    with translation.override("en"):
        result = sync_apply(user=agent_a, item=change)
    assert (result["status"], result["errors"]) == ("invalid", {"__all__": [
        "This diagnostic is validated and can no longer be changed. Start next year's "
        "diagnostic from it instead."]})
    assert not DiagnosticEntry.objects.exists()


def test_it_proposes_a_link_to_another_communes_organisation(agent_a, org_a, org_b,
                                                             commune_b):
    change = item("link.propose", {"target": str(org_b.pk), "kind": "training"},
                  target=org_a.pk, commune=commune_b.pcode)
    with translation.override("en"):
        result = sync_apply(user=agent_a, item=change)
    link = CooperationLink.objects.get()
    assert (result["status"], result["message"], result["object"]["url"]) == (
        "applied", "The link is proposed.", f"/links/{link.pk}/")
    assert (link.source, link.target, link.status) == (org_a, org_b, "proposed")


def test_a_representative_proposes_a_change(rep_a, org_a):
    with translation.override("en"):
        result = sync_apply(user=rep_a, item=proposal(org_a, members_total="12",
                                                      contact_name="Awa Nouvelle"))
    pending = ChangeRequest.objects.get(status=ChangeRequest.Status.PENDING)
    org_a.refresh_from_db()
    assert (result["status"], result["message"]) == (
        "applied", "Contacts, description and map point are updated; the other changes wait "
                   "for the CTD agent's review.")
    assert result["object"]["url"] == f"/change-requests/{pending.pk}/"
    assert pending.changes == {"members_total": {"old": 10, "new": 12}}
    assert org_a.contact_name == "Awa Nouvelle"


@pytest.mark.parametrize(("language", "required"), [
    ("en", "This field is required."), ("fr", "Ce champ est obligatoire.")])
def test_it_answers_the_forms_messages_in_the_users_language(agent_a, commune_a, cassava,
                                                            language, required):
    change = item("organisation.create", _new(cassava, name="", members_total="2",
                                              members_women="0", members_youth="0"),
                  commune=commune_a.pcode)
    body = sync(client_for(agent_a, language=language), change).json()["results"][0]
    assert body["status"] == "invalid"
    assert body["errors"]["name"] == [required]
    assert not Organisation.objects.exists()
    assert SyncChange.objects.get(pk=change["id"]).status == "invalid"


def test_an_invalid_change_is_taken_again_once_corrected(agent_a, commune_a, cassava):
    change = item("organisation.create", _new(cassava, name=""), commune=commune_a.pcode)
    assert sync_apply(user=agent_a, item=change)["status"] == "invalid"
    change["values"]["name"] = "Coop Corrigée"
    assert sync_apply(user=agent_a, item=change)["status"] == "applied"
    assert sync_apply(user=agent_a, item=change)["repeat"] is True
    assert Organisation.objects.filter(name="Coop Corrigée").count() == 1


def test_a_change_sent_twice_applies_once(agent_a, org_a):
    change = item("registry_event.add", {"kind": "modification", "date": "2024-03-01"},
                  target=org_a.pk)
    client = client_for(agent_a, language="en")
    first = sync(client, change).json()["results"][0]
    again = sync(client, change, change).json()["results"]
    assert again == [{**first, "repeat": True}, {**first, "repeat": True}]
    assert RegistryEvent.objects.filter(organisation=org_a).count() == 1


def test_another_users_id_is_refused(agent_a, admin_user, org_a):
    change = item("registry_event.add", {"kind": "modification", "date": "2024-03-01"},
                  target=org_a.pk)
    sync_apply(user=agent_a, item=change)
    with translation.override("en"):
        result = sync_apply(user=admin_user, item=change)
    assert (result["status"], result["message"], result["object"]) == (
        "refused", "This change was already sent from another account.", None)
    assert RegistryEvent.objects.filter(organisation=org_a).count() == 1


def test_out_of_scope_answers_like_missing(agent_a, org_b):
    """org_b exists in commune B; 999999 does not: the two answers are the same."""
    results = []
    for target in (org_b.pk, 999999):
        change = item("registry_event.add", {"kind": "modification", "date": "2024-03-01"},
                      target=target, pk=uuid.UUID(int=target))
        with translation.override("en"):
            results.append({k: v for k, v in sync_apply(user=agent_a, item=change).items()
                            if k != "id"})
    assert results[0] == results[1] == {
        "status": "refused", "repeat": False, "object": None, "errors": {},
        "message": "This record does not exist or is outside your scope: the change was "
                   "not applied.", "merged_fields": [], "conflict_url": None}
    assert not RegistryEvent.objects.exists()


def test_a_representative_may_not_edit_directly(rep_a, org_a):
    assert sync_apply(user=rep_a, item=edit(org_a, name="X"))["status"] == "refused"
    org_a.refresh_from_db()
    assert org_a.name == "Coop Manioc Alpha"


def test_one_refused_item_does_not_undo_the_others(agent_a, org_a, org_b):
    results = sync(client_for(agent_a), edit(org_b, name="X"),
                   edit(org_a, name="Coop Gardée")).json()["results"]
    assert [r["status"] for r in results] == ["refused", "applied"]
    assert Organisation.objects.get(pk=org_a.pk).name == "Coop Gardée"


def test_session_sync_needs_the_csrf_token(agent_a, org_a):
    client = Client(enforce_csrf_checks=True)
    client.force_login(agent_a)
    change = edit(org_a, name="Coop Protégée")
    refused = sync(client, change)
    assert (refused.status_code, Organisation.objects.get(pk=org_a.pk).name) == (
        403, "Coop Manioc Alpha")
    client.get(reverse("offline:workspace"))  # sets the CSRF cookie
    token = client.cookies["csrftoken"].value
    accepted = sync(client, change, HTTP_X_CSRFTOKEN=token)
    assert (accepted.status_code, Organisation.objects.get(pk=org_a.pk).name) == (
        200, "Coop Protégée")


@pytest.mark.parametrize("body", [{}, {"changes": []}, {"changes": "x"},
                                  {"changes": [{"kind": "link.propose", "values": {}}]},
                                  {"changes": [{"id": "nope", "kind": "x", "values": {}}]}])
def test_a_malformed_body_is_refused(agent_a, body):
    response = client_for(agent_a).post(reverse("api-sync"), body,
                                        content_type="application/json")
    assert response.status_code == 400
    assert not SyncChange.objects.exists()


def test_more_than_fifty_changes_are_refused(agent_a, org_a):
    changes = [item("registry_event.add", {}, target=org_a.pk) for _ in range(51)]
    assert sync(client_for(agent_a), *changes).status_code == 400


def test_an_account_without_a_role_is_refused(nobody, org_a):
    assert sync(client_for(nobody), edit(org_a, name="X")).status_code == 403


def test_a_token_client_syncs_without_csrf(agent_a, org_a):
    client = token_client(agent_a)
    response = client.post(reverse("api-sync"), {"changes": [edit(org_a, name="Coop Jeton")]},
                           format="json")
    assert (response.status_code, response.json()["results"][0]["status"]) == (200, "applied")


def test_filieres_in_another_order_are_no_change(agent_a, admin_user, org_a, maize, poultry):
    services.organisation_update(user=admin_user, organisation=org_a, filieres=[maize, poultry])
    change = edit(org_a, locality="Obala")
    change["values"]["filieres"] = list(reversed(change["base"]["filieres"]))
    services.organisation_update(user=admin_user, organisation=Organisation.objects.get(
        pk=org_a.pk), members_total=12)
    with translation.override("en"):
        result = sync_apply(user=agent_a, item=change)
    org_a.refresh_from_db()
    assert (result["status"], result["merged_fields"]) == ("merged", ["Members"])
    assert sorted(org_a.filieres.values_list("code", flat=True)) == [
        "aviculture", "mais", "manioc"]


@pytest.mark.parametrize("target", [10**30, -1, True, "1 ", "x", None, [1], {"a": 1}, 1.5])
@pytest.mark.parametrize("kind", ["registry_event.add", "organisation.update", "link.propose",
                                  "diagnostic_entry.add", "organisation.create"])
def test_a_target_that_is_no_id_is_refused(agent_a, org_a, kind, target):
    """`True` is not organisation 1, nor `[1]`; a P-code is a text."""
    result = sync_apply(user=agent_a, item=item(kind, {}, target=target, commune=target))
    assert result["status"] == "refused"
