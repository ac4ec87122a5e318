"""The contact person's consent: asked with a contact, recorded on paper, in person or online,
withdrawn; without it the contact is hidden everywhere, and the page says why."""

import pytest
from django.urls import reverse

from cooperatives.models import ContactConsent, Organisation

from ..api_helpers import api_client
from ..conftest import client_for
from ..factories import OrganisationFactory

pytestmark = pytest.mark.django_db

MESSAGES = {
    "en": "Say how the contact person consented, or leave the contact empty.",
    "fr": "Dites comment la personne de contact a consenti, ou laissez le contact vide.",
}


def _form(cassava, **values):
    return {"name": "Coop Nouvelle", "legal_form": "association", "status": "active",
            "primary_filiere": cassava.pk, "contact_name": "Léa Mbarga", **values}


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_the_form_asks_how_the_person_consented(agent_a, commune_a, cassava, lang):
    url = reverse("organisation_create", args=[commune_a.pcode])
    refused = client_for(agent_a, lang).post(url, _form(cassava))
    assert refused.context["form"].errors == {"consent_method": [MESSAGES[lang]]}
    paper = client_for(agent_a, lang).post(url, _form(cassava, consent_method="paper"))
    assert list(paper.context["form"].errors) == ["consent_document"]
    assert not Organisation.objects.exists()
    client_for(agent_a, lang).post(url, _form(cassava, consent_method="in_person"))
    organisation = Organisation.objects.get()
    assert (organisation.contact_name, organisation.contact_consent) == ("Léa Mbarga", "given")


def test_an_organisation_without_a_contact_needs_no_consent(agent_a, commune_a, cassava):
    url = reverse("organisation_create", args=[commune_a.pcode])
    client_for(agent_a, "en").post(url, _form(cassava, contact_name=""))
    assert Organisation.objects.get().contact_consent == "missing"
    assert not ContactConsent.objects.exists()


def test_a_contact_without_consent_is_hidden_and_the_page_says_why(agent_a, commune_a,
                                                                   cassava):
    org = OrganisationFactory(commune=commune_a, primary_filiere=cassava,
                              contact_name="Imported Person", contact_phone="+237677000001",
                              contact_consent="missing")
    detail = client_for(agent_a, "en").get(reverse("organisation_detail", args=[org.pk]))
    html = detail.content.decode()
    assert "Imported Person" not in html
    assert "Contact hidden: no consent of its person is recorded." in html
    body = api_client(agent_a).get(f"/api/v1/organisations/{org.pk}/").json()
    assert (body["contact_name"], body["contact_phone"], body["contact_consent"]) == (
        None, None, "missing")
    export = client_for(agent_a, "en").get(
        reverse("quality:export_organisations", args=["csv"]))
    content = b"".join(export).decode()
    assert "Imported Person" not in content and "no consent recorded" in content
    # The edit form keeps the stored contact out of sight and asks for the consent.
    form = client_for(agent_a, "en").get(reverse("organisation_edit", args=[org.pk]))
    assert "contact_name" not in form.context["form"].fields
    assert "consent_method" in form.context["form"].fields


def test_the_agent_records_the_consent_and_the_contact_comes_back(agent_a, commune_a, cassava):
    org = OrganisationFactory(commune=commune_a, primary_filiere=cassava,
                              contact_name="Imported Person", contact_consent="missing")
    url = reverse("organisation_consent", args=[org.pk])
    refused = client_for(agent_a, "en").post(url, {"method": "paper"})
    assert refused.context["form"].errors == {
        "document_reference": ["Say where the signed form is kept at the commune."]}
    client_for(agent_a, "en").post(url, {"method": "paper", "document_reference": "Classeur 3",
                                         "given_on": "2026-01-15"})
    consent = ContactConsent.objects.get()
    assert (str(consent.given_on), consent.document_reference, consent.recorded_by) == (
        "2026-01-15", "Classeur 3", agent_a)
    detail = client_for(agent_a, "en").get(reverse("organisation_detail", args=[org.pk]))
    assert "Imported Person" in detail.content.decode()


def test_a_representative_consents_online_and_withdraws(rep_a, org_a):
    org_a.contact_consent = "missing"
    org_a.save()
    url = reverse("organisation_consent", args=[org_a.pk])
    page = client_for(rep_a, "en").get(url)
    assert [c[0] for c in page.context["form"].fields["method"].choices] == ["online"]
    client_for(rep_a, "en").post(url, {"method": "online"})
    org_a.refresh_from_db()
    assert org_a.contact_consent == "given"
    client_for(rep_a, "en").post(reverse("organisation_consent_withdraw", args=[org_a.pk]))
    org_a.refresh_from_db()
    assert org_a.contact_consent == "withdrawn"
    consent = ContactConsent.objects.get()
    assert (consent.method, consent.withdrawn_by) == ("online", rep_a)
    proposal = client_for(rep_a, "en").get(reverse("change_propose", args=[org_a.pk]))
    assert "contact_name" not in proposal.context["form"].fields
    assert "Contact hidden: its person withdrew their consent." in proposal.content.decode()


def test_the_api_records_the_consent_given_with_a_contact(agent_a, commune_a, cassava):
    response = api_client(agent_a).post("/api/v1/organisations/", {
        "name": "Coop API", "legal_form": "association", "status": "active",
        "commune": commune_a.pcode, "primary_filiere": cassava.code,
        "contact_name": "Léa Mbarga", "consent_method": "in_person"}, format="json")
    assert response.status_code == 201, response.content
    assert (response.json()["contact_name"], response.json()["contact_consent"]) == (
        "Léa Mbarga", "given")
    assert ContactConsent.objects.get().method == "in_person"
    hidden = api_client(agent_a).post("/api/v1/organisations/", {
        "name": "Coop API 2", "legal_form": "association", "status": "active",
        "commune": commune_a.pcode, "primary_filiere": cassava.code,
        "contact_name": "Sans Consentement"}, format="json").json()
    assert (hidden["contact_name"], hidden["contact_consent"]) == (None, "missing")
