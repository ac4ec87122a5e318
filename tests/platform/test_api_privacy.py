"""No personal data in any answer a ministry analyst can reach: every endpoint, every level and
grouping, JSON and CSV, token and session, including the errors of refused writes."""

import pytest

from cooperatives.selectors import GROUPINGS, LEVELS

from ..api_helpers import PERSONAL_DATA, api_client, assert_no_personal_data

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _api_setup(org_a, fresh_cache):
    org_a.description = "Présidée par Awa Secret"  # free text can name people too
    org_a.save()


def reachable_urls(org_a, org_b) -> list[str]:
    urls = ["/api/v1/communes/", "/api/v1/communes/CM901001001/",
            "/api/v1/organisations/", "/api/v1/organisations/?page_size=1000",
            "/api/v1/organisations/?q=awa", "/api/v1/organisations/?ordering=-name",
            f"/api/v1/organisations/{org_a.pk}/", f"/api/v1/organisations/{org_b.pk}/",
            "/api/v1/schema/"]
    for by in GROUPINGS:
        urls.append(f"/api/v1/communes/CM901001001/aggregates/?by={by}")
        urls += [f"/api/v1/aggregates/?level={level}&by={by}" for level in LEVELS]
    return urls


@pytest.mark.parametrize("session", [False, True], ids=["token", "session"])
def test_it_never_shows_an_analyst_personal_data(org_a, org_b, analyst, session):
    client = api_client(analyst, session=session)
    for url in reachable_urls(org_a, org_b):
        for fmt in ("json", "csv"):
            if url.startswith("/api/v1/schema/") and fmt == "csv":
                continue
            sep = "&" if "?" in url else "?"
            response = client.get(f"{url}{sep}format={fmt}" if fmt == "csv" else url)
            assert response.status_code == 200, url
            assert_no_personal_data(response)
            assert b"contact_name" not in response.content or url.startswith("/api/v1/schema")


def test_it_never_echoes_personal_data_in_refusals(org_a, analyst):
    client = api_client(analyst)
    for method in ("put", "patch"):
        response = getattr(client, method)(f"/api/v1/organisations/{org_a.pk}/",
                                           {"contact_name": "Awa Secret"}, format="json")
        assert response.status_code == 403
        assert_no_personal_data(response)


def test_it_does_show_the_contacts_to_the_agent(org_a, agent_a):
    body = api_client(agent_a).get(f"/api/v1/organisations/{org_a.pk}/").content.decode()
    assert all(secret in body for secret in PERSONAL_DATA[:3])
