"""The change-request flow through the pages: a representative proposes, contacts apply at
once, reviewed fields wait; the CTD agent approves or rejects; the history records it all."""

import pytest
from django.urls import reverse

from cooperatives.models import ChangeRequest, Organisation

from ..conftest import english_client
from ..factories import OrganisationFactory

pytestmark = pytest.mark.django_db


def _proposal(**values) -> dict:
    base = {"contact_name": "Awa Secret", "contact_phone": "+237 699 000 111",
            "contact_email": "awa.secret@example.org", "legal_form": "scoops",
            "status": "active", "filieres": ["manioc"], "members_total": 10,
            "members_women": 4, "members_youth": 3}
    return {**base, **values}


def _propose(rep, org, **values):
    return english_client(rep).post(reverse("change_propose", args=[org.pk]), _proposal(**values))


def _review(agent, cr, **data):
    return english_client(agent).post(reverse("change_request_review", args=[cr.pk]), data)


def test_it_applies_contacts_at_once_and_holds_reviewed_fields(rep_a, org_a, maize):
    response = _propose(rep_a, org_a, contact_phone="+237 611 111 111", members_total=12,
                        filieres=["manioc", "mais"])
    assert response["Location"] == reverse("organisation_detail", args=[org_a.pk])
    applied, pending = ChangeRequest.objects.order_by("status")
    assert (applied.status, applied.changes) == ("applied", {
        "contact_phone": {"old": "+237 699 000 111", "new": "+237611111111"}})
    assert (pending.status, pending.changes) == ("pending", {
        "members_total": {"old": 10, "new": 12},
        "filieres": {"old": ["manioc"], "new": ["mais", "manioc"]}})
    org_a.refresh_from_db()
    assert (org_a.contact_phone, org_a.members_total) == ("+237611111111", 10)
    assert list(org_a.filieres.values_list("code", flat=True)) == ["manioc"]


def test_it_says_when_nothing_changed(rep_a, org_a):
    response = _propose(rep_a, org_a)
    assert response.status_code == 302
    assert ChangeRequest.objects.count() == 0


def test_it_lists_pending_requests_field_by_field_for_the_agent(agent_a, rep_a, org_a, maize):
    _propose(rep_a, org_a, members_total=12, filieres=["manioc", "mais"])
    html = english_client(agent_a).get(
        reverse("commune_change_requests", args=[org_a.commune.pcode])).content.decode()
    assert "Coop Manioc Alpha" in html
    assert "<th scope=\"row\">Members</th><td>10</td><td>12</td>" in html
    assert "<td>Cassava</td><td>Maize, Cassava</td>" in html


def test_it_applies_an_approved_request_and_records_who_did_what(agent_a, rep_a, org_a, maize):
    _propose(rep_a, org_a, contact_phone="+237 611 111 111", members_total=12,
             filieres=["manioc", "mais"])
    pending = ChangeRequest.objects.get(status="pending")
    response = _review(agent_a, pending, decision="approve", next="list")
    assert response["Location"] == reverse("commune_change_requests",
                                           args=[org_a.commune.pcode])
    pending.refresh_from_db()
    assert (pending.status, pending.reviewer, pending.reason) == ("approved", agent_a, "")
    org_a.refresh_from_db()
    assert org_a.members_total == 12
    assert set(org_a.filieres.values_list("code", flat=True)) == {"manioc", "mais"}
    # Audit: the representative's contact change, then the agent's approval.
    records = list(org_a.history.order_by("history_date", "history_id"))
    assert [r.history_user for r in records] == [None, rep_a, agent_a]
    assert [c.field for c in records[1].diff_against(records[0]).changes] == ["contact_phone"]
    change = records[2].diff_against(records[1], excluded_fields=["filieres"]).changes
    assert [(c.field, c.old, c.new) for c in change] == [("members_total", 10, 12)]
    # The approval's record keeps the filière set the organisation had right after it.
    assert [sorted(r.filieres.values_list("filiere__code", flat=True)) for r in records] == [
        ["manioc"], ["manioc"], ["mais", "manioc"]]
    assert [(r.history_user, r.status) for r in pending.history.order_by("history_id")] == [
        (rep_a, "pending"), (agent_a, "approved")]


def test_it_shows_the_outcome_and_history_to_the_representative(agent_a, rep_a, org_a):
    _propose(rep_a, org_a, members_total=12)
    _review(agent_a, ChangeRequest.objects.get(), decision="approve")
    html = english_client(rep_a).get(
        reverse("organisation_detail", args=[org_a.pk])).content.decode()
    assert '<dd id="members-total">12</dd>' in html
    assert "Approved" in html
    history = html[html.index('id="history-title"'):]
    assert "agent_a" in history
    assert '<th scope="row">Members</th><td>10</td><td>12</td>' in history


def test_it_requires_a_reason_to_reject(agent_a, rep_a, org_a):
    _propose(rep_a, org_a, status="dormant")
    pending = ChangeRequest.objects.get()
    response = _review(agent_a, pending, decision="reject", reason=" ")
    assert response.status_code == 200
    assert "Say why the request is rejected." in response.context["form"].errors["reason"]
    pending.refresh_from_db()
    assert pending.status == "pending"


def test_it_rejects_with_a_reason_the_representative_reads(agent_a, rep_a, org_a):
    _propose(rep_a, org_a, status="dormant")
    pending = ChangeRequest.objects.get()
    response = _review(agent_a, pending, decision="reject",
                       reason="L'AG n'a pas voté la mise en sommeil.")
    assert response["Location"] == reverse("change_request_detail", args=[pending.pk])
    pending.refresh_from_db()
    assert (pending.status, pending.reviewer) == ("rejected", agent_a)
    org_a.refresh_from_db()
    assert org_a.status == "active"
    html = english_client(rep_a).get(
        reverse("organisation_detail", args=[org_a.pk])).content.decode()
    assert "Rejected" in html and "L&#x27;AG n&#x27;a pas voté la mise en sommeil." in html
    detail = english_client(rep_a).get(reverse("change_request_detail", args=[pending.pk]))
    entries = detail.context["history"]
    assert [e.user for e in entries] == [agent_a, rep_a]
    assert ("Status", "Pending", "Rejected") in [
        (str(label), str(old), str(new)) for label, old, new in entries[0].changes]


def test_it_refuses_to_review_twice(agent_a, rep_a, org_a):
    _propose(rep_a, org_a, members_total=12)
    pending = ChangeRequest.objects.get()
    _review(agent_a, pending, decision="approve")
    response = _review(agent_a, pending, decision="reject", reason="Trop tard")
    assert response.status_code == 200
    assert "This request has already been reviewed." in response.context["form"].non_field_errors()
    pending.refresh_from_db()
    assert pending.status == "approved"


def test_it_keeps_a_request_pending_when_it_no_longer_fits_the_rules(
        agent_a, rep_a, org_a, commune_b, cassava):
    _propose(rep_a, org_a, rsc_number="CE-RSC-9")
    OrganisationFactory(commune=commune_b, primary_filiere=cassava, rsc_number="CE-RSC-9")
    pending = ChangeRequest.objects.get()
    response = _review(agent_a, pending, decision="approve")
    assert response.status_code == 200
    assert response.context["form"].errors
    pending.refresh_from_db()
    assert pending.status == "pending"
    assert Organisation.objects.get(pk=org_a.pk).rsc_number is None


def test_it_sends_an_agent_who_opens_the_proposal_form_to_the_edit_form(agent_a, org_a):
    response = english_client(agent_a).get(reverse("change_propose", args=[org_a.pk]))
    assert response["Location"] == reverse("organisation_edit", args=[org_a.pk])
