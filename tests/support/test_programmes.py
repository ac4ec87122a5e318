"""Support programmes and enrolments: who may write what, the pages, the API and the
organisation's "Support received" section."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from support import services
from support.models import Enrolment, Programme

from ..conftest import client_for
from ..factories import CommuneFactory, EnrolmentFactory, OrganisationFactory, ProgrammeFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

JAN = datetime.date(2025, 1, 1)


def record(user, **fields):
    values = {"name": "Formation coopérative", "kind": "training", "start_date": JAN,
              **fields}
    return services.programme_record(user=user, **values)


def state():
    return (list(Programme.objects.order_by("pk").values()),
            list(Programme.communes.through.objects.order_by("pk").values()),
            list(Enrolment.objects.order_by("pk").values()))


# ---- rules (services)


def test_it_lets_an_analyst_record_their_ministrys_programme_anywhere(analyst, minader,
                                                                     minepia, commune_c):
    programme = record(analyst, owner_type="ministry", ministry=minader, communes=[commune_c])
    assert list(programme.communes.all()) == [commune_c]
    assert programme.history.latest().history_user == analyst
    before = state()
    with pytest.raises(PermissionDenied):
        record(analyst, owner_type="ministry", ministry=minepia, communes=[commune_c])
    assert state() == before


def test_it_lets_only_the_communes_agents_own_a_communes_programme(agent_a, agent_b,
                                                                  commune_a, commune_b):
    programme = record(agent_a, owner_type="commune", owner_commune=commune_a,
                       kind="convention", communes=[commune_b])
    assert sorted(programme.communes.values_list("pk", flat=True)) == sorted(
        [commune_a.pk, commune_b.pk])  # the owner commune is always covered
    with pytest.raises(PermissionDenied):
        services.programme_update(user=agent_b, programme=programme, name="Détournée")
    with pytest.raises(PermissionDenied):
        record(agent_b, owner_type="commune", owner_commune=commune_a)


def test_it_lets_agents_of_a_covered_commune_change_a_partners_programme(
        agent_a, agent_b, admin_user, commune_a, commune_b, commune_c):
    programme = record(admin_user, owner_type="partner", partner="REMCESS",
                       communes=[commune_a, commune_c])
    services.programme_update(user=agent_a, programme=programme, budget=5_000)
    with pytest.raises(PermissionDenied):  # commune C is not agent_a's to remove
        services.programme_update(user=agent_a, programme=programme, communes=[commune_a])
    with pytest.raises(PermissionDenied):  # agent_b's commune is not covered
        services.programme_update(user=agent_b, programme=programme, budget=1)
    programme.refresh_from_db()
    assert programme.budget == 5_000


def test_it_reports_every_broken_rule(admin_user):
    with pytest.raises(ValidationError) as error:
        record(admin_user, owner_type="ministry", end_date=datetime.date(2024, 1, 1))
    assert set(error.value.message_dict) == {"ministry"}
    with pytest.raises(ValidationError) as error:
        record(admin_user, owner_type="partner", partner="GIZ",
               end_date=datetime.date(2024, 1, 1))
    assert set(error.value.message_dict) == {"communes", "__all__"}
    assert state() == ([], [], [])


def test_it_lets_agents_enrol_their_organisations_and_covers_their_commune(
        agent_a, agent_b, minader, org_a, commune_b):
    programme = ProgrammeFactory(ministry=minader, communes=[commune_b])
    enrolment = services.enrolment_record(user=agent_a, programme=programme,
                                          organisation=org_a, start_date=JAN)
    assert enrolment.recorded_by == agent_a
    assert set(programme.communes.values_list("pk", flat=True)) == {commune_b.pk,
                                                                   org_a.commune_id}
    with pytest.raises(PermissionDenied):
        services.enrolment_update(user=agent_b, enrolment=enrolment, outcome="completed")
    with pytest.raises(ValidationError):  # once per programme
        services.enrolment_record(user=agent_a, programme=programme, organisation=org_a,
                                  start_date=JAN)


def test_it_lets_the_owner_ministrys_analyst_enrol_anywhere_but_not_elsewhere(
        analyst, minader, minepia, org_a):
    own = ProgrammeFactory(ministry=minader)
    other = ProgrammeFactory(ministry=minepia)
    assert services.enrolment_record(user=analyst, programme=own, organisation=org_a,
                                     start_date=JAN).pk
    with pytest.raises(PermissionDenied):
        services.enrolment_record(user=analyst, programme=other, organisation=org_a,
                                  start_date=JAN)
    assert Enrolment.objects.count() == 1


# ---- API


def test_it_lists_programmes_in_the_readers_scope_with_filters(agent_a, analyst, minader,
                                                               minepia, commune_a, commune_b):
    ProgrammeFactory(ministry=minader, communes=[commune_a], name="A1")
    ProgrammeFactory(ministry=minepia, communes=[commune_b], name="B1", kind="equipment")
    ProgrammeFactory(owner_type="partner", ministry=None, partner="REMCESS",
                     communes=[commune_a, commune_b], name="AB",
                     start_date=datetime.date(2020, 1, 1), end_date=datetime.date(2021, 1, 1))

    def names(user, query=""):
        response = client_for(user).get(f"/api/v1/programmes/{query}")
        assert response.status_code == 200, response.content
        return sorted(row["name"] for row in response.json()["results"])

    assert names(agent_a) == ["A1", "AB"]
    assert names(analyst) == ["A1", "AB", "B1"]
    assert names(analyst, "?commune=CM901001002") == ["AB", "B1"]
    assert names(analyst, "?ministry=MINEPIA") == ["B1"]
    assert names(analyst, "?kind=equipment") == ["B1"]
    assert names(analyst, "?owner_type=partner") == ["AB"]
    assert names(analyst, "?year=2020") == ["AB"]
    assert client_for(analyst).get("/api/v1/programmes/?year=abc").status_code == 400


def test_it_lists_programmes_and_enrolments_in_a_fixed_number_of_queries(analyst, minader,
                                                                         commune_a, cassava):
    def counts():
        client = client_for(analyst)
        client.get("/api/v1/programmes/")  # the session and the role, cached
        with CaptureQueriesContext(connection) as programmes:
            assert client.get("/api/v1/programmes/").status_code == 200
        with CaptureQueriesContext(connection) as enrolments:
            assert client.get("/api/v1/enrolments/").status_code == 200
        return len(programmes), len(enrolments)

    programme = ProgrammeFactory(ministry=minader, communes=[commune_a])
    EnrolmentFactory(programme=programme,
                     organisation=OrganisationFactory(commune=commune_a,
                                                      primary_filiere=cassava))
    few = counts()
    for _ in range(4):
        more = ProgrammeFactory(ministry=minader, communes=[commune_a, CommuneFactory()])
        EnrolmentFactory(programme=more, organisation=OrganisationFactory(
            commune=commune_a, primary_filiere=cassava))
    assert counts() == few


def test_it_exports_the_enrolments_as_csv_with_the_organisations(agent_a, minader, org_a,
                                                                commune_a):
    programme = ProgrammeFactory(ministry=minader, communes=[commune_a], name="PNDFM")
    EnrolmentFactory(programme=programme, organisation=org_a, outcome="completed")
    response = client_for(agent_a).get("/api/v1/enrolments/?format=csv&outcome=completed")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    header, row = response.content.decode().splitlines()
    assert header.split(",")[:8] == ["id", "programme", "programme_name", "owner_type", "owner",
                                     "kind", "organisation", "organisation_name"]
    assert f"PNDFM,ministry,MINADER,training,{org_a.pk},{org_a.name},{commune_a.pcode}" in row


def test_it_hides_enrolments_of_other_communes(agent_a, agent_b, minader, org_a, org_b,
                                               commune_a, commune_b):
    programme = ProgrammeFactory(ministry=minader, communes=[commune_a, commune_b])
    EnrolmentFactory(programme=programme, organisation=org_a)
    theirs = EnrolmentFactory(programme=programme, organisation=org_b)
    rows = client_for(agent_a).get("/api/v1/enrolments/").json()["results"]
    assert [row["organisation"] for row in rows] == [org_a.pk]
    listed = client_for(agent_a).get("/api/v1/programmes/").json()["results"]
    assert [row["enrolled"] for row in listed] == [1]
    assert client_for(agent_a).get(f"/api/v1/enrolments/{theirs.pk}/").status_code == 404
    # The API deletes nothing (an enrolment ends with its outcome, "dropped out"): 405.
    assert client_for(agent_a).delete(f"/api/v1/enrolments/{theirs.pk}/").status_code == 405
    assert Enrolment.objects.count() == 2


def test_it_records_through_the_api_as_through_the_service(analyst, minader, minepia,
                                                          commune_a):
    client = client_for(analyst)
    body = {"name": "PNDFM", "owner_type": "ministry", "ministry": "MINADER",
            "kind": "finance", "start_date": "2025-01-01", "communes": ["CM901001001"],
            "budget": 2_000_000}
    response = client.post("/api/v1/programmes/", body, content_type="application/json")
    assert response.status_code == 201, response.content
    assert response.json()["communes"] == ["CM901001001"]
    assert response.json()["owner"] == "MINADER"
    refused = client.post("/api/v1/programmes/", {**body, "ministry": "MINEPIA"},
                          content_type="application/json")
    assert refused.status_code == 403
    assert Programme.objects.count() == 1


# ---- pages


def test_it_shows_the_support_an_organisation_received_in_one_query(agent_a, minader,
                                                                    org_a, commune_a):
    client = client_for(agent_a)
    url = f"/organisations/{org_a.pk}/"
    client.get(url)
    with CaptureQueriesContext(connection) as empty:
        page = client.get(url)
    assert "No support programme recorded." in page.content.decode()
    for kind, name in (("training", "Formation MINADER"), ("equipment", "Matériel agricole")):
        programme = ProgrammeFactory(ministry=minader, kind=kind, name=name,
                                     communes=[commune_a])
        EnrolmentFactory(programme=programme, organisation=org_a, outcome="completed",
                         note="12 membres formés")
    with CaptureQueriesContext(connection) as full:
        page = client.get(url)
    text = page.content.decode()
    assert "Support received" in text and "Formation MINADER" in text
    assert "Matériel agricole" in text and "12 membres formés" in text and "Completed" in text
    assert len(full) == len(empty)


def test_it_records_a_programme_and_an_enrolment_through_the_pages(agent_a, org_a, commune_a):
    client = client_for(agent_a)
    response = client.post("/support/programmes/new/", {
        "name": "Convention territoriale", "kind": "convention", "owner_type": "commune",
        "owner_commune": commune_a.pcode, "start_date": "2025-01-01", "budget": 0,
        "communes": ""})
    programme = Programme.objects.get()
    assert response.status_code == 302 and response.url == f"/support/programmes/{programme.pk}/"
    response = client.post(f"/support/programmes/{programme.pk}/enrol/", {
        "organisation": org_a.pk, "start_date": "2025-02-01", "outcome": "ongoing"})
    assert response.status_code == 302
    assert programme.enrolments.get().organisation == org_a
    detail = client.get(f"/support/programmes/{programme.pk}/").content.decode()
    assert org_a.name in detail


def test_it_shows_the_form_again_with_the_broken_rules(agent_a, commune_a):
    response = client_for(agent_a).post("/support/programmes/new/", {
        "name": "Sans propriétaire", "kind": "training", "owner_type": "commune",
        "owner_commune": "", "start_date": "2025-01-01", "budget": 0,
        "communes": "CM999"})
    assert response.status_code == 200
    assert "Unknown P-code: CM999." in response.content.decode()
    assert Programme.objects.count() == 0


# ---- reports


def test_it_queues_the_reports_of_the_communes_a_change_touches(monkeypatch, agent_a, minader,
                                                                 analyst, org_a, commune_a,
                                                                 commune_b, commune_c,
                                                                 django_capture_on_commit_callbacks):
    queued = []
    monkeypatch.setattr("reports.signals.queue_commune_reports", queued.append)
    with django_capture_on_commit_callbacks(execute=True):
        programme = record(analyst, owner_type="ministry", ministry=minader,
                           communes=[commune_b])
    assert queued and set(queued) == {commune_b.pk}
    queued.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.programme_update(user=analyst, programme=programme,
                                  communes=[commune_b, commune_c])
    assert set(queued) == {commune_b.pk, commune_c.pk}
    queued.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.enrolment_record(user=agent_a, programme=programme, organisation=org_a,
                                  start_date=JAN)
    assert set(queued) == {commune_a.pk}


def test_it_offers_to_enrol_only_to_those_who_may(agent_a, analyst, rep_a, minepia,
                                                  commune_a):
    programme = ProgrammeFactory(ministry=minepia, communes=[commune_a])
    url = f"/support/programmes/{programme.pk}/"
    offers = {name: "Enrol an organisation" in client_for(user).get(url).content.decode()
              for name, user in (("agent_a", agent_a), ("analyst", analyst), ("rep_a", rep_a))}
    assert offers == {"agent_a": True, "analyst": False, "rep_a": False}
