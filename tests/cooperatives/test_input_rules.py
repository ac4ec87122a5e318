"""One set of input rules for every path (form, API, import, change request): map points,
phones, member counts, statuses that need a registry event, parent unions and GICs."""

import importlib

import pytest
from django.apps import apps
from django.urls import reverse

from cooperatives import services
from cooperatives.imports import import_organisations
from cooperatives.models import ChangeRequest, Organisation, RegistryEvent
from cooperatives.rules import geometry_contains, normalise_phone

from ..api_helpers import api_client
from ..conftest import client_for
from ..factories import OrganisationFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_cache")]
URL = "/api/v1/organisations/"
SQUARE = {"type": "Polygon", "coordinates": [[[10.9, 3.9], [11.1, 3.9], [11.1, 4.1],
                                              [10.9, 4.1], [10.9, 3.9]]]}

MESSAGES = {
    "latitude": ("The latitude must be within Cameroon, between 1.6 and 13.1 degrees.",
                 "La latitude doit être au Cameroun, entre 1.6 et 13.1 degrés."),
    "longitude": ("The longitude must be within Cameroon, between 8.4 and 16.2 degrees.",
                  "La longitude doit être au Cameroun, entre 8.4 et 16.2 degrés."),
    "phone": ("Enter a Cameroonian phone number of 9 digits, for example 6 77 12 34 56 or "
              "+237 677 12 34 56.",
              "Saisissez un numéro de téléphone camerounais à 9 chiffres, par exemple "
              "6 77 12 34 56 ou +237 677 12 34 56."),
    "dissolved": ("An organisation cannot be registered as dissolved: register it, then "
                  "dissolve it with the archive action, which records the dissolution in the "
                  "registry.",
                  "Une organisation ne peut pas être enregistrée comme dissoute : "
                  "enregistrez-la, puis dissolvez-la avec l'action d'archivage, qui inscrit la "
                  "dissolution au registre."),
    "parent": ("The parent union must be in the same department as the organisation.",
               "L'union de rattachement doit être dans le même département que "
               "l'organisation."),
    "gic": ("The GIC it was converted from must be in the same commune.",
            "Le GIC d'origine doit être dans la même commune."),
    "outside": ("The map point lies outside the boundary of Alpha: check the latitude and "
                "longitude.",
                "Le point sur la carte est en dehors des limites de Alpha : vérifiez la "
                "latitude et la longitude."),
    "members": ("Give the number of members: a SCOOPS (simplified cooperative) needs at "
                "least 5.",
                "Donnez le nombre de membres : une SCOOPS (société coopérative simplifiée) en "
                "compte au moins 5."),
}


def message(key: str, lang: str) -> str:
    return MESSAGES[key][0 if lang == "en" else 1]


@pytest.fixture
def bounded(commune_a):
    commune_a.boundary = SQUARE
    commune_a.save()
    return commune_a


def _body(**values) -> dict:
    return {"name": "Coop Neuve", "legal_form": "association", "status": "active",
            "commune": "CM901001001", "primary_filiere": "manioc",
            "consent_method": "in_person", **values}


def _api_post(user, lang="en", **values):
    return api_client(user).post(URL, _body(**values), format="json",
                                 HTTP_ACCEPT_LANGUAGE=lang)


def _form(cassava, **values) -> dict:
    base = {"name": "Coop Tapée Ici", "legal_form": "association", "status": "active",
            "primary_filiere": cassava.pk, "consent_method": "in_person"}
    return {**base, **values}


# The rules themselves --------------------------------------------------------------------

@pytest.mark.parametrize("typed", ["6 77 12 34 56", "677123456", "+237677123456",
                                   "00237 677 12 34 56", "+237 677-12.34.56", "237677123456"])
def test_it_normalises_every_way_of_writing_a_cameroonian_number(typed):
    assert normalise_phone(typed) == "+237677123456"


@pytest.mark.parametrize("typed", ["abc", "67712345", "6771234567", "+33 6 12 34 56 78",
                                   "577123456", "+237 abc"])
def test_it_refuses_what_is_not_a_cameroonian_number(typed):
    assert normalise_phone(typed) is None


def test_it_keeps_an_empty_phone_empty():
    assert (normalise_phone(""), normalise_phone("  ")) == ("", "")


