"""/api/v1/organisations/: contract, filters, ordering, CSV, writes through the services,
validation, ETag and query counts."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cooperatives.models import Organisation, OrganisationFiliere, RegistryEvent
from cooperatives.serializers import PERSONAL_FIELDS, PUBLIC_FIELDS

from ..api_helpers import api_client, as_csv, build_registry, csv_rows
from ..factories import OrganisationFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_cache")]
URL = "/api/v1/organisations/"


@pytest.fixture
def registry(org_a, org_b, commune_a, commune_c, maize, cassava, poultry):
    return build_registry(commune_a=commune_a, commune_c=commune_c, maize=maize,
                          cassava=cassava, poultry=poultry)


def names(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [row["name"] for row in response.json()["results"]]


def snapshot() -> tuple:
    """Everything a write could touch."""
    return (list(Organisation.objects.order_by("pk").values()),
            list(OrganisationFiliere.objects.order_by("pk").values()),
            RegistryEvent.objects.count(), Organisation.history.count())


def test_it_gives_the_agent_the_organisation_with_contacts(org_a, agent_a):
    body = api_client(agent_a).get(f"{URL}{org_a.pk}/").json()
    assert list(body) == list(PUBLIC_FIELDS + PERSONAL_FIELDS + ("contact_consent",))
    assert {k: v for k, v in body.items() if k not in ("created_at", "updated_at")} == {
        "id": org_a.pk, "name": "Coop Manioc Alpha", "acronym": "", "legal_form": "scoops",
        "status": "active", "rsc_number": None, "rsc_date": None, "niu": None,
        "ues_number": "", "labels": [], "member_interest": "", "worker_members": 0,
        "producer_members": 0, "commune": "CM901001001", "commune_name": "Alpha",
        "department": "CM901001",
        "region": "CM901", "locality": "", "primary_filiere": "manioc",
        "filieres": ["manioc"], "ministries": ["MINADER"], "members_total": 10,
        "members_women": 4, "members_youth": 3, "employees": 1, "share_capital": 0,
        "reless_member_since": None, "parent_union": None, "converted_from_gic": None,
        "latitude": None, "longitude": None, "last_verified_on": None,
        "last_verification_outcome": "", "verified": False,
        "contact_name": "Awa Secret", "contact_phone": "+237 699 000 111",
        "contact_email": "awa.secret@example.org", "description": "",
        "contact_consent": "given",
    }


def test_it_gives_the_analyst_the_organisation_without_contacts(org_a, analyst):
    body = api_client(analyst).get(f"{URL}{org_a.pk}/").json()
    assert list(body) == list(PUBLIC_FIELDS)


def test_it_lists_the_country_for_an_analyst(registry, analyst):
    response = api_client(analyst).get(URL)
    assert names(response) == ["Coop Céréales Alpha", "Coop Manioc Alpha", "Coop Manioc Bêta",
                               "GIC Poules Alpha", "Union Gamma"]
    assert response.json()["count"] == 5
    assert all(set(row) == set(PUBLIC_FIELDS) for row in response.json()["results"])
    a2 = response.json()["results"][0]
    assert (a2["filieres"], a2["ministries"]) == (["aviculture", "mais", "manioc"],
                                                  ["MINADER", "MINEPIA"])


def test_it_lists_the_commune_for_an_agent(registry, agent_a):
    response = api_client(agent_a).get(URL)
    assert names(response) == ["Coop Céréales Alpha", "Coop Manioc Alpha", "GIC Poules Alpha"]
    assert all(set(row) == set(PUBLIC_FIELDS + PERSONAL_FIELDS + ("contact_consent",))
               for row in response.json()["results"])


def test_it_lists_its_own_organisation_for_a_representative(registry, rep_b):
    assert names(api_client(rep_b).get(URL)) == ["Coop Manioc Bêta"]


def test_it_shows_contacts_only_where_a_mixed_role_may_see_them(registry, analyst, commune_a,
                                                                 org_a, org_b):
    from cooperatives.models import Role

    from ..factories import RoleFactory

    RoleFactory(user=analyst, role=Role.CTD_AGENT, commune=commune_a)
    rows = {row["name"]: row for row in api_client(analyst).get(URL).json()["results"]}
    assert rows["Coop Manioc Alpha"]["contact_name"] == "Awa Secret"
    assert "contact_name" not in rows["Coop Manioc Bêta"]


# Reviewers: their department's or region's organisations, public fields only, read-only ----

ALPHA_BETA = ["Coop Céréales Alpha", "Coop Manioc Alpha", "Coop Manioc Bêta", "GIC Poules Alpha"]


@pytest.fixture
def neighbour(region, maize):
    """An organisation in another department of commune A's region: the regional reviewer's
    territory, not the departmental one's."""
    from ..factories import CommuneFactory, DepartmentFactory

    commune = CommuneFactory(pcode="CM901002001", name_fr="Delta",
                             department=DepartmentFactory(pcode="CM901002", region=region))
    return OrganisationFactory(name="Coop Delta", commune=commune, primary_filiere=maize)


