"""The registry identifiers (NIU, UES register number, RSC number), labels, type by member
interest and work counts: formats and uniqueness in the model, the form and the API, the
label page, the search, imports (matching and refusals) and the duplicate queue."""

import io

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import translation
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from cooperatives.duplicate_decisions import duplicate_merge
from cooperatives.duplicates import flag_duplicates
from cooperatives.identifiers import normalise_niu, normalise_ues
from cooperatives.imports import import_organisations, template_xlsx
from cooperatives.models import DuplicateFlag, Organisation, OrganisationLabel
from cooperatives.services import change_request_approve, change_request_submit

from ..api_helpers import api_client
from ..factories import OrganisationFactory


def _errors(instance) -> dict:
    with translation.override("en"), pytest.raises(ValidationError) as caught:
        instance.full_clean()
    with translation.override("en"):
        return {k: [str(m) for m in v] for k, v in caught.value.message_dict.items()}

pytestmark = pytest.mark.django_db
NIU = "M051812345678A"


@pytest.mark.parametrize(("text", "stored"), [
    ("M051812345678A", NIU), (" m0518 1234 5678a ", NIU), ("M-0518-1234-5678-A", NIU),
    ("", ""), ("M05181234567A", None), ("0518123456789A", None), ("M051812345678", None),
    ("MM51812345678A", None),
])
def test_a_niu_is_one_letter_twelve_digits_one_letter(text, stored):
    assert normalise_niu(text) == stored


@pytest.mark.parametrize(("text", "stored"), [
    ("ues-07-2023-00012", "UES-07-2023-00012"), ("UES 07/2023", "UES07/2023"),
    ("2023.12", "2023.12"), ("", ""), ("UES", None), ("UES--12", None), ("12", None),
    ("UES-07_12", None), ("A1" * 21, None),
])
def test_a_ues_number_has_groups_of_letters_and_digits(text, stored):
    assert normalise_ues(text) == stored


def test_the_model_stores_the_numbers_in_one_form(org_a):
    org_a.niu, org_a.ues_number = "m 051812345678 a", "ues-01-2024-7"
    org_a.full_clean()
    assert (org_a.niu, org_a.ues_number) == (NIU, "UES-01-2024-7")
    org_a.niu, org_a.ues_number = "", ""
    org_a.full_clean()
    assert (org_a.niu, org_a.ues_number) == (None, "")


def test_the_model_names_each_bad_number_next_to_its_field(org_a):
    org_a.niu, org_a.ues_number, org_a.rsc_number = "123", "UES", "--/--"
    assert _errors(org_a) == {
        "niu": ["Enter the NIU as on the tax card: one letter, 12 digits and one letter, for "
                "example M051812345678A."],
        "ues_number": ["Enter the UES register number: 4 to 40 letters and digits (at least "
                       "one digit), groups separated by -, / or ., for example "
                       "UES-07-2023-00012."],
        "rsc_number": ["This RSC number has no letter or digit."]}


def test_a_niu_and_a_ues_number_belong_to_one_organisation(org_a, org_b):
    Organisation.objects.filter(pk=org_a.pk).update(niu=NIU, ues_number="UES-1")
    org_b.niu, org_b.ues_number = NIU.lower(), "ues-1"
    assert _errors(org_b) == {"niu": ["Another organisation already has this NIU."],
                              "ues_number": ["Another organisation already has this UES "
                                             "register number."]}
    with pytest.raises(IntegrityError), transaction.atomic():
        Organisation.objects.filter(pk=org_b.pk).update(niu=NIU)
    # Empty numbers are not numbers: any number of organisations have none.
    Organisation.objects.filter(pk=org_a.pk).update(niu=None, ues_number="")
    org_b.niu, org_b.ues_number = None, ""
    org_b.full_clean()


