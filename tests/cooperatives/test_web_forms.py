"""Form validation on the registry pages: each rule's message next to its field, in the
user's language, and the form keeps what was typed."""

import re

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from cooperatives.forms import ChangeProposalForm
from cooperatives.models import ChangeRequest, Organisation
from core.forms import add_service_errors

from ..conftest import client_for
from ..factories import OrganisationFactory

pytestmark = pytest.mark.django_db

RULES = [
    ("women_over_total", "members_women", {"members_total": 10, "members_women": 11},
     "Women members cannot exceed total members.",
     "Les femmes membres ne peuvent pas dépasser le total des membres."),
    ("youth_over_total", "members_youth", {"members_total": 10, "members_youth": 11},
     "Members under 35 cannot exceed total members.",
     "Les membres de moins de 35 ans ne peuvent pas dépasser le total des membres."),
    ("scoops_under_5", "members_total", {"legal_form": "scoops", "members_total": 4},
     "A SCOOPS needs at least 5 members.", "Une SCOOPS compte au moins 5 membres."),
    ("coop_ca_under_15", "members_total", {"legal_form": "coop_ca", "members_total": 14},
     "A COOP-CA needs at least 15 members.", "Une COOP-CA compte au moins 15 membres."),
    ("duplicate_rsc", "rsc_number", {"rsc_number": "CE-RSC-0042"},
     "Another organisation already has this RSC number.",
     "Une autre organisation possède déjà ce numéro RSC."),
]


@pytest.fixture
def taken_rsc(commune_b, cassava):
    return OrganisationFactory(commune=commune_b, primary_filiere=cassava,
                               rsc_number="CE-RSC-0042")


def _payload(cassava, **values) -> dict:
    base = {"name": "Coop Tapée Ici", "acronym": "CTI", "legal_form": "scoops",
            "status": "active", "primary_filiere": cassava.pk, "locality": "Nkolbisson",
            "members_total": 9, "members_women": 0, "members_youth": 0, "employees": 2,
            "share_capital": 150000, "contact_phone": "+237 655 000 999",
            "consent_method": "in_person"}
    return {**base, **values}


def _field_block(html: str, field: str) -> str:
    """The rendered group of one field: its label, its errors and its widget."""
    for block in html.split('<div class="field')[1:]:
        if f'name="{field}"' in block:
            return block
    raise AssertionError(f"no field {field}")


def _assert_error_next_to(response, field, message):
    assert response.status_code == 200
    html = response.content.decode()
    block = _field_block(html, field)
    assert block.startswith(" invalid")
    assert message in block, block[:600]
    assert message in response.context["form"].errors[field]


@pytest.mark.parametrize("lang", ["en", "fr"])
@pytest.mark.parametrize("rule, field, values, message_en, message_fr", RULES,
                         ids=[r[0] for r in RULES])
def test_it_shows_each_rule_next_to_its_field_when_creating(
        agent_a, commune_a, cassava, taken_rsc, lang, rule, field, values, message_en,
        message_fr):
    before = Organisation.objects.count()
    response = client_for(agent_a, lang).post(
        reverse("organisation_create", args=[commune_a.pcode]), _payload(cassava, **values))
    _assert_error_next_to(response, field, message_en if lang == "en" else message_fr)
    assert Organisation.objects.count() == before


@pytest.mark.parametrize("lang", ["en", "fr"])
@pytest.mark.parametrize("rule, field, values, message_en, message_fr", RULES,
                         ids=[r[0] for r in RULES])
def test_it_shows_each_rule_next_to_its_field_when_editing(
        agent_a, org_a, cassava, taken_rsc, lang, rule, field, values, message_en, message_fr):
    response = client_for(agent_a, lang).post(
        reverse("organisation_edit", args=[org_a.pk]), _payload(cassava, **values))
    _assert_error_next_to(response, field, message_en if lang == "en" else message_fr)
    org_a.refresh_from_db()
    assert (org_a.name, org_a.members_total) == ("Coop Manioc Alpha", 10)


@pytest.mark.parametrize("lang", ["en", "fr"])
@pytest.mark.parametrize("rule, field, values, message_en, message_fr", RULES,
                         ids=[r[0] for r in RULES])