@pytest.mark.parametrize(("who", "expected"), [
    ("dept_reviewer", ALPHA_BETA),
    ("region_reviewer", ["Coop Céréales Alpha", "Coop Delta", *ALPHA_BETA[1:]]),
    ("far_reviewer", ["Union Gamma"]),
])
def test_it_lists_the_territory_without_contacts_for_a_reviewer(request, registry, neighbour,
                                                                who, expected):
    client = api_client(request.getfixturevalue(who))
    response = client.get(URL)
    assert names(response) == expected
    assert all(set(row) == set(PUBLIC_FIELDS) for row in response.json()["results"])
    csv_response = client.get(URL, {"format": "csv"})
    assert csv_response.content.decode().splitlines()[0] == ",".join(PUBLIC_FIELDS)
    assert [row["name"] for row in csv_rows(csv_response)] == expected


@pytest.mark.parametrize(("params", "expected"), [
    ({"commune": "CM901001001"}, ["Coop Céréales Alpha", "Coop Manioc Alpha", "GIC Poules Alpha"]),
    ({"department": "CM901001", "status": "active"}, ["Coop Céréales Alpha", "Coop Manioc Alpha",
                                                      "Coop Manioc Bêta"]),
    ({"ministry": "MINEPIA"}, ["Coop Céréales Alpha", "GIC Poules Alpha"]),
    ({"region": "CM902"}, []),  # outside the territory: filtered to nothing, not widened
    ({"commune": "CM902001001"}, []),
    ({"department": "CM901002"}, []),
])
def test_it_filters_within_the_reviewer_territory(registry, neighbour, dept_reviewer, params,
                                                  expected):
    assert names(api_client(dept_reviewer).get(URL, params)) == expected


def test_it_gives_a_reviewer_its_territory_organisation_without_contacts(
        registry, org_a, dept_reviewer, far_reviewer):
    body = api_client(dept_reviewer).get(f"{URL}{org_a.pk}/").json()
    assert list(body) == list(PUBLIC_FIELDS)
    assert body["name"] == "Coop Manioc Alpha"
    client = api_client(far_reviewer)
    hidden = client.get(f"{URL}{org_a.pk}/")
    missing = client.get(f"{URL}987654/")
    assert hidden.status_code == 404
    assert (hidden.status_code, hidden.json()) == (missing.status_code, missing.json())
    far = registry["c1"]
    assert client.get(f"{URL}{far.pk}/").json()["name"] == "Union Gamma"
    assert api_client(dept_reviewer).get(f"{URL}{far.pk}/").status_code == 404


@pytest.mark.parametrize(("who", "code"), [("dept_reviewer", 403), ("region_reviewer", 403),
                                           ("far_reviewer", 404)])
def test_it_never_lets_a_reviewer_write(request, registry, org_a, who, code):
    """Read-only: 403 on what the reviewer reads, 404 outside its territory, 403 on a
    registration (the body names a public P-code); nothing changes."""
    client = api_client(request.getfixturevalue(who))
    before = snapshot()
    for method, body in (("patch", {"name": "Coop Renommée"}),
                         ("patch", {"status": "dissolved"}),
                         ("put", payload())):
        response = getattr(client, method)(f"{URL}{org_a.pk}/", body, format="json")
        assert response.status_code == code, (method, body, response.content)
    assert client.post(URL, payload(), format="json").status_code == 403
    assert client.delete(f"{URL}{org_a.pk}/").status_code == 405
    assert snapshot() == before


