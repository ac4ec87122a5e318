"""GET /api/v1/aggregates/ and /api/v1/communes/{pcode}/aggregates/: exact figures on crafted
data (tests/api_helpers.build_registry), scoping, CSV, pagination, ETag, errors, queries."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cooperatives import freshness
from cooperatives.models import Organisation
from cooperatives.selectors import COLUMNS, organisation_aggregates
from cooperatives.services import organisation_update

from ..api_helpers import api_client, as_csv, build_registry, csv_rows

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_cache")]
URL = "/api/v1/aggregates/"


@pytest.fixture
def registry(org_a, org_b, commune_a, commune_c, maize, cassava, poultry):
    return build_registry(commune_a=commune_a, commune_c=commune_c, maize=maize,
                          cassava=cassava, poultry=poultry)


def figures(rows, *keys):
    """Rows as tuples (pcode, group, organisations, members, women, youth, employees)."""
    return [(r["pcode"], r["group"], r["organisations"], r["members"], r["women"], r["youth"],
             r["employees"]) for r in rows]


def get_rows(client, **params):
    response = client.get(URL, {"page_size": 1000, **params})
    assert response.status_code == 200, response.content
    return response.json()["results"]


def test_it_counts_by_ministry_per_commune_once_per_ministry(registry, analyst):
    rows = get_rows(api_client(analyst), level="commune", by="ministry")
    assert figures(rows) == [
        # a2 has two MINADER filières (maize, cassava): counted once under MINADER.
        ("CM901001001", "MINADER", 2, 30, 12, 8, 3),
        ("CM901001001", "MINEPIA", 2, 27, 15, 5, 2),
        ("CM901001002", "MINADER", 1, 10, 4, 3, 1),
        ("CM902001001", "MINADER", 1, 3, 1, 1, 5),
    ]
    assert rows[0] == {"pcode": "CM901001001", "name": "Alpha", "group": "MINADER",
                       "group_name": "Ministère de l'Agriculture", "organisations": 2,
                       "members": 30, "women": 12, "youth": 8, "employees": 3}


def test_it_counts_by_filiere_once_per_filiere(registry, analyst):
    rows = get_rows(api_client(analyst), level="commune", by="filiere")
    assert figures(rows) == [
        ("CM901001001", "aviculture", 2, 27, 15, 5, 2),
        ("CM901001001", "mais", 1, 20, 8, 5, 2),
        ("CM901001001", "manioc", 2, 30, 12, 8, 3),
        ("CM901001002", "manioc", 1, 10, 4, 3, 1),
        ("CM902001001", "mais", 1, 3, 1, 1, 5),
    ]


def test_it_counts_by_sector_per_region(registry, analyst):
    rows = get_rows(api_client(analyst), level="region", by="sector")
    assert figures(rows) == [
        ("CM901", "agriculture", 3, 40, 16, 11, 4),
        ("CM901", "elevage", 2, 27, 15, 5, 2),
        ("CM902", "agriculture", 1, 3, 1, 1, 5),
    ]
    assert rows[0]["name"] == "Centre-Test"


def test_it_counts_by_legal_form_per_department_in_declared_order(registry, analyst):
    rows = get_rows(api_client(analyst), level="department", by="legal_form")
    assert figures(rows) == [
        ("CM901001", "scoops", 2, 20, 8, 6, 2),
        ("CM901001", "coop_ca", 1, 20, 8, 5, 2),
        ("CM901001", "gic", 1, 7, 7, 0, 0),
        ("CM902001", "union", 1, 3, 1, 1, 5),
    ]
    assert rows[0]["name"] == "Département A"


def test_it_counts_by_status_per_region(registry, analyst):
    rows = get_rows(api_client(analyst), level="region", by="status")
    assert figures(rows) == [
        ("CM901", "active", 3, 40, 16, 11, 4),
        ("CM901", "dormant", 1, 7, 7, 0, 0),
        ("CM902", "active", 1, 3, 1, 1, 5),
    ]


def test_it_defaults_to_communes_by_ministry(registry, analyst):
    client = api_client(analyst)
    assert get_rows(client) == get_rows(client, level="commune", by="ministry")


@pytest.mark.parametrize(("params", "expected"), [
    ({"status": "active", "by": "ministry"}, [
        ("CM901001001", "MINADER", 2, 30, 12, 8, 3),
        ("CM901001001", "MINEPIA", 1, 20, 8, 5, 2),
        ("CM901001002", "MINADER", 1, 10, 4, 3, 1),
        ("CM902001001", "MINADER", 1, 3, 1, 1, 5)]),
    ({"ministry": "MINEPIA", "by": "status"}, [
        ("CM901001001", "active", 1, 20, 8, 5, 2),
        ("CM901001001", "dormant", 1, 7, 7, 0, 0)]),
    ({"filiere": "manioc", "level": "department", "by": "legal_form"}, [
        ("CM901001", "scoops", 2, 20, 8, 6, 2),
        ("CM901001", "coop_ca", 1, 20, 8, 5, 2)]),
    ({"q": "alpha", "by": "status"}, [
        ("CM901001001", "active", 2, 30, 12, 8, 3),
        ("CM901001001", "dormant", 1, 7, 7, 0, 0)]),
    ({"region": "CM902", "by": "legal_form"}, [("CM902001001", "union", 1, 3, 1, 1, 5)]),
    ({"department": "CM901001", "legal_form": "scoops", "by": "status"}, [
        ("CM901001001", "active", 1, 10, 4, 3, 1),
        ("CM901001002", "active", 1, 10, 4, 3, 1)]),
    ({"commune": "CM901001002", "by": "filiere"}, [("CM901001002", "manioc", 1, 10, 4, 3, 1)]),
])
def test_it_applies_the_organisation_filters(registry, analyst, params, expected):
    assert figures(get_rows(api_client(analyst), **params)) == expected


def test_it_names_units_and_groups_in_english_on_request(registry, analyst):
    response = api_client(analyst).get(URL, {"level": "region", "by": "ministry"},
                                       HTTP_ACCEPT_LANGUAGE="en")
    first = response.json()["results"][0]
    assert (first["name"], first["group_name"]) == ("Centre Test", "Ministry of Agriculture")


def test_it_scopes_a_ctd_agent_to_the_commune(registry, agent_a):
    rows = get_rows(api_client(agent_a), level="region", by="status")
    assert figures(rows) == [("CM901", "active", 2, 30, 12, 8, 3),
                             ("CM901", "dormant", 1, 7, 7, 0, 0)]


def test_it_gives_an_agent_no_rows_for_another_commune(registry, agent_a):
    assert get_rows(api_client(agent_a), commune="CM901001002") == []


def test_it_scopes_a_representative_to_the_commune_of_the_organisation(registry, rep_b):
    assert figures(get_rows(api_client(rep_b), by="ministry")) == [
        ("CM901001002", "MINADER", 1, 10, 4, 3, 1)]


def test_it_gives_one_commune_aggregates(registry, analyst):
    response = api_client(analyst).get("/api/v1/communes/CM901001001/aggregates/",
                                       {"by": "filiere"})
    assert response.status_code == 200
    assert figures(response.json()["results"]) == [
        ("CM901001001", "aviculture", 2, 27, 15, 5, 2),
        ("CM901001001", "mais", 1, 20, 8, 5, 2),
        ("CM901001001", "manioc", 2, 30, 12, 8, 3),
    ]


def test_it_filters_one_commune_aggregates(registry, agent_a):
    response = api_client(agent_a).get("/api/v1/communes/CM901001001/aggregates/",
                                       {"by": "legal_form", "status": "active"})
    assert figures(response.json()["results"]) == [
        ("CM901001001", "scoops", 1, 10, 4, 3, 1),
        ("CM901001001", "coop_ca", 1, 20, 8, 5, 2),
    ]


def test_it_gives_an_empty_commune_no_rows(registry, analyst, department):
    from ..factories import CommuneFactory

    CommuneFactory(pcode="CM901001009", department=department)
    response = api_client(analyst).get("/api/v1/communes/CM901001009/aggregates/")
    assert response.json() == {"count": 0, "next": None, "previous": None, "results": []}


@pytest.mark.parametrize("pcode", ["CM999999999", "nope", "CM901001"])
def test_it_answers_404_for_an_unknown_commune(registry, analyst, pcode):
    response = api_client(analyst).get(f"/api/v1/communes/{pcode}/aggregates/")
    assert response.status_code == 404
    assert response.json()["detail"]


def test_it_answers_404_for_a_commune_out_of_scope(registry, agent_a, rep_a):
    for user in (agent_a, rep_a):
        response = api_client(user).get("/api/v1/communes/CM901001002/aggregates/")
        assert response.status_code == 404


def test_it_paginates_the_rows(registry, analyst):
    client = api_client(analyst)
    first = client.get(URL, {"by": "ministry", "page_size": 3}).json()
    second = client.get(URL, {"by": "ministry", "page_size": 3, "page": 2}).json()
    assert first["count"] == second["count"] == 4
    assert [r["pcode"] for r in first["results"]] == ["CM901001001", "CM901001001",
                                                      "CM901001002"]
    assert "page=2" in first["next"]
    assert [r["pcode"] for r in second["results"]] == ["CM902001001"]
    assert second["next"] is None


def test_it_refuses_a_page_size_over_the_maximum(registry, analyst):
    """The schema declares 1 to 1000: a larger size is refused, never silently capped."""
    client = api_client(analyst)
    response = client.get(URL, {"page_size": 1001})
    assert response.status_code == 400
    assert response.json()["errors"] == {
        "page_size": ["Indiquez une seule taille de page, un nombre entier de 1 à 1000."]}
    assert len(client.get(URL, {"page_size": 1000}).json()["results"]) == 4


@pytest.mark.parametrize("how", ["param", "accept"])
def test_it_gives_the_same_rows_as_csv(registry, analyst, how):
    client = api_client(analyst)
    params = {"level": "commune", "by": "filiere", "page_size": 1000}
    json_rows = client.get(URL, params).json()["results"]
    if how == "param":
        response = client.get(URL, {**params, "format": "csv"})
    else:
        response = client.get(URL, params, HTTP_ACCEPT="text/csv")
    assert response.status_code == 200
    assert response.content.decode().splitlines()[0] == ",".join(COLUMNS)
    assert csv_rows(response) == as_csv(json_rows)
    assert len(json_rows) == 5
    assert response["X-Total-Count"] == "5"


def test_it_gives_a_csv_page_with_a_link_to_the_next(registry, analyst):
    response = api_client(analyst).get(URL, {"format": "csv", "page_size": 1})
    assert len(csv_rows(response)) == 1
    assert response["X-Total-Count"] == "4"
    assert 'rel="next"' in response["Link"]


def test_it_writes_the_csv_header_of_an_empty_page(analyst):
    response = api_client(analyst).get(URL, {"format": "csv"})
    assert response.content.decode() == ",".join(COLUMNS) + "\r\n"


def test_it_answers_304_while_the_data_does_not_change(registry, analyst, agent_a, org_a):
    client = api_client(analyst)
    first = client.get(URL, {"by": "status"})
    etag = first["ETag"]
    assert etag and "private" in first["Cache-Control"]
    again = client.get(URL, {"by": "status"}, HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304
    assert again.content == b""
    organisation_update(user=agent_a, organisation=org_a, members_total=11)
    changed = client.get(URL, {"by": "status"}, HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200
    assert changed["ETag"] != etag


def test_it_gives_csv_and_json_different_etags(registry, analyst):
    client = api_client(analyst)
    assert client.get(URL)["ETag"] != client.get(URL, {"format": "csv"})["ETag"]


@pytest.mark.parametrize(("params", "field"), [
    ({"level": "country"}, "level"),
    ({"by": "colour"}, "by"),
    ({"commune": "CM999"}, "commune"),
    ({"department": "CM9"}, "department"),
    ({"region": "XX"}, "region"),
    ({"filiere": "cafe"}, "filiere"),
    ({"ministry": "MINXYZ"}, "ministry"),
    ({"legal_form": "sarl"}, "legal_form"),
    ({"status": "asleep"}, "status"),
    ({"format": "xml"}, "format"),
])
def test_it_answers_400_with_json_for_a_bad_parameter(registry, analyst, params, field):
    response = api_client(analyst).get(URL, params)
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert body["detail"].startswith(f"{field}: ")
    assert field in body["errors"]


def test_it_answers_a_bad_parameter_in_json_when_csv_was_asked(registry, analyst):
    response = api_client(analyst).get(URL, {"by": "colour", "format": "csv"})
    assert response.status_code == 400
    assert response.json()["errors"]["by"]


def test_it_names_the_unknown_p_code(registry, analyst):
    response = api_client(analyst).get(URL, {"commune": "CM999"}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.json()["detail"] == "commune: Unknown commune P-code: CM999."


@pytest.mark.parametrize(("level", "grouped_queries", "queries"), [
    # roles, the summaries' dirty marks (none), the summary rows with their communes, the
    # ministries' names (the token comes from the cache): one commune's rows are the
    # answer's rows, nothing to group.
    ("commune", 0, 4),
    # the same, the summary rows summed per region.
    ("region", 1, 4),
])
def test_it_runs_the_same_queries_whatever_the_page_size(registry, analyst, level,
                                                          grouped_queries, queries):
    client = api_client(analyst)
    client.get(URL)  # the token's last use is recorded on the first request only
    counts = []
    for size in (1, 100):
        freshness.renew_all()  # nothing cached: measure the computation
        with CaptureQueriesContext(connection) as captured:
            assert client.get(URL, {"by": "ministry", "level": level,
                                    "page_size": size}).status_code == 200
        counts.append(len(captured))
        grouped = [q["sql"] for q in captured if "GROUP BY" in q["sql"]]
        assert len(grouped) == grouped_queries
    assert counts == [queries, queries]  # pagination works on the rows


def test_it_queries_one_commune_aggregates_in_three_queries(registry, analyst):
    client = api_client(analyst)
    client.get("/api/v1/communes/CM901001001/aggregates/")
    for size in (1, 100):
        freshness.renew_all()
        with CaptureQueriesContext(connection) as queries:
            client.get("/api/v1/communes/CM901001001/aggregates/", {"page_size": size})
        assert len(queries) == 3  # roles, commune, aggregate


@pytest.mark.parametrize("path", [URL, "/api/v1/communes/CM901001001/aggregates/"])
def test_it_serves_a_repeated_request_from_the_cache_until_an_edit(registry, analyst, agent_a,
                                                                  org_a, path):
    client = api_client(analyst)
    first = client.get(path, {"by": "status"})
    with CaptureQueriesContext(connection) as queries:
        again = client.get(path, {"by": "status"})
        page = client.get(path, {"by": "status", "page_size": 1, "format": "csv"})
    assert len(queries) == 0  # token, roles and rows all from the cache
    assert again.content == first.content
    assert page["X-Total-Count"] == str(first.json()["count"])
    members = sum(row["members"] for row in again.json()["results"])
    organisation_update(user=agent_a, organisation=org_a, members_total=org_a.members_total + 7)
    changed = client.get(path, {"by": "status"})
    assert sum(row["members"] for row in changed.json()["results"]) == members + 7


def test_it_checks_the_scope_on_a_cached_answer(registry, analyst, agent_b):
    path = "/api/v1/communes/CM901001001/aggregates/"
    assert api_client(analyst).get(path).status_code == 200  # now cached
    assert api_client(agent_b).get(path).status_code == 404


def test_it_keeps_each_scope_apart_in_the_cache(registry, analyst, agent_a):
    national = get_rows(api_client(analyst), level="region", by="status")
    local = get_rows(api_client(agent_a), level="region", by="status")
    assert sum(r["organisations"] for r in national) > sum(r["organisations"] for r in local)


@pytest.mark.parametrize("level", ["region", "department", "commune"])
@pytest.mark.parametrize("by", ["ministry", "sector", "filiere", "legal_form", "status"])
def test_it_aggregates_in_one_query(registry, django_assert_num_queries, level, by):
    with django_assert_num_queries(1):
        rows = organisation_aggregates(Organisation.objects.all(), level=level, by=by)
    assert rows == sorted(rows, key=lambda r: r["pcode"])
    assert sum(r["organisations"] for r in rows) >= 5


def test_it_needs_no_query_for_an_empty_scope(django_assert_num_queries):
    with django_assert_num_queries(0):
        assert organisation_aggregates(Organisation.objects.none(), level="commune",
                                       by="ministry") == []


def test_it_refuses_an_unknown_level():
    with pytest.raises(ValueError):
        organisation_aggregates(Organisation.objects.none(), level="country", by="ministry")


def test_a_role_change_takes_effect_on_the_next_request(registry, agent_a, commune_b):
    from cooperatives.models import Role, RoleAssignment

    client = api_client(agent_a)
    path_b = "/api/v1/communes/CM901001002/aggregates/"
    assert client.get(path_b).status_code == 404  # roles now cached
    granted = RoleAssignment.objects.create(user=agent_a, role=Role.CTD_AGENT, commune=commune_b)
    assert client.get(path_b).status_code == 200
    granted.delete()
    assert client.get(path_b).status_code == 404
    RoleAssignment.objects.filter(user=agent_a).delete()
    assert client.get(URL).status_code == 403
