"""Registry health scorecards: exact figures on crafted data, the national table, the API."""

import datetime

import pytest
from django.template.loader import render_to_string
from django.utils import timezone, translation

from cooperatives.models import ChangeRequest, DuplicateFlag, Organisation
from cooperatives.scorecards import WEIGHTS, scorecard_context, scorecards, sort_scorecards
from diagnostics.models import DiagnosticQuerySet, TerritorialDiagnostic

from ..conftest import CAST, client_for
from ..factories import DiagnosticFactory, OrganisationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def crafted(commune_a, commune_b, commune_c, cassava, rep_a, org_a):
    """Commune A: org_a (a SCOOPS with members and contacts, no locality, no RSC number) and
    four crafted organisations, one of them dissolved; two pending requests on one of them,
    an open and a dismissed duplicate flag, a validated diagnostic two years ago; verification
    visits: one recent (verified), one 30 months ago, one recent that did not find the
    organisation, and the dissolved one's (outside the count).
    Commune B: nothing. Commune C: a diagnostic validated ten years ago."""
    now = timezone.now()
    full = OrganisationFactory(name="Pleine", legal_form="scoops", commune=commune_a,
                               primary_filiere=cassava, locality="V1", members_total=10,
                               contact_phone="699000111", rsc_number="R1",
                               rsc_date=datetime.date(2020, 1, 1), latitude=4.0,
                               longitude=11.0)
    empty = OrganisationFactory(name="Vide", legal_form="gic", commune=commune_a,
                                primary_filiere=cassava, members_total=0, members_women=0,
                                members_youth=0)
    half = OrganisationFactory(name="Moitié", legal_form="coop_ca", commune=commune_a,
                               primary_filiere=cassava, locality="V3", members_total=20,
                               contact_email="x@example.org")
    assoc = OrganisationFactory(name="Asso", legal_form="association", commune=commune_a,
                                primary_filiere=cassava, locality="V5", members_total=5,
                                contact_phone="677000000", latitude=4.1, longitude=11.1)
    OrganisationFactory(name="Dissoute", commune=commune_a, primary_filiere=cassava,
                        status="dissolved", latitude=1.0, longitude=1.0)
    Organisation.objects.filter(pk=empty.pk).update(updated_at=now - datetime.timedelta(days=800))
    Organisation.objects.filter(pk=assoc.pk).update(updated_at=now - datetime.timedelta(days=400))
    today = timezone.localdate()
    for organisation, days, outcome in [(full, 100, "active"), (half, 913, "active"),
                                        (assoc, 20, "not_found")]:
        Organisation.objects.filter(pk=organisation.pk).update(
            last_verified_on=today - datetime.timedelta(days=days),
            last_verification_outcome=outcome)
    Organisation.objects.filter(name="Dissoute").update(last_verified_on=today,
                                                         last_verification_outcome="dormant")
    for _ in range(2):
        ChangeRequest.objects.create(organisation=half, requested_by=rep_a,
                                     changes={"members_total": {"old": 20, "new": 21}})
    ChangeRequest.objects.create(organisation=full, requested_by=rep_a, changes={},
                                 status=ChangeRequest.Status.APPROVED)
    DuplicateFlag.objects.create(org_a=half, org_b=assoc, reasons=["phone"])
    DuplicateFlag.objects.create(org_a=full, org_b=half, reasons=["name"], status="dismissed")
    DiagnosticFactory(commune=commune_a, year=now.year - 2)
    DiagnosticFactory(commune=commune_a, year=now.year, status="draft")
    DiagnosticFactory(commune=commune_c, year=now.year - 10)
    return {"full": full}


def test_it_scores_crafted_communes_exactly(crafted, commune_a):
    a, b, c = scorecards()
    assert (a.pcode, b.pcode, c.pcode) == ("CM901001001", "CM901001002", "CM902001001")
    # required: org_a 5, full 5, empty (GIC) 3, half (COOP-CA) 5, assoc 3; filled 2+5+0+3+3
    assert (a.organisations, a.required_fields, a.filled_fields, a.completeness) == (
        5, 21, 13, 0.619)
    assert (a.fresh, a.freshness, a.with_point, a.map_points) == (3, 0.6, 2, 0.4)
    assert (a.verified, a.verification) == (1, 0.2)
    assert (a.pending_requests, a.organisations_with_pending) == (2, 1)
    assert (a.open_duplicates, a.organisations_in_duplicates) == (1, 2)
    assert a.last_diagnostic_year == timezone.now().year - 2
    assert a.points == {"completeness": 21.7, "freshness": 9.0, "map_points": 4.0,
                        "verification": 2.0, "requests": 8.0, "duplicates": 6.0,
                        "diagnostic": 10.0}
    # 35 × 13/21 + 15 × 3/5 + 10 × 2/5 + 10 × 1/5 + 10 × 4/5 + 10 × 3/5 + 10
    assert a.score == 60.7
    assert (b.organisations, b.completeness, b.freshness, b.map_points, b.verification,
            b.score) == (0, None, None, None, None, 0.0)
    assert (c.last_diagnostic_year, c.points["diagnostic"], c.score) == (
        timezone.now().year - 10, 0, 0.0)
    assert sum(WEIGHTS.values()) == 100


def test_it_counts_a_diagnostic_of_the_last_five_years(crafted, commune_b):
    year = timezone.now().year
    DiagnosticFactory(commune=commune_b, year=year - 5)
    assert scorecards([commune_b.pk])[0].score == 0.0
    DiagnosticFactory(commune=commune_b, year=year - 4)
    assert scorecards([commune_b.pk])[0].score == 10.0


