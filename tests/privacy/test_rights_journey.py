"""A person's data from collection to erasure (issue 17's "Done when"): the agent registers an
organisation with its contact person's consent, exports what the registry holds about her,
corrects her phone, records her withdrawal (the contact is hidden on every page, API answer
and export the roles reach), then erases her data: no column of any table holds a value any
more, history included."""

import json

import pytest
from django.urls import reverse

from accounts import access_log
from accounts.models import AccessLog
from cooperatives.models import ChangeRequest, ContactConsent, Organisation
from privacy.models import Erasure, RightsRequest

from ..api_helpers import api_client
from ..conftest import client_for
from .traces import column_count, tables_holding

pytestmark = pytest.mark.django_db

NAME, PHONE, EMAIL = "Marie Tchoupo", "+237691234567", "marie.tchoupo@example.org"
NEW_PHONE = "+237691234568"
VALUES = (NAME, PHONE, NEW_PHONE, EMAIL)


def _register(agent, commune, filiere) -> Organisation:
    response = client_for(agent, "en").post(
        reverse("organisation_create", args=[commune.pcode]),
        {"name": "Coop Tchoupo", "legal_form": "association", "status": "active",
         "primary_filiere": filiere.pk, "contact_name": NAME, "contact_phone": "6 91 23 45 67",
         "contact_email": EMAIL, "consent_method": "paper",
         "consent_document": "Classeur RELESS 2026/14"})
    assert response.status_code == 302, response.context["form"].errors
    return Organisation.objects.get(name="Coop Tchoupo")


def _request(agent, kind: str, query: str) -> RightsRequest:
    client = client_for(agent, "en")
    found = client.get(reverse("privacy:request_new"), {"q": query})
    holdings = found.context["found"]
    assert [h.entry for h in holdings] == ["organisation_contact"]
    response = client.post(reverse("privacy:request_new") + f"?q={query}", {
        "record": [h.key for h in holdings], "kind": kind,
        "subject": "The contact person of Coop Tchoupo"})
    assert response.status_code == 302
    return RightsRequest.objects.latest("pk")


def _act(agent, rights_request, **data):
    response = client_for(agent, "en").post(
        reverse("privacy:request_act", args=[rights_request.pk]), data)
    assert response.status_code == 302
    rights_request.refresh_from_db()
    return rights_request


def _crawl(org, users) -> dict[str, bytes]:
    """Every answer about the organisation its readers can reach."""
    pages = {}
    for who, user in users.items():
        web, api = client_for(user, "en"), api_client(user)
        for url in (reverse("organisation_detail", args=[org.pk]),
                    reverse("organisation_list", args=[org.commune.pcode]),
                    reverse("organisation_list", args=[org.commune.pcode]) + "?format=csv",
                    reverse("quality:export_organisations", args=["csv"]),
                    reverse("change_propose", args=[org.pk]),
                    reverse("organisation_consent", args=[org.pk]),
                    reverse("quality:duplicate_queue", args=[org.commune.pcode]),
                    "/", f"/communes/{org.commune.pcode}/"):
            response = web.get(url)
            if response.status_code == 200:
                pages[f"{who} {url}"] = b"".join(response) if response.streaming \
                    else response.content
        for url in ("/api/v1/organisations/", f"/api/v1/organisations/{org.pk}/",
                    f"/api/v1/organisations/{org.pk}/history/",
                    "/api/v1/organisations/?format=csv"):
            response = api.get(url)
            if response.status_code == 200:
                pages[f"{who} api {url}"] = response.content
    return pages


