"""Every API endpoint × every method × every member of the cast, plus an expired and a revoked
token and a session login. Denied writes leave the database as it was."""

import pytest
from django.core.cache import cache

from cooperatives.models import Organisation, OrganisationFiliere, RegistryEvent

from ..api_helpers import FAST_HASHERS, api_client

pytestmark = pytest.mark.django_db

PRINCIPALS = ("anonymous", "nobody", "agent_a", "agent_b", "rep_a", "rep_b", "analyst",
              "admin_user", "expired_token", "revoked_token")

# Endpoint → expected status per principal. org_a sits in commune A (CM901001001).
A = "CM901001001"
PUBLIC_READ = {p: 200 for p in PRINCIPALS} | {"expired_token": 401, "revoked_token": 401}
NOT_ALLOWED = {p: 405 for p in PRINCIPALS} | {"expired_token": 401, "revoked_token": 401}
ROLE_READ = {p: 200 for p in PRINCIPALS} | {
    "anonymous": 401, "nobody": 403, "expired_token": 401, "revoked_token": 401}
ROLE_NOT_ALLOWED = {p: 405 for p in PRINCIPALS} | {
    "anonymous": 401, "nobody": 403, "expired_token": 401, "revoked_token": 401}
COMMUNE_A_READ = ROLE_READ | {"agent_b": 404, "rep_b": 404}
WRITE_ORG_A = ROLE_READ | {"agent_b": 404, "rep_b": 404, "rep_a": 403, "analyst": 403}
CREATE_IN_A = ROLE_READ | {"agent_a": 201, "admin_user": 201, "agent_b": 403, "rep_a": 403,
                           "rep_b": 403, "analyst": 403}

MATRIX = {
    ("get", "/api/v1/communes/"): PUBLIC_READ,
    ("post", "/api/v1/communes/"): NOT_ALLOWED,
    ("get", f"/api/v1/communes/{A}/"): PUBLIC_READ,
    ("put", f"/api/v1/communes/{A}/"): NOT_ALLOWED,
    ("patch", f"/api/v1/communes/{A}/"): NOT_ALLOWED,
    ("delete", f"/api/v1/communes/{A}/"): NOT_ALLOWED,
    ("get", f"/api/v1/communes/{A}/aggregates/"): COMMUNE_A_READ,
    ("post", f"/api/v1/communes/{A}/aggregates/"): ROLE_NOT_ALLOWED,
    ("get", "/api/v1/aggregates/"): ROLE_READ,
    ("post", "/api/v1/aggregates/"): ROLE_NOT_ALLOWED,
    ("get", "/api/v1/organisations/"): ROLE_READ,
    ("post", "/api/v1/organisations/"): CREATE_IN_A,
    ("get", "/api/v1/organisations/{org_a}/"): COMMUNE_A_READ,
    ("put", "/api/v1/organisations/{org_a}/"): WRITE_ORG_A,
    ("patch", "/api/v1/organisations/{org_a}/"): WRITE_ORG_A,
    ("delete", "/api/v1/organisations/{org_a}/"): ROLE_NOT_ALLOWED,
}

BODY = {"name": "Coop Nouvelle", "legal_form": "scoops", "commune": A,
        "primary_filiere": "manioc", "members_total": 8, "members_women": 2,
        "members_youth": 1, "status": "dormant"}


@pytest.fixture(autouse=True)
def _api_setup(settings):
    settings.PASSWORD_HASHERS = FAST_HASHERS
    cache.clear()


@pytest.fixture
def cast(request, org_a, org_b, agent_a, agent_b, rep_a, rep_b, analyst, admin_user, nobody):
    return {"org_a": org_a, **{name: request.getfixturevalue(name) for name in PRINCIPALS
                               if name not in ("anonymous", "expired_token", "revoked_token")}}


def client_of(principal: str, cast: dict, *, session: bool = False):
    if principal == "anonymous":
        return api_client()
    if principal in ("expired_token", "revoked_token"):
        return api_client(cast["analyst"], **{principal.split("_")[0]: True})
    return api_client(cast[principal], session=session)


def snapshot() -> tuple:
    return (list(Organisation.objects.order_by("pk").values()),
            list(OrganisationFiliere.objects.order_by("pk").values()),
            RegistryEvent.objects.count(), Organisation.history.count())


def call(client, method: str, path: str, org_a):
    url = path.format(org_a=org_a.pk)
    if method in ("post", "put", "patch"):
        body = BODY if path.startswith("/api/v1/organisations") else {}
        return getattr(client, method)(url, body, format="json")
    return getattr(client, method)(url)


@pytest.mark.parametrize("principal", PRINCIPALS)
@pytest.mark.parametrize(("method", "path"), list(MATRIX))
def test_it_answers_each_principal_as_the_matrix_says(cast, principal, method, path):
    before = snapshot()
    response = call(client_of(principal, cast), method, path, cast["org_a"])
    assert response.status_code == MATRIX[(method, path)][principal], response.content
    assert response["Content-Type"] == "application/json"
    if response.status_code >= 400:
        assert response.json()["detail"]
    if method != "get" and response.status_code >= 300:
        assert snapshot() == before


@pytest.mark.parametrize("principal", ["agent_a", "agent_b", "rep_a", "analyst", "nobody"])
@pytest.mark.parametrize(("method", "path"), [
    ("get", "/api/v1/organisations/{org_a}/"), ("patch", "/api/v1/organisations/{org_a}/"),
    ("post", "/api/v1/organisations/"), ("get", f"/api/v1/communes/{A}/aggregates/"),
])
def test_it_answers_a_session_like_a_token(cast, principal, method, path):
    expected = MATRIX[(method, path)][principal]
    # APIClient skips the CSRF check that production session writes go through (see below).
    response = call(client_of(principal, cast, session=True), method, path, cast["org_a"])
    assert response.status_code == expected


def test_it_refuses_a_session_write_without_the_csrf_token(cast):
    from rest_framework.test import APIClient

    client = APIClient(enforce_csrf_checks=True)
    client.force_login(cast["agent_a"])
    before = snapshot()
    response = client.patch(f"/api/v1/organisations/{cast['org_a'].pk}/", {"name": "X"},
                            format="json")
    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]
    assert snapshot() == before


def test_it_asks_anonymous_clients_for_a_token(cast):
    response = api_client().get("/api/v1/organisations/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"


@pytest.mark.parametrize("principal", ["agent_b", "rep_b"])
def test_it_answers_out_of_scope_like_missing(cast, principal):
    client = client_of(principal, cast)
    hidden = client.get(f"/api/v1/organisations/{cast['org_a'].pk}/")
    missing = client.get("/api/v1/organisations/987654/")
    assert (hidden.status_code, hidden.json()) == (missing.status_code, missing.json())


def test_it_hides_another_commune_from_an_agent_list(cast):
    rows = client_of("agent_b", cast).get("/api/v1/organisations/").json()["results"]
    assert [row["name"] for row in rows] == ["Coop Manioc Bêta"]
    filtered = client_of("agent_b", cast).get("/api/v1/organisations/", {"commune": A})
    assert filtered.json()["count"] == 0
