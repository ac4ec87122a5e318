"""The report pages: a commune's two reports, the national matrix, table and map.

Pages read stored runs; these tests store runs with crafted results (exact numbers to find on
the page) or with the results of the report functions on factory data.
"""

import datetime
import gzip
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cooperatives.models import LinkKind, Organisation
from diagnostics.models import TerritorialDiagnostic
from reports.convergence import convergence_for_commune, convergence_national
from reports.cooperation import cooperation_for_commune, cooperation_national
from reports.maps import _shapes, forget_cached
from reports.models import ReportRun

from ..conftest import client_for, english_client
from ..factories import (
    CommuneFactory,
    DiagnosticFactory,
    EntryFactory,
    InterventionFactory,
    LinkFactory,
    OrganisationFactory,
)

pytestmark = pytest.mark.django_db

FINISHED = datetime.datetime(2025, 3, 4, 10, 0, tzinfo=datetime.UTC)
DONE = ReportRun.Status.DONE
QUEUED = ReportRun.Status.QUEUED
CONVERGENCE, COOPERATION = "convergence", "cooperation"


@pytest.fixture(autouse=True)
def fresh_caches():
    forget_cached()
    yield
    forget_cached()


# The runs of these tests that finish "now" are of the current year.
THIS_YEAR = timezone.localdate().year


def _run(kind, result, *, commune=None, year=2025, status=DONE, finished_at=FINISHED):
    return ReportRun.objects.create(
        kind=kind, commune=commune, scope=commune.pcode if commune else "national", year=year,
        status=status, result=result if status == DONE else None,
        queued_at=finished_at - datetime.timedelta(minutes=1),
        started_at=finished_at - datetime.timedelta(seconds=30),
        finished_at=finished_at if status == DONE else None)


def _zero(state="absent"):
    return {"organisations": 0, "members": 0, "women": 0, "youth": 0, "needs": 0,
            "priority_needs": 0, "interventions": 0, "beneficiaries": 0, "state": state}


def _convergence_result(pcode="CM901001001"):
    return {
        "commune": pcode, "year": 2025, "diagnostic": {"id": 7, "year": 2024},
        "ministries": {
            "MINADER": {"organisations": 17, "members": 345, "women": 151, "youth": 88,
                        "needs": 6, "priority_needs": 2, "interventions": 3,
                        "beneficiaries": 9, "state": "converging"},
            "MINEPIA": dict(_zero("unmet"), needs=4, priority_needs=1),
            "MINFOF": _zero(),
        },
        "states": {"converging": 1, "unmet": 1, "unsupported": 0, "unplanned": 0, "absent": 1},
        "score": {"num": 1, "den": 2},
        "unmet_needs": [{
            "entry": 11, "sector": "elevage", "ministry": "MINEPIA", "priority_rank": 1,
            "need": "Forage pastoral à Mbakaou",
            "nearest": [{"commune": "CM901001002", "name": "Bêta", "distance_km": 15.6,
                         "organisations": 2},
                        {"commune": "CM902001001", "name": "Gamma", "distance_km": 612.3,
                         "organisations": 1}],
        }],
    }


def _cooperation_result(isolated_ids, outside_ids, pcode="CM901001001"):
    return {
        "commune": pcode, "on": "2025-03-04", "active_organisations": 12, "links": 9,
        "links_by_kind": dict(dict.fromkeys(LinkKind.values, 0), joint_sale=5, training=4),
        "linked_organisations": 9, "linked_share": {"num": 9, "den": 12}, "pairs": 7,
        "density": {"num": 7, "den": 66}, "components": 5, "largest_component": 6,
        "isolated": len(isolated_ids), "isolated_organisations": isolated_ids,
        "cross_commune": 2, "cross_filiere": 1,
        "opportunities": [{"organisations": [1, 2], "names": ["Coop Manioc Alpha", "GIC Soleil"],
                           "members": 37, "filieres": ["manioc"],
                           "suggested_kind": "joint_sale"}],
        "outside_unions": {"manioc": {"count": len(outside_ids), "organisations": outside_ids}},
    }


