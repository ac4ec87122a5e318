"""Ministries' interventions: the rules, who may record what, the pages and the API."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from diagnostics import services
from diagnostics.models import Intervention
from diagnostics.selectors import intervention_history

from ..conftest import CAST, client_for
from ..factories import CommuneFactory, InterventionFactory, OrganisationFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

JAN = datetime.date(2025, 1, 1)
URL = "/api/v1/interventions/"


def record(user, **fields):
    values = {"programme": "PNDFM", "start_date": JAN, **fields}
    return services.intervention_record(user=user, **values)


def state():
    return (list(Intervention.objects.order_by("pk").values()),
            list(Intervention.beneficiaries.through.objects.order_by("pk").values()),
            Intervention.history.count())


# ---- rules (services)


def test_it_lets_an_analyst_record_their_ministrys_intervention_anywhere(analyst, minader,
                                                                        commune_c, cassava):
    intervention = record(analyst, ministry=minader, commune=commune_c, filiere=cassava,
                          budget=5_000_000)
    assert intervention.recorded_by == analyst
    assert intervention.sector == cassava.sector  # filled from the filière
    assert intervention.history.get().history_user == analyst


def test_it_refuses_an_analyst_another_ministrys_intervention(analyst, minepia, commune_a,
                                                              livestock):
    with pytest.raises(PermissionDenied):
        record(analyst, ministry=minepia, commune=commune_a, sector=livestock)
    assert state() == ([], [], 0)


def test_it_lets_an_agent_record_any_ministry_in_their_commune_only(agent_a, minepia,
                                                                   commune_a, commune_b,
                                                                   livestock):
    assert record(agent_a, ministry=minepia, commune=commune_a, sector=livestock).pk
    with pytest.raises(PermissionDenied):
        record(agent_a, ministry=minepia, commune=commune_b, sector=livestock)
    assert Intervention.objects.count() == 1


@pytest.mark.parametrize("who", ["rep_a", "nobody"])
def test_it_refuses_everyone_else(request, who, minader, commune_a, agriculture):
    with pytest.raises(PermissionDenied):
        record(request.getfixturevalue(who), ministry=minader, commune=commune_a,
               sector=agriculture)


@pytest.mark.parametrize("fields, errors", [
    ({}, {"sector": ["Give a filière or a sector."]}),
    ({"filiere": "poultry", "sector": "agriculture"},
     {"filiere": ["This filière belongs to another sector than the one given."]}),
    ({"sector": "agriculture", "end_date": datetime.date(2024, 12, 31)},
     {"__all__": ["An intervention cannot end before it starts."]}),
    ({"sector": "agriculture", "budget": -1},
     {"budget": ["Ensure this value is greater than or equal to 0."]}),
    ({"sector": "agriculture", "programme": ""}, {"programme": ["This field cannot be blank."]}),
])
def test_it_applies_the_rules_with_messages(request, agent_a, minader, commune_a, fields,
                                            errors):
    values = {k: request.getfixturevalue(v) if k in ("filiere", "sector") else v
              for k, v in fields.items()}
    with pytest.raises(ValidationError) as error:
        record(agent_a, ministry=minader, commune=commune_a, **values)
    assert error.value.message_dict == errors
    assert state() == ([], [], 0)


def test_it_accepts_an_intervention_of_a_single_day_and_a_zero_budget(agent_a, minader,
                                                                     commune_a, agriculture):
    intervention = record(agent_a, ministry=minader, commune=commune_a, sector=agriculture,
                          end_date=JAN, budget=0)
    assert intervention.pk


def test_it_takes_beneficiaries_among_the_communes_organisations_only(agent_a, minader,
                                                                      commune_a, agriculture,
                                                                      org_a, org_b):
    with pytest.raises(ValidationError) as error:
        record(agent_a, ministry=minader, commune=commune_a, sector=agriculture,
               beneficiaries=[org_a, org_b])
    assert error.value.message_dict == {"beneficiaries": [
        f"Beneficiaries must be organisations of the commune; these are not: {org_b.pk}."]}
    assert state() == ([], [], 0)
    intervention = record(agent_a, ministry=minader, commune=commune_a, sector=agriculture,
                          beneficiaries=[org_a])
    assert list(intervention.beneficiaries.all()) == [org_a]


def test_it_updates_and_records_one_history_row(agent_a, minader, commune_a, agriculture,
                                                org_a, cassava):
    org_a2 = OrganisationFactory(commune=commune_a, name="Deuxième", primary_filiere=cassava)
    intervention = record(agent_a, ministry=minader, commune=commune_a, sector=agriculture,
                          beneficiaries=[org_a])
    services.intervention_update(user=agent_a, intervention=intervention, budget=7,
                                 beneficiaries=[org_a2])
    assert intervention.history.count() == 3  # created, beneficiaries set, the update
    changes = intervention_history(intervention, show_people=True)
    assert [(c.action, [(f.field, f.old, f.new) for f in c.fields]) for c in changes][0] == (
        "changed", [("budget (FCFA)", 0, 7),
                    ("beneficiary organisations", "Coop Manioc Alpha", "Deuxième")])
    assert changes[0].user == "agent_a"


def test_it_keeps_an_analyst_to_their_ministry_on_update(analyst, minader, minepia, commune_a,
                                                         agriculture, livestock, agent_a):
    own = record(analyst, ministry=minader, commune=commune_a, sector=agriculture)
    with pytest.raises(PermissionDenied):
        services.intervention_update(user=analyst, intervention=own, ministry=minepia)
    other = record(agent_a, ministry=minepia, commune=commune_a, sector=livestock)
    with pytest.raises(PermissionDenied):
        services.intervention_update(user=analyst, intervention=other, budget=1)
    assert set(Intervention.objects.values_list("ministry__acronym", "budget")) == {
        ("MINADER", 0), ("MINEPIA", 0)}


# ---- pages


@pytest.fixture
def in_a(agent_a, minepia, commune_a, livestock):
    return record(agent_a, ministry=minepia, commune=commune_a, sector=livestock,
                  programme="Vaccination aviaire")


def expect(who, allowed):
    return 302 if who == "anonymous" else (200 if who in allowed else 404)


@pytest.mark.parametrize("who", CAST)
def test_it_scopes_the_pages(who, cast, in_a, minepia):
    client = client_for(cast[who])
    readers = {"agent_a", "rep_a", "analyst", "admin_user"}
    assert client.get("/interventions/c/CM901001001/").status_code == expect(who, readers)
    assert client.get(f"/interventions/{in_a.pk}/").status_code == expect(who, readers)
    assert client.get("/interventions/m/MINEPIA/").status_code == expect(
        who, {"analyst", "admin_user"})
    assert client.get("/interventions/c/CM901001001/new/").status_code == expect(
        who, {"agent_a", "analyst", "admin_user"})
    assert client.get(f"/interventions/{in_a.pk}/edit/").status_code == expect(
        who, {"agent_a", "admin_user"})


def test_it_lists_a_communes_interventions_with_filters(agent_a, in_a, minader, commune_a,
                                                        agriculture):
    old = record(agent_a, ministry=minader, commune=commune_a, sector=agriculture,
                 programme="Ancien", start_date=datetime.date(2020, 1, 1),
                 end_date=datetime.date(2021, 6, 30))
    client = client_for(agent_a)
    page = client.get("/interventions/c/CM901001001/").context["page"]
    assert [i.pk for i in page] == [in_a.pk, old.pk]
    assert [i.pk for i in client.get("/interventions/c/CM901001001/?year=2021")
            .context["page"]] == [old.pk]
    assert [i.pk for i in client.get("/interventions/c/CM901001001/?ministry=MINEPIA")
            .context["page"]] == [in_a.pk]
    response = client.get("/interventions/c/CM901001001/?year=abc")
    assert response.status_code == 200 and list(response.context["page"]) == []


def test_it_lists_a_ministrys_interventions_everywhere(analyst, minader, commune_a, commune_c,
                                                       agriculture, in_a):
    mine = [record(analyst, ministry=minader, commune=c, sector=agriculture)
            for c in (commune_a, commune_c)]
    response = client_for(analyst).get("/interventions/m/MINADER/")
    assert sorted(i.pk for i in response.context["page"]) == sorted(i.pk for i in mine)
    assert b"Record an intervention" in response.content


def test_it_refuses_an_analyst_another_ministry_in_the_form(analyst, minepia, commune_a,
                                                            livestock):
    response = client_for(analyst).post("/interventions/c/CM901001001/new/", {
        "ministry": minepia.pk, "programme": "X", "sector": livestock.pk,
        "start_date": "2025-01-01", "budget": 0})
    assert response.status_code == 403
    assert state() == ([], [], 0)


def test_it_offers_an_analyst_only_their_ministry(analyst, minader, minepia, commune_a):
    form = client_for(analyst).get("/interventions/c/CM901001001/new/").context["form"]
    assert [value for value, _label in form.fields["ministry"].widget.choices] == [
        "", minader.pk]


def test_it_records_through_the_form(analyst, minader, commune_a, cassava, org_a):
    response = client_for(analyst).post("/interventions/c/CM901001001/new/", {
        "ministry": minader.pk, "programme": "PIDMA", "filiere": cassava.pk,
        "start_date": "2025-01-01", "end_date": "2026-12-31", "budget": 1000,
        "beneficiaries": [org_a.pk]})
    intervention = Intervention.objects.get()
    assert response["Location"] == f"/interventions/{intervention.pk}/"
    assert list(intervention.beneficiaries.all()) == [org_a]


def test_it_refuses_a_beneficiary_of_another_commune_in_the_form(agent_a, minader, commune_a,
                                                                 agriculture, org_b):
    response = client_for(agent_a).post("/interventions/c/CM901001001/new/", {
        "ministry": minader.pk, "programme": "X", "sector": agriculture.pk,
        "start_date": "2025-01-01", "budget": 0, "beneficiaries": [org_b.pk]})
    assert response.status_code == 200
    assert response.context["form"].errors["beneficiaries"] == [
        f"Select a valid choice. {org_b.pk} is not one of the available choices."]
    assert state() == ([], [], 0)


def test_it_shows_form_errors_from_the_rules(agent_a, minader, commune_a, poultry,
                                             agriculture):
    response = client_for(agent_a).post("/interventions/c/CM901001001/new/", {
        "ministry": minader.pk, "programme": "X", "filiere": poultry.pk,
        "sector": agriculture.pk, "start_date": "2025-02-01", "end_date": "2025-01-01",
        "budget": -3})
    errors = response.context["form"].errors
    assert errors["budget"] == ["Ensure this value is greater than or equal to 0."]
    assert errors["__all__"] == ["An intervention cannot end before it starts."]
    assert state() == ([], [], 0)


def test_it_edits_through_the_form(agent_a, in_a, livestock, minepia):
    response = client_for(agent_a).post(f"/interventions/{in_a.pk}/edit/", {
        "ministry": minepia.pk, "programme": "Vaccination", "sector": livestock.pk,
        "start_date": "2025-01-01", "budget": 99})
    assert response.status_code == 302
    in_a.refresh_from_db()
    assert (in_a.programme, in_a.budget) == ("Vaccination", 99)
    page = client_for(agent_a).get(f"/interventions/{in_a.pk}/").content.decode()
    assert "Vaccination aviaire" in page and "agent_a" in page  # the history


def test_it_sends_the_commune_picker_to_the_form(analyst, commune_a):
    response = client_for(analyst).get("/interventions/new/?commune=CM901001001&ministry=MINADER")
    assert response["Location"] == "/interventions/c/CM901001001/new/?ministry=MINADER"
    assert client_for(analyst).get("/interventions/new/").status_code == 200


@pytest.mark.parametrize("who, code", [("anonymous", 302), ("rep_a", 404), ("nobody", 404),
                                       ("agent_a", 200), ("admin_user", 200)])
def test_it_offers_the_commune_picker_to_recorders_only(who, code, cast):
    assert client_for(cast[who]).get("/interventions/new/").status_code == code


# ---- API


@pytest.fixture
def spread(agent_a, agent_b, analyst, minader, minepia, commune_a, commune_b, commune_c,
           agriculture, livestock):
    return {
        "a_minepia": record(agent_a, ministry=minepia, commune=commune_a, sector=livestock),
        "b_minader": record(agent_b, ministry=minader, commune=commune_b, sector=agriculture,
                            start_date=datetime.date(2022, 1, 1),
                            end_date=datetime.date(2022, 12, 31)),
        "c_minader": record(analyst, ministry=minader, commune=commune_c, sector=agriculture),
    }


def api(user):
    client = client_for(user)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def names(response, spread):
    assert response.status_code == 200, response.content
    by_id = {i.pk: name for name, i in spread.items()}
    return sorted(by_id[row["id"]] for row in response.json()["results"])


@pytest.mark.parametrize("who, expected", [
    ("admin_user", ["a_minepia", "b_minader", "c_minader"]),
    ("analyst", ["a_minepia", "b_minader", "c_minader"]),
    ("agent_a", ["a_minepia"]),
    ("rep_b", ["b_minader"]),
])
def test_it_lists_the_interventions_each_role_may_read(request, who, expected, spread):
    response = api(request.getfixturevalue(who)).get(URL)
    assert names(response, spread) == expected


@pytest.mark.parametrize("query, expected", [
    ("commune=CM901001002", ["b_minader"]), ("ministry=MINADER", ["b_minader", "c_minader"]),
    ("year=2022", ["b_minader"]), ("year=2025&ministry=MINADER", ["c_minader"]),
])
def test_it_filters_interventions(admin_user, spread, query, expected):
    assert names(api(admin_user).get(f"{URL}?{query}"), spread) == expected


@pytest.mark.parametrize("query", ["commune=XX", "ministry=MINNOPE", "year=soon", "year=0",
                                   "year=123456789012"])
def test_it_answers_400_to_bad_intervention_filters(admin_user, spread, query):
    response = api(admin_user).get(f"{URL}?{query}")
    assert response.status_code == 400 and "detail" in response.json()


def test_it_hides_other_communes_interventions_from_agents(agent_b, spread):
    client = api(agent_b)
    before = state()
    pk = spread["a_minepia"].pk
    assert client.get(f"{URL}{pk}/").status_code == 404
    assert client.patch(f"{URL}{pk}/", {"budget": 1},
                        content_type="application/json").status_code == 404
    assert state() == before


def test_it_records_through_the_api(analyst, minader, commune_a, cassava, org_a):
    response = api(analyst).post(URL, {
        "ministry": "MINADER", "commune": "CM901001001", "programme": "PIDMA",
        "filiere": "manioc", "start_date": "2025-03-01", "budget": 10,
        "beneficiaries": [org_a.pk]}, content_type="application/json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["ministry"], body["commune"], body["sector"], body["beneficiaries"]) == (
        "MINADER", "CM901001001", "agriculture", [{"id": org_a.pk, "name": org_a.name}])


def test_it_refuses_an_analyst_another_ministry_through_the_api(analyst, livestock, commune_a):
    response = api(analyst).post(URL, {
        "ministry": "MINEPIA", "commune": "CM901001001", "programme": "X",
        "sector": "elevage", "start_date": "2025-03-01"}, content_type="application/json")
    assert response.status_code == 403
    assert state() == ([], [], 0)


def test_it_refuses_analyst_changes_to_another_ministrys_intervention(analyst, spread):
    before = state()
    response = api(analyst).patch(f"{URL}{spread['a_minepia'].pk}/", {"budget": 1},
                                  content_type="application/json")
    assert response.status_code == 403
    assert state() == before


@pytest.mark.parametrize("body, field", [
    ({"beneficiaries": [999999]}, "beneficiaries"),
    ({"end_date": "2020-01-01"}, "non_field_errors"),
    ({"budget": -1}, "budget"),
    ({"sector": None, "filiere": None}, "sector"),
    ({"filiere": "aviculture"}, "filiere"),
    ({"commune": "CM000"}, "commune"),
    ({"start_date": "yesterday"}, "start_date"),
])
def test_it_answers_400_with_the_rule(agent_a, minader, commune_a, agriculture, poultry, body,
                                      field):
    payload = {"ministry": "MINADER", "commune": "CM901001001", "programme": "X",
               "sector": "agriculture", "start_date": "2025-03-01", **body}
    response = api(agent_a).post(URL, payload, content_type="application/json")
    assert response.status_code == 400, response.content
    assert field in response.json()["errors"] and response.json()["detail"]
    assert state() == ([], [], 0)


def test_it_updates_through_the_api(agent_a, spread, org_a):
    response = api(agent_a).patch(f"{URL}{spread['a_minepia'].pk}/", {
        "budget": 42, "beneficiaries": [org_a.pk]}, content_type="application/json")
    assert response.status_code == 200
    assert (response.json()["budget"], len(response.json()["beneficiaries"])) == (42, 1)
    history = api(agent_a).get(f"{URL}{spread['a_minepia'].pk}/history/").json()
    assert history[0]["user"] == "agent_a" and history[0]["action"] == "changed"


def test_it_keeps_the_intervention_query_count_independent_of_the_page_size(admin_user,
                                                                           minader):
    for _n in range(6):
        commune = CommuneFactory()
        orgs = [OrganisationFactory(commune=commune) for _ in range(2)]
        InterventionFactory(ministry=minader, commune=commune, beneficiaries=orgs)
    client = api(admin_user)
    client.get(URL)

    def count(size):
        with CaptureQueriesContext(connection) as queries:
            response = client.get(f"{URL}?page_size={size}")
        return len(queries), len(response.json()["results"])

    small, large = count(1), count(50)
    assert (small[1], large[1]) == (1, 6) and small[0] == large[0]
