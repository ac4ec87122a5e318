"""The ILO statistics of cooperatives (cooperatives.ilo): exact figures on crafted data per
commune, department, region and country, what counts as a cooperative, scoping in the API,
the public open-data CSV, and queries that do not grow with the rows."""

import csv
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cooperatives import freshness
from cooperatives.ilo import COLUMNS, ilo_statistics
from cooperatives.models import Organisation
from cooperatives.services import organisation_update

from ..api_helpers import api_client
from ..factories import CommuneFactory, OrganisationFactory, make_admin

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_cache")]
URL = "/api/v1/statistics/ilo/"


@pytest.fixture
def crafted(org_a, org_b, commune_a, commune_c, cassava):
    """Alpha: a producer SCOOPS (org_a), a worker COOP-CA, a SCOOPS of no recorded type, and
    three organisations the table leaves out (a dormant SCOOPS, a GIC, a union). Bêta: org_b,
    a consumer/user SCOOPS. Gamma (another region): a multi-stakeholder COOP-CA."""
    Organisation.objects.filter(pk=org_a.pk).update(member_interest="producer",
                                                    producer_members=8)
    Organisation.objects.filter(pk=org_b.pk).update(member_interest="consumer_user")
    made = {"commune": commune_a, "primary_filiere": cassava}
    OrganisationFactory(legal_form="coop_ca", member_interest="worker", members_total=20,
                        members_women=5, members_youth=12, employees=2, worker_members=18,
                        **made)
    OrganisationFactory(members_total=6, members_women=6, members_youth=0, employees=0, **made)
    OrganisationFactory(status="dormant", member_interest="producer", members_total=50, **made)
    OrganisationFactory(legal_form="gic", member_interest="producer", members_total=30, **made)
    OrganisationFactory(legal_form="union", members_total=3, members_women=0,
                        members_youth=0, **made)
    OrganisationFactory(legal_form="coop_ca", member_interest="multi_stakeholder",
                        commune=commune_c, primary_filiere=cassava, members_total=15,
                        members_women=7, members_youth=5, employees=3, worker_members=2,
                        producer_members=10)


def figures(rows):
    """(pcode, cooperatives, producer, worker, consumer_user, multi_stakeholder,
    not recorded, members, women, men, under 35, 35 and over, employees, worker-members,
    producer-members) per row."""
    return [tuple(row[c] for c in COLUMNS if c != "name") for row in rows]


ALPHA = ("CM901001001", 3, 1, 1, 0, 0, 1, 36, 15, 21, 15, 21, 3, 18, 8)
BETA = ("CM901001002", 1, 0, 0, 1, 0, 0, 10, 4, 6, 3, 7, 1, 0, 0)
GAMMA = ("CM902001001", 1, 0, 0, 0, 1, 0, 15, 7, 8, 5, 10, 3, 2, 10)
DEPARTMENT = ("CM901001", 4, 1, 1, 1, 0, 1, 46, 19, 27, 18, 28, 4, 18, 8)
COUNTRY = ("CM", 5, 1, 1, 1, 1, 1, 61, 26, 35, 23, 38, 7, 20, 18)


@pytest.mark.parametrize(("level", "expected"), [
    ("commune", [ALPHA, BETA, GAMMA]),
    ("department", [DEPARTMENT, ("CM902001", *GAMMA[1:])]),
    ("region", [("CM901", *DEPARTMENT[1:]), ("CM902", *GAMMA[1:])]),
    ("country", [COUNTRY]),
])
def test_it_counts_active_primary_cooperatives_at_each_level(crafted, analyst, level,
                                                             expected):
    response = api_client(analyst).get(URL, {"level": level})
    assert response.status_code == 200
    assert figures(response.json()["results"]) == expected


def test_it_names_the_units_and_the_country(crafted, analyst):
    rows = api_client(analyst).get(URL).json()["results"]
    assert [row["name"] for row in rows] == ["Alpha", "Bêta", "Gamma"]
    country = api_client(analyst).get(URL, {"level": "country"},
                                      HTTP_ACCEPT_LANGUAGE="en").json()["results"]
    assert country[0]["name"] == "Cameroon"


def test_an_agent_reads_only_the_figures_of_their_commune(crafted, agent_a):
    client = api_client(agent_a)
    assert figures(client.get(URL).json()["results"]) == [ALPHA]
    assert figures(client.get(URL, {"level": "country"}).json()["results"]) == [
        ("CM", *ALPHA[1:])]


def test_a_signed_in_account_with_no_role_gets_403_and_a_stranger_401(crafted, nobody):
    assert api_client(nobody).get(URL).status_code == 403
    assert api_client().get(URL).status_code == 401


def test_it_refuses_an_unknown_level(crafted, analyst):
    response = api_client(analyst).get(URL, {"level": "village"})
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["level"]


def test_it_gives_no_row_without_a_cooperative(commune_a, analyst, cassava):
    OrganisationFactory(legal_form="gic", commune=commune_a, primary_filiere=cassava)
    assert api_client(analyst).get(URL).json()["results"] == []
    assert ilo_statistics(Organisation.objects.all(), level="country") == []


def test_the_csv_has_the_columns_of_the_table(crafted, analyst):
    response = api_client(analyst).get(URL, {"level": "country", "format": "csv"})
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == list(COLUMNS)
    assert rows[1] == ["CM", "Cameroun", *(str(v) for v in COUNTRY[1:])]


def test_the_open_data_file_is_public_and_holds_the_same_figures(crafted, client):
    response = client.get("/open-data/ilo/region.csv")
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8"))))
    assert rows[0] == list(COLUMNS)
    assert [row[0] for row in rows[1:]] == ["CM901", "CM902"]
    assert rows[1][2:] == [str(v) for v in DEPARTMENT[1:]]
    assert client.get("/open-data/ilo/village.csv").status_code == 404


def test_the_figures_follow_a_change(crafted, analyst, org_a):
    client = api_client(analyst)
    client.get(URL, {"level": "country"})
    organisation_update(user=make_admin(), organisation=Organisation.objects.get(pk=org_a.pk),
                        member_interest="worker")
    country = figures(client.get(URL, {"level": "country"}).json()["results"])[0]
    assert country[2:4] == (0, 2)  # no producer cooperative left, two worker ones


def test_the_queries_do_not_grow_with_the_rows(crafted, analyst, cassava, department):
    client = api_client(analyst)
    client.get(URL, {"level": "commune"})

    def count() -> int:
        freshness.renew_all()
        with CaptureQueriesContext(connection) as queries:
            assert client.get(URL, {"level": "commune"}).status_code == 200
        return len(queries)

    few = count()
    for number in range(5):
        commune = CommuneFactory(department=department, pcode=f"CM90100101{number}")
        OrganisationFactory(commune=commune, primary_filiere=cassava, member_interest="worker")
    assert count() == few == 2  # the caller's roles (renewed stamps), one grouped query


def test_the_page_shows_the_table_of_the_users_scope(crafted, agent_a, analyst, client):
    client.force_login(agent_a)
    response = client.get(reverse("ilo_statistics"), {"level": "region"},
                          HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert response.context["rows"] == [("CM901", "Centre Test", list(ALPHA[1:]))]
    assert response.context["headers"][:3] == ["Cooperatives", "Producer cooperative",
                                                "Worker cooperative"]
    client.force_login(analyst)
    rows = client.get(reverse("ilo_statistics"), {"level": "nowhere"}).context["rows"]
    assert [(pcode, cells) for pcode, _name, cells in rows] == [
        (unit[0], list(unit[1:])) for unit in (ALPHA, BETA, GAMMA)]  # unknown level: communes