def test_it_takes_the_diagnostic_year_from_the_diagnostics_status_rule(crafted, commune_b,
                                                                       monkeypatch):
    """The year comes from diagnostics' own rule of "validated" (handed over at start-up):
    a newer draft does not count, until diagnostics says drafts are validated too."""
    year = timezone.now().year
    DiagnosticFactory(commune=commune_b, year=year - 3)
    DiagnosticFactory(commune=commune_b, year=year - 1,
                      status=TerritorialDiagnostic.Status.DRAFT)
    card = scorecards([commune_b.pk])[0]
    assert (card.last_diagnostic_year, card.points["diagnostic"]) == (year - 3, 10)
    monkeypatch.setattr(DiagnosticQuerySet, "validated", lambda self: self.all())
    assert scorecards([commune_b.pk])[0].last_diagnostic_year == year - 1


def test_it_computes_every_commune_in_five_queries(crafted, django_assert_num_queries,
                                                   department):
    with django_assert_num_queries(5):
        assert len(scorecards()) == 3
    from ..factories import CommuneFactory

    for n in range(10):
        CommuneFactory(pcode=f"CM901001{n + 100}", department=department)
    with django_assert_num_queries(5):
        assert len(scorecards()) == 13


def test_it_sorts_by_score_with_ties_by_pcode(crafted):
    cards = sort_scorecards(scorecards(), "-score")
    assert [c.pcode for c in cards] == ["CM901001001", "CM901001002", "CM902001001"]
    cards = sort_scorecards(scorecards(), "completeness")
    assert [c.pcode for c in cards] == ["CM901001001", "CM901001002", "CM902001001"]
    assert [c.pcode for c in sort_scorecards(scorecards(), "-pcode")][0] == "CM902001001"


def test_it_renders_the_dashboard_include(crafted, commune_a):
    with translation.override("fr"):
        html = render_to_string("quality/_scorecard.html", scorecard_context(commune_a))
    assert "60,7 / 100" in html and "13/21" in html and "21,7 / 35" in html
    assert "(1/5)" in html and "2,0 / 10" in html
    assert '/communes/CM901001001/organisations/?verified=false">Les non vérifiées' in html


# The national table -----------------------------------------------------------------------------


@pytest.fixture
def cast(crafted, cast):
    """The cast of tests/conftest.py, after the crafted registry."""
    return cast


@pytest.mark.parametrize("role", CAST)
def test_it_shows_the_national_table_to_admins_and_analysts(cast, role):
    response = client_for(cast[role]).get("/quality/scorecards/?ordering=-score")
    if role == "anonymous":
        assert response.status_code == 302
    elif role in ("analyst", "admin_user"):
        assert response.status_code == 200
        page = response.content.decode()
        assert page.index("Alpha") < page.index("Bêta") < page.index("Gamma")
        assert "60,7" in page
        assert "Awa Secret" not in page
    else:
        assert response.status_code == 404
    assert client_for(cast[role]).post("/quality/scorecards/").status_code in (302, 405)


def test_it_filters_the_table_by_region(cast):
    page = client_for(cast["analyst"]).get("/quality/scorecards/?region=CM902").content.decode()
    assert "Gamma" in page and "Alpha" not in page


# The API ----------------------------------------------------------------------------------------

API_READERS = {"agent_a": ["CM901001001"], "agent_b": ["CM901001002"],
               "rep_a": ["CM901001001"], "rep_b": ["CM901001002"],
               "analyst": ["CM901001001", "CM901001002", "CM902001001"],
               "admin_user": ["CM901001001", "CM901001002", "CM902001001"]}


@pytest.mark.parametrize("role", CAST)
def test_it_lists_scorecards_in_the_api_by_scope(cast, role):
    response = client_for(cast[role]).get("/api/v1/scorecards/")
    if role == "anonymous":
        assert response.status_code in (401, 403)
        return
    if role == "nobody":
        assert response.status_code == 403
        return
    assert response.status_code == 200
    body = response.json()
    assert [row["pcode"] for row in body["results"]] == API_READERS[role]
    if "CM901001001" in API_READERS[role]:
        assert body["results"][0]["score"] == 60.7
        assert body["results"][0]["verified"] == 1
        assert body["results"][0]["points"]["completeness"] == 21.7


@pytest.mark.parametrize("role", CAST)
def test_it_serves_one_scorecard_in_scope_else_404(cast, role):
    response = client_for(cast[role]).get("/api/v1/scorecards/CM901001001/")
    if role == "anonymous":
        assert response.status_code in (401, 403)
    elif role == "nobody":
        assert response.status_code == 403
    elif "CM901001001" in API_READERS[role]:
        assert response.status_code == 200
        assert response.json()["filled_fields"] == 13
    else:
        assert response.status_code == 404
    assert client_for(cast[role]).post("/api/v1/scorecards/CM901001001/").status_code in (
        401, 403, 405)


def test_it_answers_400_on_bad_parameters_and_404_on_unknown_communes(cast):
    client = client_for(cast["analyst"])
    assert client.get("/api/v1/scorecards/?ordering=colour").status_code == 400
    assert client.get("/api/v1/scorecards/?region=CM999").status_code == 400
    assert client.get("/api/v1/scorecards/CM000/").status_code == 404
    rows = client.get("/api/v1/scorecards/?region=CM902&ordering=pcode").json()["results"]
    assert [r["pcode"] for r in rows] == ["CM902001001"]
