"""No personal data in any answer a ministry analyst or a departmental or regional reviewer
can reach: every endpoint, every level and grouping, JSON and CSV, token and session,
including the errors of refused writes."""

import datetime

import pytest
from django.utils import timezone

from cooperatives import services
from cooperatives.models import BureauMember, CooperationLink, LinkStatus, Reless
from cooperatives.selectors import GROUPINGS, LEVELS
from diagnostics.models import DiagnosticActor
from reports.convergence import convergence_for_commune
from reports.cooperation import cooperation_for_commune
from reports.models import ReportRun

from ..api_helpers import PERSONAL_DATA, api_client, assert_no_personal_data
from ..factories import DiagnosticFactory, EntryFactory, InterventionFactory

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


# Reviewers (MINPMEESA's delegations) -------------------------------------------------------
# Besides the organisations' contacts: the free-text description, a phone changed later (in
# the history), a RELESS bureau member, a diagnostic actor who is a person, the author of an
# edit (a history's `user`), all in the reviewers' territory (commune A).
BUREAU_NAME, CHIEF_NAME, NEW_PHONE = "Chantal Bureau", "Chef Fon Secret", "655123456"
REVIEWER_SECRETS = (*PERSONAL_DATA, "Awa Secret", BUREAU_NAME, CHIEF_NAME, NEW_PHONE)


@pytest.fixture
def territory(org_a, org_b, commune_a, agent_a, agriculture, minader, cassava):
    """Commune A's records with people in them, and org_a edited by its CTD agent."""
    reless = Reless.objects.create(commune=commune_a, name="RELESS Alpha")
    BureauMember.objects.create(reless=reless, person_name=BUREAU_NAME, office="president",
                                organisation=org_a, mandate_start=datetime.date(2024, 1, 1))
    diagnostic = DiagnosticFactory(commune=commune_a, year=2025)
    EntryFactory(diagnostic=diagnostic, sector=agriculture, priority_rank=1)
    DiagnosticActor.objects.create(diagnostic=diagnostic, name=CHIEF_NAME,
                                   kind=DiagnosticActor.Kind.TRADITIONAL)
    intervention = InterventionFactory(ministry=minader, commune=commune_a, filiere=cassava,
                                       sector=agriculture, beneficiaries=[org_a])
    services.organisation_update(user=agent_a, organisation=org_a,
                                 contact_phone="+237 655 123 456", members_total=30)
    CooperationLink.objects.create(source=org_a, target=org_b, kind="joint_sale",
                                   status=LinkStatus.CONFIRMED, source_confirmed=True,
                                   target_confirmed=True)
    now = timezone.now()
    for kind, result in (
            ("convergence", convergence_for_commune(commune_a, year=2025)),
            ("cooperation", cooperation_for_commune(commune_a, on=datetime.date(2025, 6, 30)))):
        ReportRun.objects.create(kind=kind, commune=commune_a, scope=commune_a.pcode,
                                 year=2025, status=ReportRun.Status.DONE, result=result,
                                 queued_at=now, started_at=now, finished_at=now)
    return {"diagnostic": diagnostic, "intervention": intervention}


def reviewer_urls(org_a, org_b, territory) -> list[str]:
    """What a reviewer of commune A's department or region reads through the API."""
    diagnostic, intervention = territory["diagnostic"].pk, territory["intervention"].pk
    return [*reachable_urls(org_a, org_b),
            "/api/v1/organisations/?commune=CM901001001",
            "/api/v1/organisations/?department=CM901001&ordering=-members_total",
            f"/api/v1/organisations/{org_a.pk}/history/",
            f"/api/v1/organisations/{org_b.pk}/history/",
            "/api/v1/diagnostics/", f"/api/v1/diagnostics/{diagnostic}/",
            f"/api/v1/diagnostics/{diagnostic}/history/",
            "/api/v1/interventions/", f"/api/v1/interventions/{intervention}/",
            f"/api/v1/interventions/{intervention}/history/",
            "/api/v1/reports/convergence/?commune=CM901001001",
            "/api/v1/reports/cooperation/?commune=CM901001001",
            "/api/v1/signoff/CM901001001/2025/",
            "/api/v1/scorecards/", "/api/v1/scorecards/CM901001001/"]


def assert_no_reviewer_secret(response) -> None:
    body = response.content.decode()
    leaks = [secret for secret in REVIEWER_SECRETS if secret in body]
    assert not leaks, f"{leaks} leaked in {response.request['PATH_INFO']}"


@pytest.mark.parametrize("who", ["dept_reviewer", "region_reviewer"])
@pytest.mark.parametrize("session", [False, True], ids=["token", "session"])
def test_it_never_shows_a_reviewer_personal_data(request, org_a, org_b, territory, who,
                                                 session):
    client = api_client(request.getfixturevalue(who), session=session)
    for url in reviewer_urls(org_a, org_b, territory):
        response = client.get(url)
        assert response.status_code == 200, url
        assert_no_reviewer_secret(response)
        if url.startswith("/api/v1/schema/"):
            continue
        assert b"contact_name" not in response.content, url
        if "/history/" in url:  # the edit is there, its author is not
            assert [row["user"] for row in response.json()] == [None] * len(response.json())
            assert b"agent_a" not in response.content, url
        sep = "&" if "?" in url else "?"
        csv = client.get(f"{url}{sep}format=csv")
        if csv.status_code == 200:  # where the endpoint has a CSV rendering
            assert_no_reviewer_secret(csv)
            assert b"contact_name" not in csv.content, url


@pytest.mark.parametrize("who", ["dept_reviewer", "region_reviewer", "far_reviewer"])
def test_it_never_echoes_personal_data_to_a_refused_reviewer(request, org_a, territory, who):
    client = api_client(request.getfixturevalue(who))
    for method in ("put", "patch"):
        response = getattr(client, method)(f"/api/v1/organisations/{org_a.pk}/",
                                           {"contact_name": "Awa Secret"}, format="json")
        assert response.status_code == (404 if who == "far_reviewer" else 403)
        assert_no_reviewer_secret(response)
    response = client.post("/api/v1/organisations/", {
        "name": "Coop", "legal_form": "scoops", "commune": "CM901001001",
        "primary_filiere": "manioc", "contact_name": "Awa Secret"}, format="json")
    assert response.status_code == 403
    assert_no_reviewer_secret(response)


def test_it_answers_a_far_reviewer_404_on_the_territory_it_does_not_review(
        org_a, territory, far_reviewer):
    client = api_client(far_reviewer)
    diagnostic, intervention = territory["diagnostic"].pk, territory["intervention"].pk
    for url in (f"/api/v1/organisations/{org_a.pk}/", f"/api/v1/organisations/{org_a.pk}/history/",
                f"/api/v1/diagnostics/{diagnostic}/", f"/api/v1/interventions/{intervention}/",
                "/api/v1/communes/CM901001001/aggregates/", "/api/v1/scorecards/CM901001001/"):
        response = client.get(url)
        assert response.status_code == 404, url
        assert_no_reviewer_secret(response)
    assert client.get("/api/v1/organisations/").json()["count"] == 0