def _text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


# Commune pages -----------------------------------------------------------------------------

def test_it_shows_the_convergence_figures_of_the_latest_run(agent_a, commune_a, commune_b,
                                                          minader, minepia, livestock):
    _run(CONVERGENCE, {"ministries": {}}, commune=commune_a,
         finished_at=FINISHED - datetime.timedelta(days=3))
    _run(CONVERGENCE, _convergence_result(), commune=commune_a)
    page = _text(english_client(agent_a).get("/reports/convergence/CM901001001/"))
    assert '<td class="num">17</td><td class="num">345</td><td class="num">151</td>' \
           '<td class="num">88</td><td class="num">6</td><td class="num">2</td>' \
           '<td class="num">3</td><td class="num">9</td>' in page
    assert 'class="state-converging"' in page and 'class="state-unmet"' in page
    assert "<b>50 %</b>" in page and "1 of 2 ministries with needs converge" in page
    assert "No needs, organisations or interventions: MINFOF" in page
    assert "Forage pastoral à Mbakaou" in page
    assert "rank 1 · Élevage (MINEPIA)" in page or "rank 1 · Sector elevage" in page
    assert '<a href="/reports/convergence/CM901001002/">Bêta</a>' in page
    assert "15.6 km, 2 organisations" in page and "612.3 km, 1 organisation)" in page
    assert '<svg class="chart"' in page and ">MINADER</text>" in page
    assert "validated diagnostic of 2024" in page


def test_it_shows_the_cooperation_figures_of_the_latest_run(agent_a, commune_a, cassava):
    lone = [OrganisationFactory(name=f"Isolée {i}", commune=commune_a, primary_filiere=cassava)
            for i in range(3)]
    ids = [o.pk for o in lone]
    _run(COOPERATION, _cooperation_result(ids, ids[:2]), commune=commune_a)
    page = _text(english_client(agent_a).get("/reports/cooperation/CM901001001/"))
    for figure in ("<b>12</b>active organisations", "<b>75 %</b>linked",
                   "9 of the 12 active organisations have at least one confirmed link",
                   "<b>10.6 %</b>density",
                   "7 of the 66 possible pairs of organisations work together (10.6 %)",
                   "<b>5</b>components", "<b>6</b>in the largest component",
                   "<b>9</b>counted links", "<b>2</b>links with other communes",
                   "<b>1</b>links across filières"):
        assert figure in page
    assert ">Joint sale</text>" in page and ">5</text>" in page and ">4</text>" in page
    assert "Isolated organisations (3)" in page
    assert " · ".join(f'<a href="/organisations/{o.pk}/">{o.name}</a>' for o in lone) in page
    # The crafted result names organisations 1 and 2, which may be links or not here.
    assert "Coop Manioc Alpha + GIC Soleil</td><td>Cassava</td><td class=\"num\">37</td>" \
           "<td>Joint sale</td>" in re.sub(r"</?a[^>]*>", "", page)
    assert '<td>Cassava</td><td class="num">2</td>' in page


