"""Open data: public figures and a dataset (CSV, JSON-LD) with no personal data anywhere."""

import csv
import datetime
import io
import json

import pytest

from cooperatives.models import BureauMember, Organisation, Reless

from ..conftest import client_for
from ..factories import OrganisationFactory

pytestmark = pytest.mark.django_db

SECRETS = ("Awa Secret", "+237 699 000 111", "699 000 111", "awa.secret@example.org",
           "Bruno Private", "bruno.private@example.org", "+237 677 222 333", "Président Caché")


@pytest.fixture
def registry(org_a, org_b, commune_a, commune_c, maize, cassava):
    org_a.acronym = "CMA"
    org_a.reless_member_since = datetime.date(2023, 5, 1)
    org_a.save()
    org_a.filieres.add(maize)
    OrganisationFactory(name="Dormante", commune=commune_a, primary_filiere=cassava,
                        status="dormant", members_total=7, members_women=1, members_youth=0)
    OrganisationFactory(name="Dissoute", commune=commune_c, primary_filiere=cassava,
                        status="dissolved", members_total=50)
    reless = Reless.objects.create(commune=commune_a, name="RELESS d'Alpha")
    BureauMember.objects.create(reless=reless, person_name="Président Caché", office="president",
                                organisation=org_a, mandate_start=datetime.date(2023, 1, 1))
    return org_a


def test_it_shows_national_regional_and_commune_figures_to_anyone(client, registry):
    response = client.get("/open-data/")
    assert response.status_code == 200
    figures = response.context["figures"]
    country = figures["country"]
    # Not dissolved: org_a, org_b, Dormante; active: org_a and org_b (10 members, 4 women,
    # 3 under 35 each); RELESS members: org_a.
    assert {k: country[k] for k in ("organisations", "active", "members", "women", "youth",
                                    "reless_members", "communes",
                                    "communes_with_organisations")} == {
        "organisations": 3, "active": 2, "members": 20, "women": 8, "youth": 6,
        "reless_members": 1, "communes": 3, "communes_with_organisations": 2}
    centre, north = figures["regions"]
    assert (centre["region"].pcode, centre["organisations"], centre["active"]) == (
        "CM901", 3, 2)
    assert (north["region"].pcode, north["organisations"]) == ("CM902", 0)
    alpha = centre["communes"][0]
    assert (alpha["commune"].pcode, alpha["organisations"], alpha["active"],
            alpha["members"], alpha["reless_members"]) == ("CM901001001", 2, 1, 10, 1)
    page = response.content.decode()
    assert "/reports/map/" in page and "opendatacommons.org/licenses/odbl/1-0/" in page
    assert "/open-data/organisations.csv" in page and "/open-data/organisations.jsonld" in page


def _csv_rows(content: bytes) -> list[dict]:
    return list(csv.DictReader(io.StringIO(content.decode("utf-8"))))


def test_it_serves_the_dataset_as_csv_without_personal_data(client, registry, org_b):
    response = client.get("/open-data/organisations.csv")
    assert response.status_code == 200
    assert response["Link"] == '<https://opendatacommons.org/licenses/odbl/1-0/>; rel="license"'
    content = b"".join(response.streaming_content)
    text = content.decode("utf-8")
    for secret in SECRETS:
        assert secret not in text
    rows = _csv_rows(content)
    assert len(rows) == Organisation.objects.count() == 4
    first = rows[0]
    assert first == {
        "id": str(registry.pk), "name": "Coop Manioc Alpha", "acronym": "CMA",
        "legal_form": "scoops", "legal_form_label": "SCOOPS", "commune_pcode": "CM901001001",
        "commune": "Alpha", "department_pcode": "CM901001", "region_pcode": "CM901",
        "primary_filiere": "manioc", "filieres": "mais|manioc", "filiere_names": "Maïs|Manioc",
        "status": "active", "members": "10", "women": "4", "youth": "3",
        "reless_member": "true", "reless_member_since": "2023-05-01"}
    assert {r["status"] for r in rows} == {"active", "dormant", "dissolved"}
    assert not any(key.startswith("contact") for key in first)


def test_it_serves_the_dataset_as_json_ld_without_personal_data(client, registry):
    response = client.get("/open-data/organisations.jsonld")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/ld+json")
    text = b"".join(response.streaming_content).decode("utf-8")
    for secret in SECRETS:
        assert secret not in text
    document = json.loads(text)
    context = document["@context"]
    assert context["essglobal"] == "http://purl.org/essglobal/vocab/"
    assert context["totalOfMembers"]["@id"] == "essglobal:totalOfMembers"
    dataset, *organisations = document["@graph"]
    assert dataset["@type"] == "schema:Dataset"
    assert dataset["license"] == "https://opendatacommons.org/licenses/odbl/1-0/"
    assert "OCHA COD-AB" in dataset["creditText"]
    assert len(organisations) == 4
    node = organisations[0]
    assert node["@type"] == ["essglobal:SSEInitiative", "schema:Organization"]
    assert (node["name"], node["alternateName"], node["legalForm"]) == (
        "Coop Manioc Alpha", "CMA", "SCOOPS")
    assert node["economicSector"] == ["Maïs", "Manioc"]
    assert (node["totalOfMembers"], node["totalWomen"], node["membersUnder35"]) == (10, 4, 3)
    assert node["hasAddress"]["containedInPlace"]["identifier"] == "CM901001001"
    assert node["memberOf"]["name"] == "RELESS d'Alpha"
    assert node["relessMemberSince"] == "2023-05-01"
    assert "memberOf" not in organisations[1]


def test_it_never_reads_contacts_to_build_the_dataset(registry):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from cooperatives.opendata import dataset_records

    with CaptureQueriesContext(connection) as queries:
        records = list(dataset_records())
    assert len(records) == 4 and len(queries) <= 4
    assert not any("contact" in q["sql"] for q in queries)


def test_it_answers_304_when_nothing_changed(client, registry):
    first = client.get("/open-data/organisations.csv")
    again = client.get("/open-data/organisations.csv",
                       HTTP_IF_MODIFIED_SINCE=first["Last-Modified"])
    assert again.status_code == 304


def test_it_is_public_and_read_only(client, registry, analyst):
    for url in ("/open-data/", "/open-data/organisations.csv", "/open-data/organisations.jsonld"):
        assert client.get(url).status_code == 200
        assert client_for(analyst).get(url).status_code == 200
        assert client.post(url).status_code == 405