@pytest.mark.parametrize(("params", "expected"), [
    ({"commune": "CM901001001"}, ["Coop Céréales Alpha", "Coop Manioc Alpha", "GIC Poules Alpha"]),
    ({"department": "CM902001"}, ["Union Gamma"]),
    ({"region": "CM901"}, ["Coop Céréales Alpha", "Coop Manioc Alpha", "Coop Manioc Bêta",
                           "GIC Poules Alpha"]),
    ({"filiere": "manioc"}, ["Coop Céréales Alpha", "Coop Manioc Alpha", "Coop Manioc Bêta"]),
    ({"filiere": "aviculture"}, ["Coop Céréales Alpha", "GIC Poules Alpha"]),
    ({"ministry": "MINEPIA"}, ["Coop Céréales Alpha", "GIC Poules Alpha"]),
    ({"ministry": "MINADER", "region": "CM902"}, ["Union Gamma"]),
    ({"legal_form": "gic"}, ["GIC Poules Alpha"]),
    ({"status": "dormant"}, ["GIC Poules Alpha"]),
    ({"q": "manioc"}, ["Coop Manioc Alpha", "Coop Manioc Bêta"]),
    ({"q": "cca"}, ["Coop Céréales Alpha"]),
    ({"q": "ce/2024"}, ["Coop Céréales Alpha"]),
    ({"q": "  "}, ["Coop Céréales Alpha", "Coop Manioc Alpha", "Coop Manioc Bêta",
                   "GIC Poules Alpha", "Union Gamma"]),
    ({"ordering": "-members_total"}, ["Coop Céréales Alpha", "Coop Manioc Alpha",
                                      "Coop Manioc Bêta", "GIC Poules Alpha", "Union Gamma"]),
    ({"ordering": "members_total"}, ["Union Gamma", "GIC Poules Alpha", "Coop Manioc Alpha",
                                     "Coop Manioc Bêta", "Coop Céréales Alpha"]),
    ({"ordering": "-name"}, ["Union Gamma", "GIC Poules Alpha", "Coop Manioc Bêta",
                             "Coop Manioc Alpha", "Coop Céréales Alpha"]),
])
def test_it_filters_and_orders(registry, analyst, params, expected):
    assert names(api_client(analyst).get(URL, params)) == expected


def test_it_orders_by_creation(registry, analyst, org_a, org_b):
    assert names(api_client(analyst).get(URL, {"ordering": "created_at"}))[:2] == [
        "Coop Manioc Alpha", "Coop Manioc Bêta"]


@pytest.mark.parametrize(("params", "field"), [
    ({"commune": "CM999"}, "commune"),
    ({"department": "Alpha"}, "department"),
    ({"region": "CM9"}, "region"),
    ({"filiere": "cafe"}, "filiere"),
    ({"ministry": "MINISTRY"}, "ministry"),
    ({"legal_form": "sarl"}, "legal_form"),
    ({"status": "closed"}, "status"),
    ({"ordering": "contact_name"}, "ordering"),
    ({"format": "pdf"}, "format"),
])
def test_it_answers_400_for_a_bad_filter(registry, analyst, params, field):
    response = api_client(analyst).get(URL, params)
    assert response.status_code == 400
    assert response.json()["detail"].startswith(f"{field}: ")


@pytest.mark.parametrize("pk", ["999999", "abc", "99999999999999999999999"])
def test_it_answers_404_for_an_unknown_id(registry, admin_user, pk):
    for method in ("get", "patch", "put"):
        response = getattr(api_client(admin_user), method)(f"{URL}{pk}/", {}, format="json")
        assert response.status_code == 404, (method, response.content)
        assert response.json()["detail"]


@pytest.mark.parametrize("how", ["param", "accept"])
def test_it_gives_the_same_rows_as_csv(registry, analyst, how):
    client = api_client(analyst)
    json_rows = client.get(URL).json()["results"]
    if how == "param":
        response = client.get(URL, {"format": "csv"})
    else:
        response = client.get(URL, HTTP_ACCEPT="text/csv")
    assert response.content.decode().splitlines()[0] == ",".join(PUBLIC_FIELDS)
    assert csv_rows(response) == as_csv(json_rows)
    assert csv_rows(response)[0]["filieres"] == "aviculture|mais|manioc"


def test_it_gives_the_agent_contact_columns_in_csv(registry, agent_a):
    client = api_client(agent_a)
    json_rows = client.get(URL).json()["results"]
    response = client.get(URL, {"format": "csv"})
    assert csv_rows(response) == as_csv(json_rows)
    assert csv_rows(response)[1]["contact_phone"] == "'+237 699 000 111"  # no formula