def test_worker_and_producer_members_fit_in_the_members(org_a):
    org_a.worker_members, org_a.producer_members = 6, 5  # 11 > 10 members
    assert _errors(org_a) == {"worker_members": [
        "Worker-members and producer-members together cannot exceed total members."]}
    with pytest.raises(IntegrityError), transaction.atomic():
        Organisation.objects.filter(pk=org_a.pk).update(worker_members=6, producer_members=5)
    org_a.producer_members = 4
    org_a.full_clean()


def test_the_edit_form_saves_the_numbers_and_shows_them(org_a, agent_a, client):
    client.force_login(agent_a)
    url = reverse("organisation_edit", args=[org_a.pk])
    form = client.get(url).context["form"]
    data = {name: form[name].value() or "" for name in form.fields}
    data.update(niu="m051812345678a", ues_number="ues-9-2024", member_interest="producer",
                worker_members="0", producer_members="7", filieres=[])
    response = client.post(url, data)
    assert response.status_code == 302, response.context["form"].errors
    org_a.refresh_from_db()
    assert (org_a.niu, org_a.ues_number, org_a.member_interest, org_a.producer_members) == (
        NIU, "UES-9-2024", "producer", 7)
    page = client.get(reverse("organisation_detail", args=[org_a.pk])).content.decode()
    assert NIU in page and "UES-9-2024" in page
    data["producer_members"] = "11"
    response = client.post(url, data)
    assert response.status_code == 200
    assert response.context["form"].errors == {"worker_members": [
        "Les membres travailleurs et les membres producteurs ensemble ne peuvent pas "
        "dépasser le total des membres."]}


def test_a_label_is_recorded_on_its_page_and_listed(org_a, agent_a, client):
    client.force_login(agent_a)
    url = reverse("label_create", args=[org_a.pk])
    data = {"kind": "organic", "certifier": " Ecocert  SA ", "number": "ec 123",
            "valid_from": "2025-01-01", "valid_until": "2027-12-31"}
    assert client.post(url, data).status_code == 302
    label = OrganisationLabel.objects.get()
    assert (label.organisation, label.certifier, label.number) == (org_a, "Ecocert SA", "EC123")
    assert label.history.get().history_user == agent_a
    page = client.get(reverse("organisation_detail", args=[org_a.pk])).content.decode()
    assert "Ecocert SA" in page and "EC123" in page
    # One certificate of a certifier, one holder; an end before the start is refused.
    response = client.post(url, {**data, "valid_until": "2024-01-01"})
    assert response.status_code == 200
    assert OrganisationLabel.objects.count() == 1
    assert set(response.context["form"].errors) == {"number", "valid_until"}


def test_the_search_finds_a_niu_and_a_ues_number(org_a, org_b, agent_a, admin_user):
    Organisation.objects.filter(pk=org_a.pk).update(niu=NIU)
    Organisation.objects.filter(pk=org_b.pk).update(ues_number="UES-07-2023-00012")
    client = api_client(admin_user)
    url = reverse("api-organisation-list")
    assert [o["id"] for o in client.get(url, {"q": "m0518123"}).json()["results"]] == [
        org_a.pk]
    assert [o["id"] for o in client.get(url, {"q": "ues-07-2023"}).json()["results"]] == [
        org_b.pk]


def test_the_list_filters_by_member_interest_and_label(org_a, org_b, admin_user):
    Organisation.objects.filter(pk=org_a.pk).update(member_interest="worker")
    OrganisationLabel.objects.create(organisation=org_b, kind="fair_trade", certifier="FLO")
    client = api_client(admin_user)
    url = reverse("api-organisation-list")
    assert [o["id"] for o in client.get(url, {"member_interest": "worker"}).json()[
        "results"]] == [org_a.pk]
    body = client.get(url, {"label": "fair_trade"}).json()["results"]
    assert [o["id"] for o in body] == [org_b.pk]
    assert body[0]["labels"] == [{"kind": "fair_trade", "name": "", "certifier": "FLO",
                                  "number": "", "valid_from": None, "valid_until": None}]