def test_it_tells_inside_outside_and_holes_of_a_boundary():
    holed = {"type": "MultiPolygon", "coordinates": [
        [SQUARE["coordinates"][0], [[10.95, 3.95], [11.05, 3.95], [11.05, 4.05],
                                    [10.95, 4.05], [10.95, 3.95]]]]}
    assert geometry_contains(SQUARE, 4.0, 11.0) is True
    assert geometry_contains(SQUARE, 4.2, 11.0) is False
    assert geometry_contains(holed, 4.0, 11.0) is False  # in the hole
    assert geometry_contains(holed, 3.92, 10.92) is True
    assert geometry_contains(None, 4.0, 11.0) is None


# Map points ---------------------------------------------------------------------------------

@pytest.mark.parametrize("lang", ["en", "fr"])
def test_the_api_refuses_a_point_outside_cameroon(agent_a, cassava, lang):
    response = _api_post(agent_a, lang, latitude=1000, longitude=-500)
    assert response.status_code == 400
    assert response.json()["errors"] == {"latitude": [message("latitude", lang)],
                                         "longitude": [message("longitude", lang)]}
    assert Organisation.objects.count() == 0


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_the_form_refuses_a_point_outside_cameroon(agent_a, commune_a, cassava, lang):
    response = client_for(agent_a, lang).post(
        reverse("organisation_create", args=[commune_a.pcode]),
        _form(cassava, latitude="95", longitude="200"))
    assert response.status_code == 200
    assert response.context["form"].errors["latitude"] == [message("latitude", lang)]
    assert response.context["form"].errors["longitude"] == [message("longitude", lang)]
    assert Organisation.objects.count() == 0


def test_it_wants_both_coordinates_or_neither(agent_a, cassava):
    response = _api_post(agent_a, latitude=4.0)
    assert response.json()["errors"] == {
        "longitude": ["Give both the latitude and the longitude, or neither."]}


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_the_api_warns_about_a_point_outside_the_commune(agent_a, cassava, bounded, lang):
    outside = _api_post(agent_a, lang, latitude=5.0, longitude=11.0)
    inside = _api_post(agent_a, lang, name="Coop Dedans", latitude=4.0, longitude=11.0)
    assert (outside.status_code, outside.json()["warnings"]) == (201, [message("outside", lang)])
    assert (inside.status_code, inside.json()["warnings"]) == (201, [])
    assert Organisation.objects.get(name="Coop Neuve").latitude == 5.0


def test_the_api_answers_no_warning_without_a_boundary(agent_a, cassava, commune_a):
    response = _api_post(agent_a, latitude=5.0, longitude=11.0)
    assert (response.status_code, response.json()["warnings"]) == (201, [])


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_the_page_warns_about_a_point_outside_the_commune_after_saving(
        agent_a, org_a, cassava, bounded, lang):
    response = client_for(agent_a, lang).post(
        reverse("organisation_edit", args=[org_a.pk]),
        _form(cassava, name=org_a.name, legal_form="scoops", members_total=10,
              latitude="5.0", longitude="11.0"), follow=True)
    html = response.content.decode()
    assert f'<li class="warning" role="status">{message("outside", lang)}' in html.replace(
        "&#x27;", "'")
    org_a.refresh_from_db()
    assert (org_a.latitude, org_a.longitude) == (5.0, 11.0)


def test_a_representatives_point_gets_the_same_warning(rep_a, org_a, bounded):
    response = client_for(rep_a, "en").post(reverse("change_propose", args=[org_a.pk]), {
        "contact_name": "Awa", "legal_form": "scoops", "status": "active",
        "filieres": ["manioc"], "members_total": 10, "members_women": 4, "members_youth": 3,
        "latitude": "5.0", "longitude": "11.0"}, follow=True)
    assert message("outside", "en") in response.content.decode()


# Phones --------------------------------------------------------------------------------------

@pytest.mark.parametrize("lang", ["en", "fr"])
def test_the_api_refuses_a_phone_that_is_not_a_number(agent_a, cassava, lang):
    response = _api_post(agent_a, lang, contact_phone="abc")
    assert (response.status_code, response.json()["errors"]) == (
        400, {"contact_phone": [message("phone", lang)]})


def test_the_api_stores_the_phone_as_plus_237_and_9_digits(agent_a, cassava):
    response = _api_post(agent_a, contact_phone="00237 677 12 34 56")
    assert response.json()["contact_phone"] == "+237677123456"


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_the_form_refuses_a_phone_and_normalises_another(agent_a, commune_a, cassava, lang):
    url = reverse("organisation_create", args=[commune_a.pcode])
    refused = client_for(agent_a, lang).post(url, _form(cassava, contact_phone="abc"))
    assert refused.context["form"].errors["contact_phone"] == [message("phone", lang)]
    client_for(agent_a, lang).post(url, _form(cassava, contact_phone="6 77 12 34 56"))
    assert Organisation.objects.get().contact_phone == "+237677123456"