def test_a_person_consents_is_exported_corrected_withdraws_and_is_erased(
        agent_a, rep_a, admin_user, commune_a, cassava):
    org = _register(agent_a, commune_a, cassava)
    assert (org.contact_phone, org.contact_consent) == (PHONE, "given")
    consent = ContactConsent.objects.get(organisation=org)
    assert (consent.method, consent.document_reference, consent.recorded_by) == (
        "paper", "Classeur RELESS 2026/14", agent_a)
    detail = client_for(agent_a, "en").get(reverse("organisation_detail", args=[org.pk]))
    assert NAME in detail.content.decode()

    access_log.flush()
    viewed = list(AccessLog.objects.filter(object_id=org.pk, model="cooperatives.Organisation")
                  .values_list("user__username", "fields", "channel"))
    assert viewed == [("agent_a", "contact_name,contact_phone,contact_email", "page")]

    # Access: everything held, as JSON and as a page (with who viewed the data).
    access = _request(agent_a, "access", "tchoupo")
    exported = client_for(agent_a, "en").get(
        reverse("privacy:request_export", args=[access.pk]) + "?format=json")
    data = json.loads(exported.content)
    [record] = data["records"]
    assert record["values"] == {"contact_name": NAME, "contact_phone": PHONE,
                                "contact_email": EMAIL}
    assert (record["legal_basis"], [c["method"] for c in record["consents"]]) == (
        "consent", ["Paper form signed and kept at the commune"])
    assert [h["values"]["contact_phone"] for h in record["history"]] == [PHONE]
    assert [(v["by"], v["fields"]) for v in record["viewed"]] == [
        ("agent_a", "contact_name,contact_phone,contact_email")]
    page = client_for(agent_a, "en").get(reverse("privacy:request_export", args=[access.pk]))
    assert EMAIL in page.content.decode()
    assert _act(agent_a, access, action="exported").status == "done"

    # Rectification through the usual form, then the request closed with what was done.
    rectification = _request(agent_a, "rectification", PHONE[-9:])
    edit = client_for(agent_a, "en").get(reverse("organisation_edit", args=[org.pk]))
    form = edit.context["form"]
    post = {name: form[name].value() for name in form.fields if form[name].value() is not None}
    post.update(contact_phone="6 91 23 45 68", filieres=[cassava.pk])
    assert client_for(agent_a, "en").post(
        reverse("organisation_edit", args=[org.pk]), post).status_code == 302
    org.refresh_from_db()
    assert org.contact_phone == NEW_PHONE
    assert _act(agent_a, rectification, action="close",
                text="Phone corrected").status == "done"

    # Withdrawal: hidden on every page, answer and export the roles reach.
    withdrawal = _request(agent_a, "withdrawal", "marie.tchoupo@example.org")
    assert _act(agent_a, withdrawal, action="withdraw").status == "done"
    org.refresh_from_db()
    assert org.contact_consent == "withdrawn"
    assert ContactConsent.objects.get(organisation=org).withdrawn_on is not None
    access_log.flush()
    before = AccessLog.objects.count()
    pages = _crawl(org, {"agent": agent_a, "admin": admin_user, "rep": rep_a})
    access_log.flush()
    assert not AccessLog.objects.filter(pk__gt=0, object_id=org.pk).exclude(
        fields="").filter(fields__contains="contact").exclude(
        at__lt=withdrawal.created_at).exists()  # a hidden contact is never logged as viewed
    assert AccessLog.objects.count() >= before
    assert len(pages) >= 20
    for where, body in pages.items():
        for value in (NAME, NEW_PHONE, EMAIL):
            assert value.encode() not in body, f"{value} shown in {where}"
    detail = client_for(agent_a, "en").get(reverse("organisation_detail", args=[org.pk]))
    assert "Contact hidden: its person withdrew their consent on" in detail.content.decode()
    api = api_client(agent_a).get(f"/api/v1/organisations/{org.pk}/").json()
    assert (api["contact_name"], api["contact_phone"], api["contact_consent"]) == (
        None, None, "withdrawn")

    # Erasure: no value left in any column of any table, history included.
    for value in VALUES:
        assert tables_holding(value), value  # the scan finds what is there
    erasure = _request(agent_a, "erasure", "tchoupo")
    assert _act(agent_a, erasure, action="erase").status == "done"
    assert column_count() > 100
    for value in VALUES:
        assert tables_holding(value) == [], value
    org.refresh_from_db()
    assert (org.contact_name, org.contact_phone, org.contact_email) == ("", "", "")
    done = Erasure.objects.get()
    assert (done.entry, done.fields, done.request) == (
        "organisation_contact", ["contact_name", "contact_phone", "contact_email"], erasure)
    history = list(org.history.order_by("history_date").values_list(
        "contact_name", "contact_phone", "history_user__username"))
    token = f"[erased #{done.pk}]"
    assert history == [(token, token, "agent_a"), (token, token, "agent_a"),
                       ("", "", "agent_a")]
    requests = list(RightsRequest.objects.order_by("pk").values_list("kind", "status"))
    assert requests == [("access", "done"), ("rectification", "done"),
                        ("withdrawal", "done"), ("erasure", "done")]


def test_a_representatives_change_of_contact_is_pseudonymised_in_the_request(
        agent_a, rep_a, org_a):
    client_for(rep_a, "en").post(reverse("change_propose", args=[org_a.pk]), {
        "contact_name": "Awa Secret", "contact_phone": "6 55 55 55 55", "legal_form": "scoops",
        "status": "active", "filieres": ["manioc"], "members_total": 10,
        "members_women": 4, "members_youth": 3})
    assert ChangeRequest.objects.get().changes["contact_phone"]["new"] == "+237655555555"
    erasure = _request_for(agent_a, "awa secret")
    _act(agent_a, erasure, action="erase")
    token = f"[erased #{Erasure.objects.get().pk}]"
    assert ChangeRequest.objects.get().changes["contact_phone"] == {"old": token, "new": token}
    assert tables_holding("+237655555555") == []
    assert tables_holding("Awa Secret") == []


def _request_for(agent, query):
    client = client_for(agent, "en")
    holdings = client.get(reverse("privacy:request_new"), {"q": query}).context["found"]
    client.post(reverse("privacy:request_new") + f"?q={query}", {
        "record": [h.key for h in holdings], "kind": "erasure", "subject": "A contact"})
    return RightsRequest.objects.latest("pk")