def test_it_renders_reports_computed_from_the_registry(agent_a, commune_a, commune_b, minader,
                                                     cassava, maize, poultry, livestock):
    first = OrganisationFactory(name="Coop Un", commune=commune_a, primary_filiere=cassava,
                                members_total=20, members_women=8, members_youth=5)
    second = OrganisationFactory(name="Coop Deux", commune=commune_a, primary_filiere=maize)
    OrganisationFactory(name="Coop Seule", commune=commune_a, primary_filiere=cassava)
    OrganisationFactory(name="Poules Bêta", commune=commune_b, primary_filiere=poultry)
    LinkFactory(source=first, target=second, kind=LinkKind.TRAINING)
    diagnostic = DiagnosticFactory(commune=commune_a, year=2025)
    EntryFactory(diagnostic=diagnostic, sector=cassava.sector, priority_rank=1)
    EntryFactory(diagnostic=diagnostic, sector=livestock, priority_rank=2,
                 need="Vaccination des volailles")
    InterventionFactory(ministry=minader, commune=commune_a, beneficiaries=[first])
    _run(CONVERGENCE, convergence_for_commune(commune_a, year=2025), commune=commune_a)
    _run(COOPERATION, cooperation_for_commune(commune_a, on=datetime.date(2025, 6, 30)),
         commune=commune_a)
    client = english_client(agent_a)
    page = _text(client.get("/reports/convergence/CM901001001/"))
    # MINADER: 3 organisations, 40 members, 16 women, 11 youth, 1 need (priority), 1
    # intervention reaching 1 organisation.
    assert '<td class="num">3</td><td class="num">40</td><td class="num">16</td>' \
           '<td class="num">11</td><td class="num">1</td><td class="num">1</td>' \
           '<td class="num">1</td><td class="num">1</td>' in page
    assert "<b>50 %</b>" in page and "Vaccination des volailles" in page
    assert '<a href="/reports/convergence/CM901001002/">Bêta</a>' in page
    page = _text(client.get("/reports/cooperation/CM901001001/"))
    assert "<b>3</b>active organisations" in page and "<b>67 %</b>linked" in page
    assert "Isolated organisation (1)" in page and "Coop Seule" in page


@pytest.mark.parametrize("url", ["/reports/convergence/CM901001001/",
                                 "/reports/cooperation/CM901001001/",
                                 "/reports/convergence/", "/reports/cooperation/",
                                 "/reports/map/", "/reports/map/?by=linked_share"])
def test_it_says_when_a_report_is_not_computed_yet(admin_user, commune_a, url):
    response = english_client(admin_user).get(url)
    assert response.status_code == 200
    page = _text(response)
    assert f"Not computed yet for {timezone.localdate().year}." in page
    assert "Figures computed on" not in page and "Data changed" not in page
    assert 'name="year"' in page  # the admin gets the recompute button


def test_it_offers_no_button_to_readers_who_cannot_recompute(analyst, rep_a, commune_a):
    for user, url in ((analyst, "/reports/convergence/CM901001001/"),
                      (rep_a, "/reports/cooperation/CM901001001/"),
                      (analyst, "/reports/convergence/"), (None, "/reports/map/")):
        page = _text(english_client(user).get(url))
        assert "Not computed yet" in page and "/recompute/" not in page


def test_it_says_data_changed_when_a_newer_run_is_queued(agent_a, commune_a):
    _run(CONVERGENCE, _convergence_result(), commune=commune_a)
    client = english_client(agent_a)
    assert "Data changed" not in _text(client.get("/reports/convergence/CM901001001/"))
    _run(CONVERGENCE, None, commune=commune_a, status=QUEUED,
         finished_at=FINISHED + datetime.timedelta(hours=1))
    page = _text(client.get("/reports/convergence/CM901001001/"))
    assert "Data changed since this report was computed." in page
    assert "A recompute is queued (requested on March 4, 2025, 11:59 a.m.)." in page


def test_it_says_data_changed_when_an_organisation_was_updated_after_the_run(
        agent_a, commune_a, commune_b, cassava):
    organisation = OrganisationFactory(commune=commune_a, primary_filiere=cassava)
    elsewhere = OrganisationFactory(commune=commune_b, primary_filiere=cassava)
    _run(COOPERATION, _cooperation_result([], []), commune=commune_a,
         finished_at=timezone.now(), year=THIS_YEAR)
    client = english_client(agent_a)
    assert "Data changed" not in _text(client.get("/reports/cooperation/CM901001001/"))
    elsewhere.members_total = 12
    elsewhere.save()
    assert "Data changed" not in _text(client.get("/reports/cooperation/CM901001001/"))
    organisation.members_total = 12
    organisation.save()
    page = _text(client.get("/reports/cooperation/CM901001001/"))
    assert "Data changed since this report was computed." in page
    assert "Recompute it to see the current registry." in page