def test_a_representatives_phone_is_normalised_in_the_request_too(rep_a, org_a):
    client_for(rep_a, "en").post(reverse("change_propose", args=[org_a.pk]), {
        "contact_name": "Awa Secret", "contact_phone": "6 11 11 11 11", "legal_form": "scoops",
        "status": "active", "filieres": ["manioc"], "members_total": 10, "members_women": 4,
        "members_youth": 3, "contact_email": "awa.secret@example.org"})
    applied = ChangeRequest.objects.get()
    assert applied.changes == {"contact_phone": {"old": "+237 699 000 111",
                                                 "new": "+237611111111"}}


def test_the_migration_normalises_readable_phones_and_leaves_the_others(org_a, org_b,
                                                                        commune_a, cassava):
    bad = OrganisationFactory(commune=commune_a, primary_filiere=cassava, contact_phone="abc")
    empty = OrganisationFactory(commune=commune_a, primary_filiere=cassava)
    migration = importlib.import_module("cooperatives.migrations.0005_normalise_contact_phones")
    migration.normalise(apps, None)
    phones = dict(Organisation.objects.values_list("pk", "contact_phone"))
    assert [phones[o.pk] for o in (org_a, org_b, bad, empty)] == [
        "+237699000111", "+237677222333", "abc", ""]


# Member counts -------------------------------------------------------------------------------

def test_the_form_starts_member_counts_empty(agent_a, commune_a):
    html = client_for(agent_a, "en").get(
        reverse("organisation_create", args=[commune_a.pcode])).content.decode()
    for name in ("members_total", "members_women", "members_youth", "employees",
                 "share_capital"):
        tag = html.split(f'name="{name}"')[1].split(">")[0]
        assert "value=" not in tag, tag


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_a_scoops_must_give_its_members(agent_a, commune_a, cassava, lang):
    response = client_for(agent_a, lang).post(
        reverse("organisation_create", args=[commune_a.pcode]),
        _form(cassava, legal_form="scoops"))
    assert response.context["form"].errors["members_total"] == [message("members", lang)]
    api = _api_post(agent_a, lang, legal_form="scoops")
    assert (api.status_code, api.json()["errors"]) == (
        400, {"members_total": [message("members", lang)]})
    assert Organisation.objects.count() == 0


def test_empty_counts_of_an_association_are_stored_as_zero(agent_a, commune_a, cassava):
    client_for(agent_a, "en").post(reverse("organisation_create", args=[commune_a.pcode]),
                             _form(cassava))
    response = _api_post(agent_a, name="Autre", members_women=None)
    assert response.status_code == 201
    assert list(Organisation.objects.order_by("name").values_list(
        "members_total", "members_women", "members_youth", "employees", "share_capital")) == [
        (0, 0, 0, 0, 0), (0, 0, 0, 0, 0)]


# Statuses that need a registry event ---------------------------------------------------------

@pytest.mark.parametrize("lang", ["en", "fr"])
def test_the_api_refuses_to_create_a_dissolved_organisation(agent_a, cassava, lang):
    response = _api_post(agent_a, lang, status="dissolved")
    assert (response.status_code, response.json()["errors"]) == (
        400, {"status": [message("dissolved", lang)]})
    assert (Organisation.objects.count(), RegistryEvent.objects.count()) == (0, 0)


def test_the_creation_form_does_not_offer_dissolved(agent_a, commune_a, cassava):
    url = reverse("organisation_create", args=[commune_a.pcode])
    assert [value for value, _label in client_for(agent_a, "en").get(url).context[
        "form"].fields["status"].choices] == ["in_creation", "active"]
    response = client_for(agent_a, "en").post(url, _form(cassava, status="dissolved"))
    assert "status" in response.context["form"].errors
    assert Organisation.objects.count() == 0


def test_approving_a_dissolution_records_the_event(agent_a, rep_a, org_a):
    client_for(rep_a, "en").post(reverse("change_propose", args=[org_a.pk]), {
        "contact_name": "Awa Secret", "contact_phone": "+237 699 000 111",
        "contact_email": "awa.secret@example.org", "legal_form": "scoops",
        "status": "dissolved", "filieres": ["manioc"], "members_total": 10,
        "members_women": 4, "members_youth": 3})
    pending = ChangeRequest.objects.get(status="pending")
    assert pending.changes == {"status": {"old": "active", "new": "dissolved"}}
    services.change_request_approve(user=agent_a, change_request=pending)
    org_a.refresh_from_db()
    assert org_a.status == "dissolved"
    assert list(RegistryEvent.objects.values_list("organisation", "kind")) == [
        (org_a.pk, "dissolution")]