def test_the_api_refuses_a_bad_niu_with_its_field(org_a, agent_a):
    url = reverse("api-organisation-detail", args=[org_a.pk])
    client = api_client(agent_a)
    response = client.patch(url, {"niu": "123"}, format="json", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["niu"]
    response = client.patch(url, {"niu": NIU.lower(), "member_interest": "worker",
                                  "worker_members": 4}, format="json")
    assert response.status_code == 200
    assert (response.json()["niu"], response.json()["worker_members"]) == (NIU, 4)


# Imports ---------------------------------------------------------------------------------------

HEADER = ["nom", "forme_juridique", "filiere_principale", "membres", "niu", "numero_ues",
          "interet_des_membres", "membres_travailleurs", "membres_producteurs"]


def run(user, commune, rows):
    lines = [";".join(HEADER)] + [";".join(row) for row in rows]
    with translation.override("en"):
        return import_organisations(user=user, commune=commune,
                                    rows=("\r\n".join(lines) + "\r\n").encode(),
                                    file_name="orgs.csv", dry_run=False)


def test_an_import_matches_a_row_by_niu_then_ues_number(org_a, agent_a, commune_a, cassava):
    other = OrganisationFactory(name="Union Alpha", commune=commune_a, primary_filiere=cassava,
                                ues_number="UES-5")
    Organisation.objects.filter(pk=org_a.pk).update(niu=NIU)
    result = run(agent_a, commune_a, [
        ["Coop Manioc Alpha", "", "", "12", NIU.lower(), "", "producteurs", "", "9"],
        ["Union Alpha", "", "", "", "", "ues-5", "travailleurs", "3", ""],
        ["Nouvelle", "scoops", "manioc", "8", "P000000000001Z", "UES-6",
         "multi-parties prenantes", "2", "2"],
    ])
    assert result.errors == []
    assert [(line, pk) for line, pk, _name in result.updated] == [(2, org_a.pk), (3, other.pk)]
    org_a.refresh_from_db()
    other.refresh_from_db()
    assert (org_a.members_total, org_a.member_interest, org_a.producer_members) == (
        12, "producer", 9)
    assert (other.member_interest, other.worker_members) == ("worker", 3)
    new = Organisation.objects.get(name="Nouvelle")
    assert (new.niu, new.ues_number, new.member_interest) == (
        "P000000000001Z", "UES-6", "multi_stakeholder")


def test_an_import_refuses_numbers_held_elsewhere_or_twice_or_malformed(
        org_a, org_b, agent_a, commune_a):
    Organisation.objects.filter(pk=org_b.pk).update(niu=NIU)  # commune B's
    result = run(agent_a, commune_a, [
        ["Autre", "scoops", "manioc", "8", NIU, "", "", "", ""],
        ["Une", "scoops", "manioc", "8", "", "UES-8", "", "", ""],
        ["Deux", "scoops", "manioc", "8", "", "UES-8", "", "", ""],
        ["Trois", "scoops", "manioc", "8", "X1", "UES", "coopérative", "5", "4"],
    ])
    assert [(e.line, e.column, e.message) for e in result.errors] == [
        (2, "niu", "Another organisation already has this NIU. It belongs to an organisation "
                   "of another commune: this row is outside your commune."),
        (4, "numero_ues", "This number is already on line 3."),
        (5, "niu", "Enter the NIU as on the tax card: one letter, 12 digits and one letter, "
                   "for example M051812345678A."),
        (5, "numero_ues", "Enter the UES register number: 4 to 40 letters and digits (at "
                          "least one digit), groups separated by -, / or ., for example "
                          "UES-07-2023-00012."),
        (5, "interet_des_membres", "Unknown type by member interest “coopérative”: use "
                                   "producteurs, travailleurs, consommateurs ou usagers, or "
                                   "multi-parties prenantes."),
        (5, "membres_travailleurs", "Worker-members and producer-members together cannot "
                                    "exceed total members."),
    ]
    assert not result.written
    assert Organisation.objects.count() == 2


def test_equal_ues_numbers_but_for_punctuation_are_possible_duplicates(commune_a, cassava):
    first = OrganisationFactory(name="Soleil", commune=commune_a, primary_filiere=cassava,
                                ues_number="UES-07-12")
    second = OrganisationFactory(name="Lune", commune=commune_a, primary_filiere=cassava,
                                 ues_number="UES/07/12")
    flag_duplicates(commune_a.pk)
    assert list(DuplicateFlag.objects.values_list("org_a", "org_b", "reasons")) == [
        (first.pk, second.pk, ["ues"])]


def test_the_rules_and_the_page_speak_french(org_a, agent_a, client):
    org_a.worker_members = 11
    with translation.override("fr"), pytest.raises(ValidationError) as caught:
        org_a.full_clean()
    with translation.override("fr"):
        assert [str(m) for m in caught.value.message_dict["worker_members"]] == [
            "Les membres travailleurs et les membres producteurs ensemble ne peuvent pas "
            "dépasser le total des membres."]
    client.force_login(agent_a)
    page = client.get(reverse("organisation_detail", args=[org_a.pk]),
                      HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "NIU (numéro de contribuable)" in page and "Aucun label ni certification" in page


def test_a_representative_proposes_the_numbers_and_the_agent_approves(org_a, rep_a, agent_a):
    created = change_request_submit(user=rep_a, organisation=org_a, values={
        "niu": "m 051812345678 a", "member_interest": "producer", "producer_members": 9})
    assert [cr.status for cr in created] == ["pending"]
    assert created[0].changes["niu"] == {"old": None, "new": NIU}  # as the rules store it
    org_a.refresh_from_db()
    assert org_a.niu is None
    change_request_approve(user=agent_a, change_request=created[0])
    org_a.refresh_from_db()
    assert (org_a.niu, org_a.member_interest, org_a.producer_members) == (NIU, "producer", 9)
    with pytest.raises(ValidationError):
        change_request_submit(user=rep_a, organisation=org_a, values={"niu": "123"})


def test_the_xlsx_template_offers_its_lists_on_their_columns(commune_a, cassava):
    workbook = load_workbook(io.BytesIO(template_xlsx()))
    sheet = workbook["organisations"]
    headers = [c.value for c in sheet[1]]
    lists = {str(v.sqref).split(":")[0]: v.formula1 for v in sheet.data_validations.dataValidation}
    at = {name: get_column_letter(headers.index(name) + 1) + "2" for name in (
        "forme_juridique", "filiere_principale", "statut", "interet_des_membres")}
    assert {header: lists[cell].split("!")[0] for header, cell in at.items()} == {
        "forme_juridique": "formes", "filiere_principale": "filieres", "statut": "statuts",
        "interet_des_membres": "interets"}
    assert [[c.value for c in row] for row in workbook["interets"].iter_rows()][1] == [
        "producer", "Coopérative de producteurs"]


def test_a_merge_moves_the_numbers_and_labels_to_the_kept_organisation(org_a, agent_a,
                                                                        commune_a, cassava):
    twin = OrganisationFactory(name="Coop Manioc Alpha", commune=commune_a,
                               primary_filiere=cassava, niu=NIU, ues_number="UES-3",
                               member_interest="producer")
    OrganisationLabel.objects.create(organisation=twin, kind="organic", certifier="Ecocert",
                                     number="E-1")
    flag = DuplicateFlag.objects.create(org_a=org_a, org_b=twin, reasons=["name"])
    kept = duplicate_merge(user=agent_a, flag=flag, keep=org_a)
    twin.refresh_from_db()
    assert (kept.niu, kept.ues_number, kept.member_interest) == (NIU, "UES-3", "producer")
    assert (twin.niu, twin.ues_number, twin.status) == (None, "", "dissolved")
    assert list(OrganisationLabel.objects.values_list("organisation", flat=True)) == [org_a.pk]
