"""Verification visits (proof of existence): the 24-month cutoff, the service and the latest
visit kept on the organisation, the flag, the pages, the API, the `verified` filter of the
lists and the aggregates (counted live, never from the summaries), the exports."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from cooperatives import api, exports
from cooperatives.access import ExportLog
from cooperatives.duplicate_decisions import duplicate_merge
from cooperatives.models import (
    DuplicateFlag,
    Organisation,
    VerificationVisit,
    verification_cutoff,
)
from cooperatives.permissions import organisations_listed_for
from cooperatives.verification import verification_flag, verification_record

from ..api_helpers import api_client, build_registry
from ..conftest import client_for
from ..factories import OrganisationFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_cache")]
TODAY = timezone.localdate()
CUTOFF = verification_cutoff(TODAY)


def days_ago(n: int) -> datetime.date:
    return TODAY - datetime.timedelta(days=n)


# The cutoff ---------------------------------------------------------------------------------

@pytest.mark.parametrize("today, cutoff", [
    (datetime.date(2026, 12, 6), datetime.date(2024, 12, 6)),
    (datetime.date(2026, 1, 31), datetime.date(2024, 1, 31)),
    (datetime.date(2028, 2, 29), datetime.date(2026, 2, 28)),  # no 29 February in 2026
    (datetime.date(2026, 3, 31), datetime.date(2024, 3, 31)),
])
def test_it_puts_the_cutoff_24_months_before_the_day(today, cutoff):
    assert verification_cutoff(today) == cutoff


def test_it_follows_the_months_setting(settings):
    settings.VERIFICATION_MONTHS = 6
    assert verification_cutoff(datetime.date(2026, 3, 31)) == datetime.date(2025, 9, 30)


# The service and the latest visit -----------------------------------------------------------

def record(user, organisation, **values):
    return verification_record(user=user, organisation=organisation,
                               **{"visited_on": TODAY, "outcome": "active", **values})


def test_it_keeps_the_latest_visit_on_the_organisation(agent_a, org_a):
    assert (org_a.last_verified_on, org_a.last_verification_outcome) == (None, "")
    record(agent_a, org_a, visited_on=days_ago(10), outcome="dormant")
    record(agent_a, org_a, visited_on=days_ago(400), outcome="not_found")  # entered late
    stored = Organisation.objects.get(pk=org_a.pk)
    assert (stored.last_verified_on, stored.last_verification_outcome) == (
        days_ago(10), "dormant")
    record(agent_a, org_a, visited_on=days_ago(10), outcome="moved", new_locality="Ekié")
    stored = Organisation.objects.get(pk=org_a.pk)
    # Same day: the one recorded last is the latest.
    assert stored.last_verification_outcome == "moved"
    assert org_a.verifications.count() == 3
    assert stored.status == "active" and stored.locality == ""  # information only


def test_it_leaves_the_history_and_the_update_time_alone(agent_a, org_a):
    records, updated = org_a.history.count(), org_a.updated_at
    record(agent_a, org_a)
    org_a.refresh_from_db()
    assert org_a.history.count() == records and org_a.updated_at == updated


def test_an_edit_loaded_before_a_visit_does_not_put_back_the_older_one(agent_a, org_a):
    stale = Organisation.objects.get(pk=org_a.pk)
    record(agent_a, org_a, visited_on=days_ago(1), outcome="dormant")
    stale.name = "Coop Renommée"
    stale.save()
    stored = Organisation.objects.get(pk=org_a.pk)
    assert (stored.name, stored.last_verified_on, stored.last_verification_outcome) == (
        "Coop Renommée", days_ago(1), "dormant")


@pytest.mark.parametrize("values, field", [
    ({"visited_on": TODAY + datetime.timedelta(days=1)}, "visited_on"),
    ({"outcome": "vanished"}, "outcome"),
    ({"outcome": "moved", "new_locality": "  "}, "new_locality"),
    ({"latitude": 4.0}, "longitude"),
    ({"latitude": 40.0, "longitude": 11.0}, "latitude"),
])
def test_it_refuses_a_bad_visit_and_writes_nothing(agent_a, org_a, values, field):
    with pytest.raises(ValidationError) as error:
        record(agent_a, org_a, **values)
    assert field in error.value.message_dict
    assert VerificationVisit.objects.count() == 0
    org_a.refresh_from_db()
    assert org_a.last_verified_on is None


@pytest.mark.parametrize("role", ["agent_b", "rep_a", "analyst", "dept_reviewer"])
def test_only_the_communes_agents_and_admins_record_visits(request, org_a, role):
    with pytest.raises(PermissionDenied):
        record(request.getfixturevalue(role), org_a)
    assert VerificationVisit.objects.count() == 0


def test_an_admin_records_a_visit_anywhere(admin_user, org_b):
    visit = record(admin_user, org_b, latitude=4.05, longitude=9.7, note="Vu le bureau")
    assert (visit.visited_by, visit.latitude, visit.note) == (admin_user, 4.05, "Vu le bureau")


# The flag and the queryset ---------------------------------------------------------------------

@pytest.fixture
def visited(agent_a, commune_a, cassava, org_a):
    """Commune A: org_a never visited; five organisations visited at the edges."""
    made = {}
    for name, day, outcome in [("on_cutoff", CUTOFF, "active"),
                               ("day_before", CUTOFF - datetime.timedelta(days=1), "active"),
                               ("dormant", days_ago(5), "dormant"),
                               ("moved", days_ago(5), "moved"),
                               ("not_found", days_ago(5), "not_found")]:
        made[name] = OrganisationFactory(name=name, commune=commune_a, primary_filiere=cassava)
        record(agent_a, made[name], visited_on=day, outcome=outcome,
               new_locality="Ailleurs" if outcome == "moved" else "")
    return made


def test_it_counts_verified_organisations_exactly(visited, commune_a):
    organisations = Organisation.objects.in_commune(commune_a)
    assert sorted(organisations.verified().values_list("name", flat=True)) == [
        "dormant", "moved", "on_cutoff"]
    assert sorted(organisations.unverified().values_list("name", flat=True)) == [
        "Coop Manioc Alpha", "day_before", "not_found"]


def test_it_says_why_an_organisation_is_flagged(visited, org_a):
    with translation.override("fr"):
        assert verification_flag(org_a) == "Jamais vérifiée par une visite."
        assert verification_flag(visited["on_cutoff"]) == ""
        assert "Pas vérifiée depuis le" in verification_flag(visited["day_before"])
        assert "Introuvable lors de la dernière visite" in verification_flag(
            visited["not_found"])


def test_a_merge_keeps_the_latest_visit_of_both(agent_a, org_a, commune_a, cassava):
    twin = OrganisationFactory(name="COOP MANIOC ALPHA", commune=commune_a,
                               primary_filiere=cassava)
    record(agent_a, org_a, visited_on=days_ago(900), outcome="active")
    record(agent_a, twin, visited_on=days_ago(20), outcome="dormant")
    flag = DuplicateFlag.objects.create(org_a=org_a, org_b=twin, reasons=["name"])
    kept = duplicate_merge(user=agent_a, flag=flag, keep=org_a)
    assert kept.verifications.count() == 2
    org_a.refresh_from_db()
    twin.refresh_from_db()
    assert (org_a.last_verified_on, org_a.last_verification_outcome) == (days_ago(20),
                                                                         "dormant")
    assert (twin.status, twin.last_verified_on, twin.last_verification_outcome) == (
        "dissolved", None, "")


# Pages --------------------------------------------------------------------------------------

def test_the_agent_records_a_visit_on_the_form(agent_a, org_a):
    url = reverse("organisation_verify", args=[org_a.pk])
    client = client_for(agent_a)
    page = client.get(url).content.decode()
    assert 'class="use-position"' in page and "js/forms.js" in page
    response = client.post(url, {"visited_on": days_ago(3).isoformat(), "outcome": "dormant",
                                 "latitude": "3.87", "longitude": "11.52", "note": "Fermé"})
    assert response.status_code == 302
    visit = VerificationVisit.objects.get()
    assert (visit.organisation, visit.outcome, visit.visited_by, visit.latitude) == (
        org_a, "dormant", agent_a, 3.87)
    detail = client.get(reverse("organisation_detail", args=[org_a.pk])).content.decode()
    assert "Trouvée en sommeil" in detail and "Fermé" in detail
    assert "archivez-la en sommeil" in detail  # the visit disagrees with the status
    assert "Non vérifiée" not in detail


def test_the_form_shows_the_errors_again(agent_a, org_a):
    response = client_for(agent_a).post(reverse("organisation_verify", args=[org_a.pk]),
                                        {"visited_on": TODAY.isoformat(), "outcome": "moved"})
    assert response.status_code == 200
    assert "Dites où l&#x27;organisation s&#x27;est installée." in response.content.decode()
    assert VerificationVisit.objects.count() == 0


def test_the_page_and_the_list_flag_an_unverified_organisation(agent_a, visited, commune_a):
    client = client_for(agent_a)
    detail = client.get(reverse("organisation_detail", args=[visited["not_found"].pk]))
    assert "Non vérifiée" in detail.content.decode()
    url = reverse("organisation_list", args=[commune_a.pcode])
    page = client.get(url + "?verified=false").content.decode()
    assert "3 organisations" in page
    assert page.count('class="badge warning"') == 3
    page = client.get(url + "?verified=true").content.decode()
    assert "3 organisations" in page and 'class="badge warning"' not in page
    assert client.get(url + "?verified=maybe").status_code == 200  # the form says why


def test_the_list_costs_the_same_queries_with_visits(agent_a, visited, commune_a, cassava):
    client = client_for(agent_a)
    url = reverse("organisation_list", args=[commune_a.pcode]) + "?per_page=50"
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for _ in range(10):
        record(agent_a, OrganisationFactory(commune=commune_a, primary_filiere=cassava),
               outcome="dormant")
    client.get(url)
    with CaptureQueriesContext(connection) as more:
        client.get(url)
    assert len(more) == len(few)


# API ----------------------------------------------------------------------------------------

def api_url(organisation) -> str:
    return f"/api/v1/organisations/{organisation.pk}/verifications/"


def test_the_api_records_and_lists_visits(agent_a, org_a):
    client = api_client(agent_a)
    response = client.post(api_url(org_a), {"visited_on": days_ago(2).isoformat(),
                                            "outcome": "moved", "new_locality": "Nkolbisson",
                                            "latitude": 3.87, "longitude": 11.45,
                                            "note": "Nouveau magasin"}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["outcome"], body["new_locality"], body["visited_by"], body["note"]) == (
        "moved", "Nkolbisson", "agent_a", "Nouveau magasin")
    rows = client.get(api_url(org_a)).json()["results"]
    assert [r["id"] for r in rows] == [body["id"]]
    organisation = client.get(f"/api/v1/organisations/{org_a.pk}/").json()
    assert (organisation["last_verified_on"], organisation["last_verification_outcome"],
            organisation["verified"]) == (days_ago(2).isoformat(), "moved", True)


def test_the_api_hides_who_where_and_the_note_from_analysts(agent_a, org_a, analyst):
    record(agent_a, org_a, latitude=4.0, longitude=11.0, note="Awa Secret était là")
    response = api_client(analyst).get(api_url(org_a))
    assert response.status_code == 200
    [row] = response.json()["results"]
    assert (row["outcome"], row["visited_by"], row["latitude"], row["note"]) == (
        "active", None, None, None)
    assert "Awa Secret" not in response.content.decode()


@pytest.mark.parametrize("body, field", [
    ({"visited_on": (TODAY + datetime.timedelta(days=3)).isoformat(), "outcome": "active"},
     "visited_on"),
    ({"visited_on": "2026-01-01", "outcome": "gone"}, "outcome"),
    ({"visited_on": "2026-01-01", "outcome": "moved"}, "new_locality"),
    ({"outcome": "active"}, "visited_on"),
])
def test_the_api_answers_400_with_the_field(agent_a, org_a, body, field):
    response = api_client(agent_a).post(api_url(org_a), body, format="json")
    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert VerificationVisit.objects.count() == 0


def test_the_api_lists_visits_in_a_fixed_number_of_queries(agent_a, org_a):
    for n in range(12):
        record(agent_a, org_a, visited_on=days_ago(n))
    client = api_client(agent_a)
    client.get(api_url(org_a))
    with CaptureQueriesContext(connection) as many:
        assert len(client.get(api_url(org_a)).json()["results"]) == 12
    VerificationVisit.objects.filter(pk__in=list(
        VerificationVisit.objects.values_list("pk", flat=True)[:10])).delete()
    with CaptureQueriesContext(connection) as few:
        assert len(client.get(api_url(org_a)).json()["results"]) == 2
    assert len(many) == len(few)


# Aggregates ---------------------------------------------------------------------------------

@pytest.fixture
def registry(org_a, org_b, commune_a, commune_c, maize, cassava, poultry, agent_a, admin_user):
    """tests/api_helpers.build_registry; org_a and a2 verified (a2 found dormant), a3 not
    found, org_b visited too long ago."""
    built = build_registry(commune_a=commune_a, commune_c=commune_c, maize=maize,
                           cassava=cassava, poultry=poultry)
    record(agent_a, org_a, visited_on=days_ago(30))
    record(agent_a, built["a2"], visited_on=days_ago(300), outcome="dormant")
    record(agent_a, built["a3"], visited_on=days_ago(3), outcome="not_found")
    record(admin_user, org_b, visited_on=CUTOFF - datetime.timedelta(days=1))
    return built


def aggregate_rows(client, **params):
    response = client.get("/api/v1/aggregates/", {"page_size": 1000, **params})
    assert response.status_code == 200, response.content
    return [(r["pcode"], r["group"], r["organisations"], r["members"])
            for r in response.json()["results"]]


def test_the_aggregates_count_verified_organisations_live(registry, analyst, monkeypatch):
    client = api_client(analyst)
    everyone = aggregate_rows(client, by="status")
    assert everyone == [("CM901001001", "active", 2, 30), ("CM901001001", "dormant", 1, 7),
                        ("CM901001002", "active", 1, 10), ("CM902001001", "active", 1, 3)]

    def no_summaries(**kwargs):
        raise AssertionError("a verified filter cannot be answered from the summaries")

    monkeypatch.setattr(api, "summed_aggregates", no_summaries)
    assert "verified" in api.SUMMARY_UNUSABLE_FILTERS
    assert aggregate_rows(client, by="status", verified="true") == [
        ("CM901001001", "active", 2, 30)]
    assert aggregate_rows(client, by="status", verified="false") == [
        ("CM901001001", "dormant", 1, 7), ("CM901001002", "active", 1, 10),
        ("CM902001001", "active", 1, 3)]
    assert aggregate_rows(client, level="region", by="legal_form", verified="true") == [
        ("CM901", "scoops", 1, 10), ("CM901", "coop_ca", 1, 20)]


def test_a_visit_retires_the_cached_verified_aggregates(registry, analyst, agent_a):
    client = api_client(analyst)
    assert aggregate_rows(client, by="status", verified="true") == [
        ("CM901001001", "active", 2, 30)]
    record(agent_a, registry["a3"], outcome="dormant")
    assert aggregate_rows(client, by="status", verified="true") == [
        ("CM901001001", "active", 2, 30), ("CM901001001", "dormant", 1, 7)]


def test_one_communes_aggregates_take_the_filter(registry, agent_a):
    response = api_client(agent_a).get("/api/v1/communes/CM901001001/aggregates/",
                                       {"by": "status", "verified": "false"})
    assert [(r["group"], r["organisations"]) for r in response.json()["results"]] == [
        ("dormant", 1)]


def test_a_bad_verified_value_answers_400(registry, analyst):
    response = api_client(analyst).get("/api/v1/aggregates/", {"verified": "yes"})
    assert response.status_code == 400
    assert "verified" in response.json()["errors"]


def test_the_organisation_list_api_takes_the_filter(registry, analyst):
    response = api_client(analyst).get("/api/v1/organisations/", {"verified": "true"})
    assert sorted(r["name"] for r in response.json()["results"]) == [
        "Coop Céréales Alpha", "Coop Manioc Alpha"]


# Exports ------------------------------------------------------------------------------------

def test_the_exports_carry_the_latest_visit(registry, admin_user, analyst):
    with translation.override("fr"):
        table = exports.organisation_table(analyst, {"verified": "true"})
        rows = {row[1]: row for row in table.rows}
        queryset = organisations_listed_for(admin_user).filter(pk=registry["a3"].pk)
        header, row = list(exports.registry_list_rows(queryset, ExportLog(admin_user, "/p")))
    day = table.columns.index("dernière vérification le")
    outcome = table.columns.index("résultat de la dernière vérification")
    assert sorted(rows) == ["Coop Céréales Alpha", "Coop Manioc Alpha"]
    assert (rows["Coop Céréales Alpha"][day], rows["Coop Céréales Alpha"][outcome]) == (
        days_ago(300), "Trouvée en sommeil")
    assert header[-2:] == ["dernière vérification le", "résultat de la dernière vérification"]
    assert row[-2:] == [days_ago(3), "Introuvable"]