def test_it_says_data_changed_when_an_organisation_was_deleted_after_the_run(
        agent_a, commune_a, cassava):
    organisation = OrganisationFactory(commune=commune_a, primary_filiere=cassava)
    _run(COOPERATION, _cooperation_result([], []), commune=commune_a,
         finished_at=timezone.now(), year=THIS_YEAR)
    organisation.delete()
    page = _text(english_client(agent_a).get("/reports/cooperation/CM901001001/"))
    assert "Data changed since this report was computed." in page


def test_a_past_years_report_is_not_changed_by_todays_edits(agent_a, commune_a, cassava):
    """A past year is the registry as of its 31 December: an edit today leaves it as it was."""
    _run(COOPERATION, _cooperation_result([], []), commune=commune_a,
         finished_at=timezone.now(), year=THIS_YEAR - 1)
    OrganisationFactory(commune=commune_a, primary_filiere=cassava)
    page = _text(english_client(agent_a).get("/reports/cooperation/CM901001001/"))
    assert f"for the year {THIS_YEAR - 1}." in page
    assert "Data changed" not in page


def test_it_says_the_country_changed_when_a_commune_run_was_queued_after(analyst, commune_a):
    national = _run(CONVERGENCE, {"ministries": [], "communes": {}, "country": {}},
                    finished_at=timezone.now(), year=THIS_YEAR)
    client = english_client(analyst)
    assert "Data changed" not in _text(client.get("/reports/convergence/"))
    _run(CONVERGENCE, None, commune=commune_a, status=QUEUED, year=THIS_YEAR,
         finished_at=national.finished_at + datetime.timedelta(minutes=5))
    assert "Data changed since" in _text(client.get("/reports/convergence/"))


def test_it_says_the_country_changed_when_an_organisation_was_imported_after(
        analyst, commune_a, cassava):
    _run(COOPERATION, {"communes": {}}, finished_at=timezone.now(), year=THIS_YEAR)
    client = english_client(analyst)
    assert "Data changed" not in _text(client.get("/reports/cooperation/"))
    OrganisationFactory(commune=commune_a, primary_filiere=cassava)
    assert "Data changed since" in _text(client.get("/reports/cooperation/"))


def test_it_shows_the_computation_time_in_the_users_language(agent_a, commune_a):
    _run(CONVERGENCE, _convergence_result(), commune=commune_a)
    english = _text(english_client(agent_a).get("/reports/convergence/CM901001001/"))
    assert "Figures computed on 4 March 2025 at 11:00, for the year 2025." in english
    french = _text(client_for(agent_a, "fr").get("/reports/convergence/CM901001001/"))
    assert "Chiffres calculés le 4 mars 2025 à 11:00, pour l'année 2025." in french


def test_it_shows_the_run_of_the_requested_year(agent_a, commune_a):
    _run(CONVERGENCE, _convergence_result(), commune=commune_a, year=2024)
    later = dict(_convergence_result(), score={"num": 2, "den": 2})
    _run(CONVERGENCE, later, commune=commune_a, year=2025,
         finished_at=FINISHED - datetime.timedelta(days=1))
    client = english_client(agent_a)
    latest = _text(client.get("/reports/convergence/CM901001001/"))
    assert "<b>50 %</b>" in latest and "for the year 2024" in latest
    assert '<a href="?year=2025">2025</a>' in latest
    chosen = _text(client.get("/reports/convergence/CM901001001/?year=2025"))
    assert "<b>100 %</b>" in chosen and "for the year 2025" in chosen
    missing = _text(client.get("/reports/convergence/CM901001001/?year=2019"))
    assert "Not computed yet for 2019." in missing


def test_it_caps_the_organisation_names_it_lists(agent_a, commune_a):
    ids = list(range(1, 251))
    _run(COOPERATION, _cooperation_result(ids, ids), commune=commune_a)
    page = _text(english_client(agent_a).get("/reports/cooperation/CM901001001/"))
    assert "Isolated organisations (250)" in page
    assert page.count("and 50 more") == 2


# Recompute ---------------------------------------------------------------------------------