def test_it_shows_the_services_errors_next_to_the_field_of_a_proposal(
        rep_a, org_a, cassava, taken_rsc, lang, rule, field, values, message_en, message_fr):
    data = {"contact_name": "Awa", "legal_form": "scoops", "status": "active",
            "filieres": ["manioc"], "members_total": 10, "members_women": 4,
            "members_youth": 3, **values}
    response = client_for(rep_a, lang).post(reverse("change_propose", args=[org_a.pk]), data)
    _assert_error_next_to(response, field, message_en if lang == "en" else message_fr)
    assert ChangeRequest.objects.count() == 0


def test_it_keeps_what_was_typed(agent_a, commune_a, cassava):
    response = client_for(agent_a, "fr").post(
        reverse("organisation_create", args=[commune_a.pcode]),
        _payload(cassava, members_total=4, description="Transformation du manioc en gari"))
    html = response.content.decode()
    for text in ('value="Coop Tapée Ici"', 'value="CTI"', 'value="Nkolbisson"',
                 'value="4"', 'value="150000"', 'value="+237 655 000 999"',
                 "Transformation du manioc en gari"):
        assert text in html
    assert re.search(rf'<option value="{cassava.pk}" selected>', html)
    assert re.search(r'<option value="scoops" selected>', html)


def test_it_registers_a_valid_organisation_with_its_registration_event(
        agent_a, commune_a, cassava, maize):
    response = client_for(agent_a, "en").post(
        reverse("organisation_create", args=[commune_a.pcode]),
        _payload(cassava, rsc_number="CE-RSC-7", rsc_date="2024-02-03", filieres=[maize.pk]))
    organisation = Organisation.objects.get(name="Coop Tapée Ici")
    assert response["Location"] == reverse("organisation_detail", args=[organisation.pk])
    assert organisation.commune == commune_a
    assert set(organisation.filieres.values_list("code", flat=True)) == {"manioc", "mais"}
    event = organisation.events.get()
    assert (event.kind, str(event.date), event.reference) == (
        "registration", "2024-02-03", "CE-RSC-7")
    assert organisation.history.get().history_user == agent_a


def test_it_archives_as_dissolved_with_an_event_and_never_deletes(agent_a, org_a):
    response = client_for(agent_a, "en").post(
        reverse("organisation_archive", args=[org_a.pk]),
        {"status": "dissolved", "on": "2025-06-30", "note": "AG de dissolution"})
    assert response.status_code == 302
    org_a.refresh_from_db()
    assert org_a.status == "dissolved"
    assert org_a.events.get().kind == "dissolution"


def test_it_refuses_to_archive_as_active(agent_a, org_a):
    response = client_for(agent_a, "en").post(
        reverse("organisation_archive", args=[org_a.pk]), {"status": "active"})
    assert response.status_code == 200
    assert "status" in response.context["form"].errors


def test_it_maps_a_service_error_onto_the_form(rep_a, org_a):
    form = ChangeProposalForm({}, organisation=org_a)
    form.is_valid()
    add_service_errors(form, ValidationError({"members_women": ["Trop."],
                                              "parent_union": ["Not in this form."]}),
                       model=Organisation)
    add_service_errors(form, ValidationError("Whole form."))
    assert "Trop." in form.errors["members_women"]
    assert form.non_field_errors() == ["Parent union: Not in this form.", "Whole form."]


def test_it_labels_every_input_of_the_organisation_form(agent_a, commune_a):
    html = client_for(agent_a, "en").get(
        reverse("organisation_create", args=[commune_a.pcode])).content.decode()
    ids = re.findall(r'<(?:input|select|textarea)[^>]*\bid="([^"]+)"', html)
    assert len(ids) > 20
    for input_id in ids:
        assert f'for="{input_id}"' in html, input_id


def test_it_shows_dates_and_numbers_in_the_users_language(agent_a, org_a):
    org_a.share_capital = 1234567
    org_a.rsc_date = "2024-02-03"
    org_a.save()
    french = client_for(agent_a, "fr").get(reverse("organisation_detail", args=[org_a.pk]))
    english = client_for(agent_a, "en").get(reverse("organisation_detail", args=[org_a.pk]))
    assert "3 février 2024" in french.content.decode()
    assert "1\u202f234\u202f567" in french.content.decode()
    assert "Feb. 3, 2024" in english.content.decode()
    assert "1,234,567" in english.content.decode()