def test_the_api_dissolves_with_one_event_and_a_second_call_adds_none(agent_a, org_a):
    client = api_client(agent_a)
    for _ in range(2):
        assert client.patch(f"{URL}{org_a.pk}/", {"status": "dissolved"},
                            format="json").status_code == 200
    assert list(RegistryEvent.objects.values_list("kind", flat=True)) == ["dissolution"]


def test_the_import_refuses_to_dissolve(agent_a, commune_a, cassava, org_a):
    org_a.rsc_number = "RSC-1"
    org_a.save()
    result = import_organisations(user=agent_a, commune=commune_a, dry_run=False, rows=[
        {"nom": "Coop Manioc Alpha", "numero_rsc": "RSC-1", "forme_juridique": "",
         "filiere_principale": "", "statut": "dissoute"},
        {"nom": "Coop Neuve", "numero_rsc": "", "forme_juridique": "association",
         "filiere_principale": "manioc", "statut": "dissoute"}])
    assert [(e.line, e.column) for e in result.errors] == [(2, "statut"), (3, "statut")]
    assert result.errors[0].message == (  # an import speaks the uploader's language (French)
        "Un import ne dissout pas d'organisation : dissolvez-la avec l'action d'archivage de "
        "sa page, qui inscrit la dissolution au registre.")
    org_a.refresh_from_db()
    assert (org_a.status, Organisation.objects.count()) == ("active", 1)


# Phones in imports ---------------------------------------------------------------------------

def test_the_import_normalises_phones_and_refuses_unreadable_ones(agent_a, commune_a, cassava):
    rows = [{"nom": "Coop Une", "forme_juridique": "association", "filiere_principale": "manioc",
             "contact_telephone": "6 77 12 34 56"},
            {"nom": "Coop Deux", "forme_juridique": "association", "filiere_principale": "manioc",
             "contact_telephone": "abc"}]
    refused = import_organisations(user=agent_a, commune=commune_a, dry_run=False, rows=rows)
    assert [(e.line, e.column, e.message) for e in refused.errors] == [
        (3, "contact_telephone", message("phone", "fr"))]
    assert Organisation.objects.count() == 0
    import_organisations(user=agent_a, commune=commune_a, dry_run=False, rows=rows[:1])
    assert Organisation.objects.get().contact_phone == "+237677123456"


# Parent union and converted-from GIC ---------------------------------------------------------

@pytest.mark.parametrize("lang", ["en", "fr"])
def test_the_api_refuses_a_union_of_another_department(agent_a, commune_c, cassava, lang):
    far_union = OrganisationFactory(commune=commune_c, primary_filiere=cassava,
                                    legal_form="union")
    response = _api_post(agent_a, lang, parent_union=far_union.pk)
    assert (response.status_code, response.json()["errors"]) == (
        400, {"parent_union": [message("parent", lang)]})


def test_a_union_of_the_department_is_accepted(agent_a, commune_b, cassava):
    union = OrganisationFactory(commune=commune_b, primary_filiere=cassava, legal_form="union")
    assert _api_post(agent_a, parent_union=union.pk).status_code == 201


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_the_api_refuses_a_gic_of_another_commune(agent_a, commune_b, cassava, lang):
    gic = OrganisationFactory(commune=commune_b, primary_filiere=cassava, legal_form="gic")
    response = _api_post(agent_a, lang, converted_from_gic=gic.pk)
    assert (response.status_code, response.json()["errors"]) == (
        400, {"converted_from_gic": [message("gic", lang)]})


def test_a_change_of_commune_checks_the_parent_again(agent_a, org_a, commune_a, cassava):
    union = OrganisationFactory(commune=commune_a, primary_filiere=cassava, legal_form="union")
    assert api_client(agent_a).patch(f"{URL}{org_a.pk}/", {"parent_union": union.pk},
                                     format="json").status_code == 200
    far = OrganisationFactory(primary_filiere=cassava, legal_form="union")  # other department
    response = api_client(agent_a).put(f"{URL}{org_a.pk}/", _body(
        name=org_a.name, legal_form="scoops", members_total=10, parent_union=far.pk),
        format="json", HTTP_ACCEPT_LANGUAGE="en")
    assert response.json()["errors"] == {"parent_union": [message("parent", "en")]}