def _queued(kind=CONVERGENCE, scope="CM901001001"):
    return ReportRun.objects.filter(kind=kind, scope=scope, status=QUEUED)


def test_it_queues_one_run_for_the_agents_commune(agent_a, commune_a):
    client = english_client(agent_a)
    url = "/reports/convergence/CM901001001/recompute/"
    first = client.post(url, {"year": "2025"})
    assert first.status_code == 302
    assert first["Location"] == "/reports/convergence/CM901001001/?year=2025"
    second = client.post(url, {"year": "2025"}, follow=True)
    assert _queued().count() == 1
    run = _queued().get()
    assert (run.year, run.commune, run.requested_by) == (2025, commune_a, agent_a)
    page = _text(second)
    assert "The report is queued for recomputation." in page
    assert "Not computed yet for 2025." in page
    assert "A run is queued" in page
    assert not _queued(COOPERATION).exists()


def test_it_queues_the_current_year_when_none_is_given(agent_a, commune_a):
    english_client(agent_a).post("/reports/cooperation/CM901001001/recompute/", {"year": ""})
    assert _queued(COOPERATION).get().year == timezone.localdate().year


@pytest.mark.parametrize("year", ["nonsense", "1989", "2101"])
def test_it_refuses_a_recompute_of_a_year_that_is_not_one(agent_a, commune_a, year):
    response = english_client(agent_a).post("/reports/cooperation/CM901001001/recompute/",
                                     {"year": year}, follow=True)
    assert not ReportRun.objects.exists()
    assert [str(m) for m in response.context["messages"]] == [
        "Give a year such as 2025." if year == "nonsense"
        else "Give a year between 1990 and 2100."]


def test_it_names_a_bad_year_and_shows_the_latest_run(agent_a, commune_a):
    response = english_client(agent_a).get("/reports/cooperation/CM901001001/?year=20x5")
    assert response.status_code == 200
    assert [str(m) for m in response.context["messages"]] == ["Give a year such as 2025."]


def test_it_refuses_a_recompute_for_another_commune(agent_a, commune_a, commune_b):
    response = english_client(agent_a).post("/reports/convergence/CM901001002/recompute/",
                                     {"year": "2025"})
    assert response.status_code == 404
    assert not ReportRun.objects.exists()


def test_it_answers_404_for_a_recompute_of_an_unknown_commune(admin_user):
    response = english_client(admin_user).post("/reports/convergence/CM999999999/recompute/")
    assert response.status_code == 404


def test_it_queues_the_national_recompute_for_the_admin(admin_user, commune_a, commune_b):
    response = english_client(admin_user).post("/reports/cooperation/recompute/",
                                        {"year": "2025", "next": "/reports/map/?by=linked_share"})
    assert response.status_code == 302 and response["Location"] == "/reports/map/?by=linked_share"
    queued = ReportRun.objects.filter(status=QUEUED, year=2025)
    assert sorted(queued.values_list("kind", "scope")) == sorted(
        (kind, scope) for kind in (CONVERGENCE, COOPERATION)
        for scope in ("CM901001001", "CM901001002", "national"))
    evil = english_client(admin_user).post("/reports/cooperation/recompute/",
                                    {"next": "https://example.org/"})
    assert evil["Location"] == "/reports/cooperation/"


# Authorization matrix ----------------------------------------------------------------------

ROLES = ["anonymous", "agent_a", "agent_b", "rep_a", "rep_b", "analyst", "admin_user"]
COMMUNE_READERS = {"agent_a", "rep_a", "analyst", "admin_user"}
COUNTRY_READERS = {"analyst", "admin_user"}
COMMUNE_WRITERS = {"agent_a", "admin_user"}
EVERYONE = set(ROLES)
# (url, who gets 200 on GET or 302 on POST, the method the URL answers)
PAGES = [
    ("/reports/convergence/CM901001001/", COMMUNE_READERS, "GET"),
    ("/reports/cooperation/CM901001001/", COMMUNE_READERS, "GET"),
    ("/reports/convergence/", COUNTRY_READERS, "GET"),
    ("/reports/cooperation/", COUNTRY_READERS, "GET"),
    ("/reports/map/", EVERYONE, "GET"),
    ("/reports/map/?by=linked_share", EVERYONE, "GET"),
    ("/reports/convergence/CM901001001/recompute/", COMMUNE_WRITERS, "POST"),
    ("/reports/cooperation/CM901001001/recompute/", COMMUNE_WRITERS, "POST"),
    ("/reports/convergence/recompute/", {"admin_user"}, "POST"),
    ("/reports/cooperation/recompute/", {"admin_user"}, "POST"),
]


