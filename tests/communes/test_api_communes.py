"""/api/v1/communes/ and /api/v1/communes/{pcode}/: public reference data."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from communes.serializers import COMMUNE_FIELDS

from ..api_helpers import api_client, as_csv, csv_rows
from ..factories import CommuneFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_cache")]
URL = "/api/v1/communes/"


@pytest.fixture
def territory(commune_a, commune_b, commune_c):
    commune_a.name_en = "Alpha (en)"
    commune_a.boundary = {"type": "Point", "coordinates": [11.0, 4.0]}
    commune_a.save()
    return commune_a, commune_b, commune_c


def pcodes(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [row["pcode"] for row in response.json()["results"]]


def test_it_lists_communes_for_anyone(territory):
    response = api_client().get(URL)
    assert pcodes(response) == ["CM901001001", "CM901001002", "CM902001001"]
    assert response.json()["results"][0] == {
        "pcode": "CM901001001", "name": "Alpha", "name_fr": "Alpha", "name_en": "Alpha (en)",
        "department": "CM901001", "department_name": "Département A", "region": "CM901",
        "region_name": "Centre-Test", "latitude": 4.0, "longitude": 11.0}


def test_it_names_communes_in_english_on_request(territory):
    response = api_client().get(URL, HTTP_ACCEPT_LANGUAGE="en")
    first, second = response.json()["results"][:2]
    assert (first["name"], first["region_name"]) == ("Alpha (en)", "Centre Test")
    assert second["name"] == "Bêta"  # no English name: the French one


@pytest.mark.parametrize(("params", "expected"), [
    ({"region": "CM901"}, ["CM901001001", "CM901001002"]),
    ({"region": "CM902"}, ["CM902001001"]),
    ({"department": "CM901001"}, ["CM901001001", "CM901001002"]),
    ({"q": "bêta"}, ["CM901001002"]),
    ({"q": "(en)"}, ["CM901001001"]),
    ({"page_size": 1, "page": 3}, ["CM902001001"]),
])
def test_it_filters_communes(territory, params, expected):
    assert pcodes(api_client().get(URL, params)) == expected


@pytest.mark.parametrize(("params", "field"), [
    ({"region": "CM999"}, "region"), ({"department": "Alpha"}, "department"),
    ({"format": "xlsx"}, "format"),
])
def test_it_answers_400_for_a_bad_filter(territory, params, field):
    response = api_client().get(URL, params)
    assert response.status_code == 400
    assert response.json()["detail"].startswith(f"{field}: ")


def test_it_answers_404_for_a_page_past_the_end(territory):
    response = api_client().get(URL, {"page": 9})
    assert response.status_code == 404
    assert response.json()["detail"]


def test_it_gives_one_commune_with_its_boundary(territory):
    body = api_client().get(f"{URL}CM901001001/").json()
    assert body["boundary"] == {"type": "Point", "coordinates": [11.0, 4.0]}
    assert body["department"] == "CM901001"


@pytest.mark.parametrize("pcode", ["CM999999999", "cm901001001", "x.y"])
def test_it_answers_404_for_an_unknown_p_code(territory, pcode):
    response = api_client().get(f"{URL}{pcode}/")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"


def test_it_gives_the_same_rows_as_csv(territory):
    client = api_client()
    json_rows = client.get(URL).json()["results"]
    response = client.get(URL, HTTP_ACCEPT="text/csv")
    assert response.content.decode().splitlines()[0] == ",".join(COMMUNE_FIELDS)
    assert csv_rows(response) == as_csv(json_rows)


def test_it_answers_304_for_unchanged_communes(territory):
    client = api_client()
    etag = client.get(URL)["ETag"]
    assert client.get(URL, HTTP_IF_NONE_MATCH=etag).status_code == 304
    territory[1].name_fr = "Bêta-Nouvelle"
    territory[1].save()
    assert client.get(URL, HTTP_IF_NONE_MATCH=etag).status_code == 200


def test_it_runs_the_same_queries_for_one_commune_or_a_hundred(territory, department):
    for n in range(5):
        CommuneFactory(pcode=f"CM90100101{n}", department=department)
    client = api_client()
    counts = []
    for size in (1, 100):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(URL, {"page_size": size}).status_code == 200
        counts.append(len(queries))
    assert counts == [2, 2]  # count, page
