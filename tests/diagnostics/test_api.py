"""/api/v1/diagnostics/: scoped reads, writes through the services, filters, query counts."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import ApiToken
from diagnostics import services
from diagnostics.models import DiagnosticActor, DiagnosticEntry, TerritorialDiagnostic

from ..conftest import client_for
from ..factories import CommuneFactory, DiagnosticFactory, EntryFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

URL = "/api/v1/diagnostics/"
EDIT_REFUSED = ("This diagnostic is validated and can no longer be changed. Start next year's "
                "diagnostic from it instead.")


@pytest.fixture
def draft_a(agent_a, commune_a, agriculture):
    diagnostic = services.diagnostic_create(user=agent_a, commune=commune_a, year=2025)
    services.diagnostic_entry_add(user=agent_a, diagnostic=diagnostic, sector=agriculture,
                                  need="Magasin", priority_rank=1)
    services.diagnostic_row_add(user=agent_a, diagnostic=diagnostic, model=DiagnosticActor,
                                name="Sa Majesté Fon Ndi", kind="traditional")
    return diagnostic


@pytest.fixture
def validated_a(agent_a, commune_a, livestock):
    diagnostic = services.diagnostic_create(user=agent_a, commune=commune_a, year=2024)
    services.diagnostic_entry_add(user=agent_a, diagnostic=diagnostic, sector=livestock,
                                  need="Vaccins", priority_rank=1)
    return services.diagnostic_validate(user=agent_a, diagnostic=diagnostic)


@pytest.fixture
def draft_b(agent_b, commune_b, agriculture):
    diagnostic = services.diagnostic_create(user=agent_b, commune=commune_b, year=2025)
    services.diagnostic_entry_add(user=agent_b, diagnostic=diagnostic, sector=agriculture,
                                  need="Route", priority_rank=1)
    return diagnostic


@pytest.fixture
def all_three(draft_a, validated_a, draft_b):
    return draft_a, validated_a, draft_b


def api(user):
    client = client_for(user)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def ids(response):
    assert response.status_code == 200, response.content
    return sorted(row["id"] for row in response.json()["results"])


def state():
    return (list(TerritorialDiagnostic.objects.order_by("pk").values()),
            list(DiagnosticEntry.objects.order_by("pk").values()),
            TerritorialDiagnostic.history.count(), DiagnosticEntry.history.count())


@pytest.mark.parametrize("who, expected", [
    ("admin_user", ["draft_a", "validated_a", "draft_b"]),
    ("analyst", ["draft_a", "validated_a", "draft_b"]),
    ("agent_a", ["draft_a", "validated_a"]),
    ("agent_b", ["draft_b"]),
    ("rep_a", ["validated_a"]),
    ("rep_b", []),
])
def test_it_lists_what_each_role_may_read(request, who, expected, all_three):
    objects = {"draft_a": all_three[0], "validated_a": all_three[1], "draft_b": all_three[2]}
    response = api(request.getfixturevalue(who)).get(URL)
    assert ids(response) == sorted(objects[name].pk for name in expected)


def test_it_asks_anonymous_users_to_authenticate(draft_a):
    response = api(None).get(URL)
    assert response.status_code == 401 and "detail" in response.json()
    assert api(None).post(URL, {"commune": "CM901001001", "year": 2030}).status_code == 401


def test_it_answers_with_a_token_too(analyst, draft_a):
    _token, key = ApiToken.issue(user=analyst, name="MINADER BI")
    response = api(None).get(URL, HTTP_AUTHORIZATION=f"Token {key}")
    assert ids(response) == [draft_a.pk]


@pytest.mark.parametrize("who", ["agent_b", "rep_a", "rep_b"])
def test_it_answers_404_outside_the_scope(request, who, draft_a):
    client = api(request.getfixturevalue(who))
    assert client.get(f"{URL}{draft_a.pk}/").status_code == 404
    assert client.get(f"{URL}{draft_a.pk}/history/").status_code == 404


def test_it_refuses_an_account_with_no_role_everywhere(nobody, draft_a):
    """As on every API route: 403 before anything is looked up."""
    client = api(nobody)
    for path in ("", f"{draft_a.pk}/", f"{draft_a.pk}/history/"):
        response = client.get(f"{URL}{path}")
        assert response.status_code == 403
        assert response.json() == {"detail": "Your account has no role on the platform."}


def test_it_nests_the_rows(agent_a, draft_a):
    body = api(agent_a).get(f"{URL}{draft_a.pk}/").json()
    assert (body["commune"], body["year"], body["status"], body["source"]) == (
        "CM901001001", 2025, "draft", "pcd")
    assert [(e["sector"], e["ministry"], e["need"], e["priority_rank"]) for e in
            body["entries"]] == [("agriculture", "MINADER", "Magasin", 1)]
    assert [a["name"] for a in body["actors"]] == ["Sa Majesté Fon Ndi"]


def test_it_keeps_names_of_people_from_analysts(analyst, draft_a):
    body = api(analyst).get(f"{URL}{draft_a.pk}/").json()
    assert [(a["name"], a["kind"]) for a in body["actors"]] == [(None, "traditional")]
    history = api(analyst).get(f"{URL}{draft_a.pk}/history/").json()
    assert {c["user"] for c in history} == {None}
    assert "Sa Majesté" not in str(history)


def test_it_shows_the_history_to_the_communes_agent(agent_a, draft_a):
    history = api(agent_a).get(f"{URL}{draft_a.pk}/history/").json()
    assert [(c["user"], c["action"], c["kind"]) for c in history][-1] == (
        "agent_a", "created", "territorial diagnostic")
    assert len(history) == 3


@pytest.mark.parametrize("query, count", [
    ("commune=CM901001001", 2), ("commune=CM901001002", 1), ("year=2024", 1),
    ("status=draft", 2), ("status=validated&commune=CM901001001", 1), ("year=2025&status=draft",
                                                                         2),
])
def test_it_filters(admin_user, all_three, query, count):
    assert len(ids(api(admin_user).get(f"{URL}?{query}"))) == count


@pytest.mark.parametrize("query", ["year=abc", "year=99999", "year=-1", "commune=CM000",
                                   "status=archived", "page=abc", "page=999"])
def test_it_answers_400_or_404_to_bad_filters_never_500(admin_user, all_three, query):
    response = api(admin_user).get(f"{URL}?{query}")
    assert response.status_code in (400, 404)
    assert "detail" in response.json()


def test_it_creates_a_draft_for_the_communes_agent(agent_a, commune_a):
    response = api(agent_a).post(URL, {"commune": "CM901001001", "year": 2026},
                                 content_type="application/json")
    assert response.status_code == 201, response.content
    assert response.json()["status"] == "draft"
    assert TerritorialDiagnostic.objects.get().history.get().history_user == agent_a


@pytest.mark.parametrize("who", ["agent_b", "analyst", "rep_a", "nobody"])
def test_it_refuses_a_draft_in_a_commune_outside_the_scope(request, who, commune_a):
    response = api(request.getfixturevalue(who)).post(
        URL, {"commune": "CM901001001", "year": 2026}, content_type="application/json")
    assert response.status_code == 403 and "detail" in response.json()
    assert not TerritorialDiagnostic.objects.exists()


@pytest.mark.parametrize("body, field", [
    ({"commune": "CM999", "year": 2026}, "commune"),
    ({"commune": "CM901001001", "year": 99999}, "year"),
    ({"commune": "CM901001001", "year": 2026, "source": "rumour"}, "source"),
    ({"commune": "CM901001001"}, "year"),
])
def test_it_answers_400_to_bad_input(agent_a, commune_a, body, field):
    response = api(agent_a).post(URL, body, content_type="application/json")
    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert not TerritorialDiagnostic.objects.exists()


def test_it_updates_a_draft(agent_a, draft_a):
    response = api(agent_a).patch(f"{URL}{draft_a.pk}/", {"source": "other"},
                                  content_type="application/json")
    assert response.status_code == 200 and response.json()["source"] == "other"


def test_it_refuses_to_update_a_validated_diagnostic(agent_a, validated_a, livestock):
    client = api(agent_a)
    before = state()
    response = client.patch(f"{URL}{validated_a.pk}/", {"year": 2020},
                            content_type="application/json")
    assert response.status_code == 400 and response.json()["detail"] == EDIT_REFUSED
    response = client.post(f"{URL}{validated_a.pk}/entries/", {
        "sector": "elevage", "need": "X", "priority_rank": 2}, content_type="application/json")
    assert response.status_code == 400 and response.json()["detail"] == EDIT_REFUSED
    assert state() == before


@pytest.mark.parametrize("who, code", [("agent_b", 404), ("rep_a", 404), ("analyst", 403),
                                       ("nobody", 403)])
def test_it_refuses_writes_to_a_draft_outside_the_scope(request, who, code, draft_a):
    client = api(request.getfixturevalue(who))
    before = state()
    base = f"{URL}{draft_a.pk}/"
    assert client.patch(base, {"year": 2000}, content_type="application/json").status_code == code
    assert client.put(base, {"year": 2000, "source": "pcd"},
                      content_type="application/json").status_code == code
    assert client.post(f"{base}entries/", {"sector": "agriculture", "need": "X",
                                           "priority_rank": 9},
                       content_type="application/json").status_code == code
    assert client.post(f"{base}validate/", content_type="application/json").status_code == code
    assert client.post(f"{base}copy/", {"year": 2030},
                       content_type="application/json").status_code == code
    assert state() == before


def test_it_lets_a_representative_read_but_not_change_a_validated_diagnostic(rep_a,
                                                                            validated_a):
    client = api(rep_a)
    before = state()
    assert client.get(f"{URL}{validated_a.pk}/").status_code == 200
    response = client.patch(f"{URL}{validated_a.pk}/", {"year": 2000},
                            content_type="application/json")
    assert response.status_code == 403
    assert state() == before


def test_it_adds_entries_with_the_rank_rule(agent_a, draft_a):
    client = api(agent_a)
    url = f"{URL}{draft_a.pk}/entries/"
    body = {"sector": "agriculture", "level": "urban", "need": "Semences", "priority_rank": 2}
    response = client.post(url, body, content_type="application/json")
    assert response.status_code == 201 and response.json()["ministry"] == "MINADER"
    response = client.post(url, {**body, "need": "Autre"}, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["detail"] == "This priority rank is already used in this sector."
    response = client.post(url, {**body, "sector": "nothing", "priority_rank": 0},
                           content_type="application/json")
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"sector", "priority_rank"}
    assert draft_a.entries.count() == 2


def test_it_validates_once(agent_a, draft_a):
    client = api(agent_a)
    response = client.post(f"{URL}{draft_a.pk}/validate/", content_type="application/json")
    assert response.status_code == 200 and response.json()["status"] == "validated"
    assert response.json()["validated_at"]
    again = client.post(f"{URL}{draft_a.pk}/validate/", content_type="application/json")
    assert again.status_code == 400
    assert again.json()["detail"] == "This diagnostic is already validated."


def test_it_copies_to_another_year(agent_a, draft_a):
    response = api(agent_a).post(f"{URL}{draft_a.pk}/copy/", {"year": 2026},
                                 content_type="application/json")
    assert response.status_code == 201
    body = response.json()
    assert (body["year"], body["status"], len(body["entries"]), len(body["actors"])) == (
        2026, "draft", 1, 1)


def test_it_keeps_the_query_count_independent_of_the_page_size(admin_user, agriculture,
                                                               livestock):
    for n in range(6):
        diagnostic = DiagnosticFactory(commune=CommuneFactory(), year=2020 + n)
        for rank in (1, 2, 3):
            EntryFactory(diagnostic=diagnostic, sector=agriculture, priority_rank=rank)
        EntryFactory(diagnostic=diagnostic, sector=livestock, priority_rank=1)
        diagnostic.project_ideas.create(title="Idée")
        diagnostic.actors.create(name="Acteur", sector=agriculture)
        diagnostic.resources.create(kind="human", description="Jeunes")
    client = api(admin_user)
    client.get(URL)  # warm the session and role caches out of the counts

    def count(size):
        with CaptureQueriesContext(connection) as queries:
            response = client.get(f"{URL}?page_size={size}")
        assert response.status_code == 200
        return len(queries), len(response.json()["results"])

    small, large = count(1), count(50)
    assert (small[1], large[1]) == (1, 6)
    assert small[0] == large[0]