def _expected(allowed, answers, role, method):
    if method != answers:
        return 405
    if role not in allowed:
        return 404
    return 200 if method == "GET" else 302


@pytest.fixture
def cast(commune_a, commune_b, org_a, org_b, cast):
    """The cast of tests/conftest.py, after its communes and organisations."""
    return cast


@pytest.mark.parametrize("method", ["GET", "POST"])
@pytest.mark.parametrize("url, allowed, answers", PAGES)
@pytest.mark.parametrize("role", ROLES)
def test_it_answers_each_role_on_each_page(cast, role, url, allowed, answers, method):
    _run(CONVERGENCE, _convergence_result(), commune=cast["rep_a"].roles.get().organisation
         .commune)
    runs_before = list(ReportRun.objects.values_list("id", "status"))
    client = english_client(cast[role])
    response = client.get(url) if method == "GET" else client.post(url, {"year": "2025"})
    expected = _expected(allowed, answers, role, method)
    assert response.status_code == expected
    if expected != 302:
        assert list(ReportRun.objects.values_list("id", "status")) == runs_before


def test_it_hides_unknown_communes(admin_user):
    assert english_client(admin_user).get("/reports/convergence/CM999999999/").status_code == 404
    assert english_client(admin_user).get("/reports/cooperation/nonsense/").status_code == 404


# National pages ----------------------------------------------------------------------------

def _national_runs(year=2025):
    _run(CONVERGENCE, convergence_national(year=year))
    _run(COOPERATION, cooperation_national(on=datetime.date(year, 6, 30)))


@pytest.fixture
def registry(commune_a, commune_b, commune_c, minader, minepia, cassava, poultry, livestock):
    """A: 2 cassava organisations linked, a MINADER need and intervention (converging), a
    livestock need (unmet). B: a poultry organisation. C: a cassava organisation, no need."""
    one = OrganisationFactory(name="Un", commune=commune_a, primary_filiere=cassava)
    two = OrganisationFactory(name="Deux", commune=commune_a, primary_filiere=cassava)
    OrganisationFactory(name="Trois", commune=commune_b, primary_filiere=poultry)
    OrganisationFactory(name="Quatre", commune=commune_c, primary_filiere=cassava)
    LinkFactory(source=one, target=two)
    diagnostic = DiagnosticFactory(commune=commune_a, year=2025)
    EntryFactory(diagnostic=diagnostic, sector=cassava.sector, priority_rank=1)
    EntryFactory(diagnostic=diagnostic, sector=livestock, priority_rank=2)
    InterventionFactory(ministry=minader, commune=commune_a)
    _national_runs()


def test_it_shows_the_matrix_of_states_with_totals(analyst, registry):
    page = _text(english_client(analyst).get("/reports/convergence/"))
    row = re.search(r'<a href="/reports/convergence/CM901001001/">Alpha</a></th>(.*?)</tr>',
                    page).group(1)
    assert row == ('<td class="st converging">●</td><td class="st unmet">✕</td>'
                   '<td class="num">50 %</td><td class="num">1</td>')
    gamma = re.search(r">Gamma</a></th>(.*?)</tr>", page).group(1)
    assert gamma.startswith('<td class="st unplanned">○</td><td class="st absent"></td>')
    assert "3 communes" in page
    # Country: 3 communes, score 1/2, cells: 1 converging, 1 unmet, 0, 2 unplanned, 2 absent.
    country = re.search(r'<tr class="focus"><th scope="row"><a href="\?year=2025">'
                        r'Cameroon</a></th>(.*?)</tr>', page).group(1)
    assert country == ('<td class="num">3</td><td class="num">50 %</td><td class="num">1</td>'
                       '<td class="num">1</td><td class="num">0</td><td class="num">2</td>'
                       '<td class="num">2</td><td class="num">1</td>')