def test_it_answers_304_for_an_unchanged_list(registry, analyst):
    client = api_client(analyst)
    etag = client.get(URL)["ETag"]
    assert client.get(URL, HTTP_IF_NONE_MATCH=etag).status_code == 304


def test_it_runs_the_same_queries_for_one_row_or_a_hundred(registry, analyst, agent_a,
                                                           region_reviewer):
    a2 = registry["a2"]
    for _ in range(6):
        OrganisationFactory(commune=a2.commune, primary_filiere=a2.primary_filiere,
                            filieres=list(a2.filieres.all()))
    # The reviewer's territory is joined in the page's query, not fetched first.
    for user in (analyst, agent_a, region_reviewer):
        client = api_client(user)
        client.get(URL)
        counts = []
        for size in (1, 100):
            with CaptureQueriesContext(connection) as queries:
                response = client.get(URL, {"page_size": size, "filiere": "manioc"})
            assert len(response.json()["results"]) == (1 if size == 1 else
                                                       response.json()["count"])
            counts.append(len(queries))
        # filière lookup, count, page, filières and labels of the page (token and roles are
        # cached)
        assert counts == [5, 5]


def payload(**changes) -> dict:
    return {"name": "Coop Cacao Alpha", "legal_form": "scoops", "commune": "CM901001001",
            "primary_filiere": "manioc", "filieres": ["aviculture"], "members_total": 12,
            "members_women": 5, "members_youth": 4, "employees": 2,
            "rsc_number": "RSC/CE/2025/0100", "rsc_date": "2025-03-01",
            "contact_name": "Jeanne Test", "consent_method": "in_person", **changes}


