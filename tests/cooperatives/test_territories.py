"""Project territories (issue 19): proposal and confirmation, who reads them, their pages,
their reports through the API and their aggregates (level=territory)."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cooperatives.models import ProjectTerritory, Role, TerritoryMembership
from cooperatives.permissions import territories_visible_to
from cooperatives.territory_services import territory_confirm, territory_create
from reports.models import ReportRun

from ..api_helpers import api_client
from ..factories import CommuneFactory, OrganisationFactory, make_admin, make_user

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_cache")]


@pytest.fixture
def agent_c(commune_c):
    return make_user("agent_c", role=Role.CTD_AGENT, commune=commune_c)


def propose(agent, *communes, name="Bassin cacao"):
    return territory_create(user=agent, name=name, purpose="value_chain", communes=communes)


def test_an_agents_proposal_waits_for_every_other_member(agent_a, agent_c, commune_a,
                                                         commune_c):
    territory = propose(agent_a, commune_a, commune_c)
    assert territory.status == "proposed"
    assert territory.code == "bassin-cacao"
    waiting = territory.memberships.filter(confirmed_at__isnull=True)
    assert [m.commune_id for m in waiting] == [commune_c.pk]
    with pytest.raises(PermissionDenied):
        territory_confirm(user=agent_a, territory=territory)  # nothing of theirs waits
    territory_confirm(user=agent_c, territory=territory)
    territory.refresh_from_db()
    assert territory.status == "active"
    assert territory.history.count() == 2  # created, activated


def test_an_agent_proposes_only_with_its_own_commune(agent_a, commune_b, commune_c):
    with pytest.raises(PermissionDenied):
        propose(agent_a, commune_b, commune_c)
    assert not ProjectTerritory.objects.exists()


def test_the_admin_creates_an_active_territory_and_one_commune_is_refused(commune_a,
                                                                         commune_c):
    admin = make_admin()
    territory = propose(admin, commune_a, commune_c)
    assert territory.status == "active"
    assert not territory.memberships.filter(confirmed_at__isnull=True).exists()
    with pytest.raises(ValidationError) as error:
        propose(admin, commune_a, name="Seul")
    assert "communes" in error.value.message_dict
    assert propose(admin, commune_a, commune_c).code == "bassin-cacao-2"


@pytest.fixture
def bassin(commune_a, commune_c):
    territory = ProjectTerritory.objects.create(code="bassin", name="Bassin", purpose="basin",
                                                status="active")
    for commune in (commune_a, commune_c):
        TerritoryMembership.objects.create(territory=territory, commune=commune,
                                           start=datetime.date(2024, 1, 1))
    return territory


def test_readers_are_country_readers_and_those_of_a_member_commune(bassin, agent_a, agent_b,
                                                                    rep_a, analyst,
                                                                    region_reviewer):
    assert {u.username: territories_visible_to(u).count() for u in (
        agent_a, agent_b, rep_a, analyst, region_reviewer)} == {
        "agent_a": 1, "agent_b": 0, "rep_a": 1, "analyst": 1, "region_rev": 1}


def done_run(territory, result, year=2025):
    now = timezone.now()
    return ReportRun.objects.create(kind="cooperation", territory=territory,
                                    scope=territory.scope, year=year, status="done",
                                    result=result, started_at=now, finished_at=now)


@pytest.mark.parametrize(("who", "status"), [
    ("agent_a", 200), ("analyst", 200), ("rep_a", 200), ("region_reviewer", 200),
    ("agent_b", 404), ("dept_reviewer", 200), (None, 401)])
def test_the_api_serves_the_territory_report_to_its_readers(bassin, who, status, request):
    run = done_run(bassin, {"territory": "bassin", "links": 3})
    user = request.getfixturevalue(who) if who else None
    response = api_client(user).get(
        "/api/v1/reports/cooperation/", {"territory": "bassin"})
    assert response.status_code == status
    if status == 200:
        assert (response.json()["scope"], response.json()["result"]["links"],
                response.json()["run"]) == (bassin.scope, 3, run.pk)
        detail = api_client(user).get(f"/api/v1/reports/runs/{run.pk}/")
        assert detail.status_code == 200


def test_a_proposed_territory_has_no_reports(agent_a, agent_c, commune_a, commune_c):
    territory = propose(agent_a, commune_a, commune_c)
    response = api_client(agent_a).get("/api/v1/reports/cooperation/",
                                       {"territory": territory.code})
    assert response.status_code == 404


def test_member_agents_queue_a_run_and_other_readers_are_refused(bassin, agent_a, rep_a):
    response = api_client(agent_a).post("/api/v1/reports/convergence/runs/",
                                        {"territory": "bassin", "year": 2025}, format="json")
    assert response.status_code == 202
    run = ReportRun.objects.get(pk=response.json()["id"])
    assert (run.scope, run.territory_id, run.commune_id) == (bassin.scope, bassin.pk, None)
    refused = api_client(rep_a).post("/api/v1/reports/convergence/runs/",
                                     {"territory": "bassin"}, format="json")
    assert refused.status_code == 403


def test_aggregates_per_territory_sum_the_member_communes(bassin, commune_a, commune_b,
                                                          commune_c, cassava, analyst):
    OrganisationFactory(commune=commune_a, primary_filiere=cassava, members_total=10)
    OrganisationFactory(commune=commune_c, primary_filiere=cassava, members_total=20)
    OrganisationFactory(commune=commune_b, primary_filiere=cassava, members_total=40)
    ended = ProjectTerritory.objects.create(code="ancien", name="Ancien", purpose="other",
                                            status="active")
    TerritoryMembership.objects.create(territory=ended, commune=commune_a,
                                       start=datetime.date(2020, 1, 1),
                                       end=datetime.date(2021, 1, 1))
    for params in ({}, {"status": "active"}):  # summary rows, then the grouped query
        response = api_client(analyst).get("/api/v1/aggregates/",
                                           {"level": "territory", "by": "filiere", **params})
        assert response.status_code == 200, response.content
        assert [(r["pcode"], r["name"], r["group"], r["organisations"], r["members"])
                for r in response.json()["results"]] == [("bassin", "Bassin", "manioc", 2, 30)]


def test_the_list_page_costs_the_same_queries_for_more_territories(client, analyst, commune_a,
                                                                    commune_c):
    client.force_login(analyst)

    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/territories/").status_code == 200
        return len(captured)

    admin = make_admin()
    propose(admin, commune_a, commune_c, name="Un")
    queries()  # the session and the scope are cached from now on
    first = queries()
    for name in ("Deux", "Trois", "Quatre"):
        propose(admin, commune_a, commune_c, name=name)
    assert queries() == first


def test_an_agent_proposes_through_the_page_and_the_other_confirms(client, english, agent_a,
                                                                    agent_c, commune_a,
                                                                    commune_c):
    client.force_login(agent_a)
    page = client.post("/territories/new/", {"name": "Syndicat", "purpose": "syndicate",
                                             "communes": [commune_a.pk]})
    assert page.status_code == 200 and "at least two communes" in page.content.decode()
    response = client.post("/territories/new/", {"name": "Syndicat", "purpose": "syndicate",
                                                 "communes": [commune_a.pk, commune_c.pk]})
    assert response.status_code == 302
    client.force_login(agent_c)
    detail = client.get("/territories/syndicat/")
    assert "Confirm my commune" in detail.content.decode()
    assert client.post("/territories/syndicat/confirm/").status_code == 302
    assert ProjectTerritory.objects.get(code="syndicat").status == "active"


def test_the_report_page_shows_the_territory_figures(client, bassin, agent_a):
    done_run(bassin, {"territory": "bassin", "communes": ["CM901001001", "CM902001001"],
                      "active_organisations": 7, "external": 2, "cross_commune_inside": 5})
    client.force_login(agent_a)
    page = client.get("/reports/territories/bassin/cooperation/", HTTP_ACCEPT_LANGUAGE="en")
    body = page.content.decode()
    assert page.status_code == 200
    assert ">Alpha</a>, <a href=\"/c/CM902001001/\">Gamma</a>" in body
    assert '<b>5</b>' in body and '<b>2</b>' in body


def test_a_commune_beyond_the_territory_is_not_counted(bassin):
    far = CommuneFactory(pcode="CM903001001")
    assert not ProjectTerritory.objects.with_member([far.pk]).exists()
    assert ProjectTerritory.objects.with_member([bassin.memberships.first().commune_id]).exists()


def test_an_edit_in_a_member_commune_queues_the_territory_runs(bassin, commune_a, commune_b):
    from reports.tasks import queue_refresh_after_edit

    year = timezone.localdate().year
    queue_refresh_after_edit(commune_b, year)  # not a member
    assert not ReportRun.objects.filter(territory=bassin).exists()
    queue_refresh_after_edit(commune_a, year)
    runs = ReportRun.objects.filter(territory=bassin)
    assert sorted(runs.values_list("kind", "status", "scope")) == [
        ("convergence", "queued", bassin.scope), ("cooperation", "queued", bassin.scope)]
    assert all(run.not_before is not None for run in runs)


def test_the_nightly_run_queues_every_active_territory(bassin, agent_a, agent_c, commune_a,
                                                       commune_c):
    from reports.tasks import nightly_reports

    propose(agent_a, commune_a, commune_c)  # proposed: no run
    nightly_reports()
    assert sorted(ReportRun.objects.filter(territory__isnull=False)
                  .values_list("territory__code", "kind")) == [
        ("bassin", "convergence"), ("bassin", "cooperation")]


def test_the_api_lists_the_territories_with_their_members_over_time(bassin, commune_a,
                                                                     commune_c, agent_a,
                                                                     agent_b, analyst):
    rows = api_client(agent_a).get("/api/v1/territories/").json()["results"]
    assert rows == [{"code": "bassin", "name": "Bassin", "purpose": "basin", "filiere": None,
                     "description": "", "status": "active", "memberships": [
                         {"commune": commune_a.pcode, "localities": "", "start": "2024-01-01",
                          "end": None, "confirmed": False},
                         {"commune": commune_c.pcode, "localities": "", "start": "2024-01-01",
                          "end": None, "confirmed": False}]}]
    assert api_client(agent_b).get("/api/v1/territories/").json()["results"] == []
    assert api_client(agent_b).get("/api/v1/territories/bassin/").status_code == 404
    assert api_client(analyst).get("/api/v1/territories/bassin/").json()["code"] == "bassin"


def test_the_api_list_costs_the_same_queries_for_more_territories(analyst, commune_a,
                                                                  commune_c):
    client, admin = api_client(analyst), make_admin()

    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/api/v1/territories/").status_code == 200
        return len(captured)

    propose(admin, commune_a, commune_c, name="Un")
    queries()
    first = queries()
    for name in ("Deux", "Trois"):
        propose(admin, commune_a, commune_c, name=name)
    assert queries() == first


def test_the_runs_page_names_a_territory_run(client, bassin):
    ReportRun.objects.create(kind="convergence", territory=bassin, scope=bassin.scope,
                             year=2026)
    client.force_login(make_admin())
    body = client.get("/operations/runs/").content.decode()
    assert "<td>Bassin</td>" in body


def test_a_proposal_awaits_the_other_agents_in_their_menu(agent_a, agent_c, commune_a,
                                                          commune_c, english):
    from accounts.notifications import menu_counts

    propose(agent_a, commune_a, commune_c)
    assert ("Project territories to confirm", "/territories/", 1) in menu_counts(
        agent_c)["awaiting_items"]
    assert not [i for i in menu_counts(agent_a)["awaiting_items"] if "territor" in i[0]]