def test_it_filters_the_matrix_by_region_and_department(analyst, registry):
    client = english_client(analyst)
    page = _text(client.get("/reports/convergence/?region=CM902"))
    assert ">Gamma</a>" in page and ">Alpha</a>" not in page and "1 commune<" in page
    page = _text(client.get("/reports/convergence/?region=CM901&department=CM901001"))
    assert ">Alpha</a>" in page and ">Bêta</a>" in page and ">Gamma</a>" not in page
    assert '<tr class="focus"><th scope="row"><a href="?region=CM901&amp;department=CM901001' \
           '&amp;year=2025">Département A</a></th><td class="num">2</td>' in page
    everything = _text(client.get("/reports/convergence/?region=CM999&department=x"))
    assert "3 communes" in everything


def test_it_shows_the_cooperation_figures_per_commune_and_the_countrys(analyst, registry):
    client = english_client(analyst)
    page = _text(client.get("/reports/cooperation/"))
    alpha = re.search(r'<a href="/reports/cooperation/CM901001001/">Alpha</a></th>(.*?)</tr>',
                      page).group(1)
    assert alpha == ('<td class="num">2</td><td class="num">100 %</td><td class="num">100.0 %'
                     '</td><td class="num">1</td><td class="num">2</td><td class="num">0</td>'
                     '<td class="num">1</td><td class="num">0</td><td class="num">0</td>')
    assert "<b>4</b>active organisations" in page and "<b>3</b>components" in page
    assert "<b>2</b>isolated organisations" in page and "1 linked pairs" in page
    filtered = _text(client.get("/reports/cooperation/?region=CM902"))
    assert ">Gamma</a>" in filtered and ">Alpha</a>" not in filtered


# The map -----------------------------------------------------------------------------------

SQUARE = {"type": "Polygon", "coordinates": [[[11.0, 4.0], [11.1, 4.0], [11.1, 4.1],
                                               [11.0, 4.1], [11.0, 4.0]]]}
TWO_ISLANDS = {"type": "MultiPolygon", "coordinates": [
    [[[11.2, 4.0], [11.3, 4.0], [11.3, 4.1], [11.2, 4.0]]],
    [[[11.4, 4.2], [11.5, 4.2], [11.5, 4.3], [11.4, 4.2]]]]}


def _svg(page: str) -> str:
    return re.search(r'<svg class="map".*?</svg>', page).group(0)


def test_it_draws_one_path_per_commune_with_a_boundary(analyst, registry, commune_a,
                                                       commune_b):
    commune_a.boundary, commune_b.boundary = SQUARE, TWO_ISLANDS
    commune_a.save()
    commune_b.save()
    svg = _svg(_text(english_client(analyst).get("/reports/map/")))
    assert svg.count("<path ") == 2
    assert re.search(r"https?:|//|xlink|<image|<use", svg) is None
    assert ('<a href="/reports/convergence/CM901001001/">'
            '<path class="b2" d="M0 30l10 0 0-10-10 0z">') in svg
    assert "<title>Alpha: 50 % (1/2)</title>" in svg
    assert '<path class="bx"' in svg  # Bêta: no needs, no score
    public = _svg(_text(english_client(None).get("/reports/map/?by=linked_share")))
    assert public.count("<path ") == 2
    assert '<a href="/c/CM901001001/"><path class="b4"' in public  # 2 of 2 linked
    assert '<a href="/c/CM901001002/"><path class="b0"' in public  # 0 of 1 linked


def test_it_projects_the_boundaries_once_per_process(registry, commune_a):
    commune_a.boundary = SQUARE
    commune_a.save()
    client = english_client(None)
    for _ in range(3):
        assert client.get("/reports/map/").status_code == 200
    assert _shapes.cache_info().misses == 1