def test_it_registers_an_organisation_through_the_service(registry, agent_a):
    response = api_client(agent_a).post(URL, payload(), format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    organisation = Organisation.objects.get(pk=body["id"])
    assert (body["name"], body["commune"], body["filieres"], body["ministries"]) == (
        "Coop Cacao Alpha", "CM901001001", ["aviculture", "manioc"], ["MINADER", "MINEPIA"])
    assert body["contact_name"] == "Jeanne Test"
    assert organisation.history.get().history_user == agent_a
    event = RegistryEvent.objects.get(organisation=organisation)
    assert (event.kind, str(event.date), event.reference) == (
        "registration", "2025-03-01", "RSC/CE/2025/0100")


def test_it_lets_the_admin_register_anywhere(registry, admin_user):
    response = api_client(admin_user).post(URL, payload(commune="CM902001001"), format="json")
    assert response.status_code == 201


@pytest.mark.parametrize(("changes", "field"), [
    ({"members_women": 13}, "members_women"),
    ({"members_youth": 13}, "members_youth"),
    ({"members_total": 3, "members_women": 1, "members_youth": 1}, "members_total"),
    ({"legal_form": "coop_ca"}, "members_total"),
    ({"rsc_number": "RSC/CE/2024/0002"}, "rsc_number"),
    ({"primary_filiere": "cafe"}, "primary_filiere"),
    ({"filieres": ["cafe"]}, "filieres"),
    ({"commune": "CM999"}, "commune"),
    ({"legal_form": "sarl"}, "legal_form"),
    ({"members_total": -1}, "members_total"),
    ({"name": ""}, "name"),
    ({"parent_union": 999999}, "parent_union"),
])
def test_it_refuses_an_invalid_organisation_and_changes_nothing(registry, agent_a, changes,
                                                                field):
    before = snapshot()
    response = api_client(agent_a).post(URL, payload(**changes), format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()["errors"]
    assert snapshot() == before


def test_it_refuses_a_parent_that_is_not_a_union(registry, agent_a, org_b):
    response = api_client(agent_a).post(URL, payload(parent_union=org_b.pk), format="json")
    assert response.status_code == 400
    assert "parent_union" in response.json()["errors"]


def test_it_never_registers_in_another_commune(registry, agent_a):
    before = snapshot()
    response = api_client(agent_a).post(URL, payload(commune="CM901001002"), format="json")
    # A public P-code outside the agent's communes: 403, as for diagnostics and interventions.
    assert response.status_code == 403
    assert response.json() == {"detail": "Vous ne pouvez ni enregistrer ni transférer "
                                         "d'organisations dans cette commune."}
    assert snapshot() == before


def test_it_changes_some_fields(registry, agent_a, org_a):
    response = api_client(agent_a).patch(f"{URL}{org_a.pk}/", {
        "members_total": 25, "members_women": 10, "filieres": ["mais"]}, format="json")
    assert response.status_code == 200, response.content
    org_a.refresh_from_db()
    assert (org_a.members_total, org_a.members_women) == (25, 10)
    assert sorted(org_a.filieres.values_list("code", flat=True)) == ["mais", "manioc"]
    assert response.json()["filieres"] == ["mais", "manioc"]
    assert org_a.history.first().history_user == agent_a


def test_it_replaces_a_profile(registry, agent_a, org_a):
    response = api_client(agent_a).put(f"{URL}{org_a.pk}/", payload(name="Nouveau nom"),
                                       format="json")
    assert response.status_code == 200, response.content
    org_a.refresh_from_db()
    assert (org_a.name, org_a.members_total, org_a.rsc_number) == (
        "Nouveau nom", 12, "RSC/CE/2025/0100")


def test_it_refuses_an_incomplete_replacement(registry, agent_a, org_a):
    before = snapshot()
    response = api_client(agent_a).put(f"{URL}{org_a.pk}/", {"name": "X"}, format="json")
    assert response.status_code == 400
    assert snapshot() == before


def test_it_archives_through_a_status_change(registry, agent_a, org_a):
    response = api_client(agent_a).patch(f"{URL}{org_a.pk}/", {
        "status": "dissolved", "description": "Dissoute en AG"}, format="json")
    assert response.status_code == 200, response.content
    org_a.refresh_from_db()
    assert (org_a.status, org_a.description) == ("dissolved", "Dissoute en AG")
    assert RegistryEvent.objects.get(organisation=org_a).kind == "dissolution"


def test_it_reactivates_a_dormant_organisation(registry, agent_a):
    a3 = registry["a3"]
    response = api_client(agent_a).patch(f"{URL}{a3.pk}/", {"status": "active"}, format="json")
    assert response.status_code == 200
    a3.refresh_from_db()
    assert a3.status == "active"


def test_it_refuses_an_invalid_change_and_changes_nothing(registry, agent_a, org_a):
    before = snapshot()
    response = api_client(agent_a).patch(f"{URL}{org_a.pk}/", {
        "status": "dissolved", "members_women": 99}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"]["members_women"]
    assert snapshot() == before


def test_it_never_moves_an_organisation_out_of_the_agent_commune(registry, agent_a, org_a):
    before = snapshot()
    response = api_client(agent_a).patch(f"{URL}{org_a.pk}/", {"commune": "CM901001002"},
                                         format="json")
    assert response.status_code == 403
    assert snapshot() == before


def test_it_answers_writes_in_json_only(registry, agent_a):
    """Query parameters play no part in a write: `?format=csv` is ignored, the answer is JSON."""
    response = api_client(agent_a).post(f"{URL}?format=csv", payload(), format="json")
    assert response.status_code == 201
    assert response["Content-Type"] == "application/json"
    assert response.json()["name"] == payload()["name"]


def test_it_never_deletes(registry, admin_user, org_a):
    before = snapshot()
    response = api_client(admin_user).delete(f"{URL}{org_a.pk}/")
    assert response.status_code == 405
    assert snapshot() == before


def test_the_shapes_that_write_organisations_out_are_built_once(registry, agent_a, analyst,
                                                                 org_a):
    """One serializer per shape for the whole process (its fields read no request): the
    same JSON as a serializer built for the request, in full and without personal data."""
    from django.test import RequestFactory

    from cooperatives.api import reading_shape
    from cooperatives.serializers import OrganisationPublicSerializer, OrganisationSerializer

    url = f"/api/v1/organisations/{org_a.pk}/"
    full = api_client(agent_a).get(url).json()
    public = api_client(analyst).get(url).json()
    assert reading_shape(True) is reading_shape(True)
    assert reading_shape(False) is reading_shape(False)
    request = RequestFactory().get(url)
    organisation = Organisation.objects.get(pk=org_a.pk)
    assert full == OrganisationSerializer(
        organisation, context={"request": request}).data
    assert public == OrganisationPublicSerializer(
        organisation, context={"request": request}).data
    assert set(full) == set(PUBLIC_FIELDS + PERSONAL_FIELDS + ("contact_consent",))
    assert set(public) == set(PUBLIC_FIELDS)