def _without_tokens(response) -> str:
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"|name="csrf-token" content="[^"]*"',
                  "", _text(response))


def _start_a_new_process():
    """What another server process holds: none of this one's caches, the shared cache."""
    from reports.maps import forget_in_process

    forget_in_process()


@pytest.mark.parametrize("url", ["/reports/map/", "/reports/map/?by=linked_share",
                                 "/reports/convergence/", "/reports/cooperation/"])
def test_it_shapes_a_national_run_and_the_outlines_once_for_every_process(
        admin_user, registry, commune_a, url):
    commune_a.boundary = SQUARE
    commune_a.save()
    client = english_client(admin_user)
    client.get(url)
    forget_cached()  # retires the shared entries too: the next request computes everything

    def reads(queries) -> int:
        return sum('"reports_reportrun"."result"' in q["sql"]
                   or '"boundary" AS "boundary"' in q["sql"] for q in queries)

    with CaptureQueriesContext(connection) as cold:
        page = _without_tokens(client.get(url))
    _start_a_new_process()
    with CaptureQueriesContext(connection) as other:
        assert _without_tokens(client.get(url)) == page
    drawn = url.startswith("/reports/map/")
    assert reads(cold) == (2 if drawn else 1)  # the national result, and the outlines
    assert reads(other) == 0


def test_it_keeps_the_map_page_light(analyst, registry, commune_a):
    commune_a.boundary = SQUARE
    commune_a.save()
    response = english_client(None).get("/reports/map/")
    assert len(gzip.compress(response.content)) < 150_000
    assert "http" not in _svg(_text(response))


# Query counts ------------------------------------------------------------------------------

def _queries(client, url) -> int:
    forget_cached()
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


COUNTED_PAGES = ["/reports/convergence/", "/reports/cooperation/", "/reports/map/",
                 "/reports/map/?by=linked_share", "/reports/convergence/CM901001001/",
                 "/reports/cooperation/CM901001001/"]


def _grow(commune_a, cassava, poultry, department, communes: int, organisations: int):
    for i in range(communes):
        commune = CommuneFactory(department=department, pcode=f"CM901001{i + 100}",
                                 name_fr=f"Extra {i}",
                                 boundary=SQUARE, latitude=4 + i / 10)
        OrganisationFactory(commune=commune, primary_filiere=poultry)
    created = [OrganisationFactory(commune=commune_a, primary_filiere=cassava)
               for _ in range(organisations)]
    for source, target in zip(created[::2], created[1::2], strict=False):
        LinkFactory(source=source, target=target)
    diagnostic, _new = TerritorialDiagnostic.objects.get_or_create(
        commune=commune_a, year=2025, defaults={"status": TerritorialDiagnostic.Status.VALIDATED})
    EntryFactory(diagnostic=diagnostic, sector=poultry.sector,
                 priority_rank=diagnostic.entries.count() + 1)


def _refresh_runs(commune_a):
    ReportRun.objects.all().delete()
    _national_runs()
    _run(CONVERGENCE, convergence_for_commune(commune_a, year=2025), commune=commune_a)
    _run(COOPERATION, cooperation_for_commune(commune_a, on=datetime.date(2025, 6, 30)),
         commune=commune_a)


@pytest.mark.parametrize("url", COUNTED_PAGES)
def test_it_reads_a_fixed_number_of_queries_whatever_the_size(admin_user, commune_a, commune_b,
                                                              department, cassava, poultry,
                                                              minader, url):
    commune_a.boundary = SQUARE
    commune_a.save()
    client = english_client(admin_user)
    _grow(commune_a, cassava, poultry, department, communes=0, organisations=2)
    _refresh_runs(commune_a)
    small = _queries(client, url)
    _grow(commune_a, cassava, poultry, department, communes=18, organisations=20)
    _refresh_runs(commune_a)
    assert Organisation.objects.count() == 40
    large = _queries(client, url)
    assert large == small
