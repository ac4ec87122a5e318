"""Reports that explain themselves: each figure's meaning with the commune's own numbers, the
map's legend in plain words, and the national tables (communes with data first, the others
collapsed behind a count, sortable by score on the server)."""

import html
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cooperatives.models import LinkKind
from reports.maps import forget_cached
from reports.models import ReportRun

from ..conftest import client_for, english_client
from ..factories import CommuneFactory

pytestmark = pytest.mark.django_db

YEAR = timezone.localdate().year


@pytest.fixture(autouse=True)
def fresh_caches():
    forget_cached()
    yield
    forget_cached()


def _run(kind, result, commune=None):
    now = timezone.now()
    return ReportRun.objects.create(
        kind=kind, commune=commune, scope=commune.pcode if commune else "national", year=YEAR,
        status=ReportRun.Status.DONE, result=result, queued_at=now, started_at=now,
        finished_at=now)


def _text(response) -> str:
    assert response.status_code == 200
    return re.sub(r"\s+", " ", response.content.decode())


# A commune's cooperation report: the issue's own numbers -------------------------------------

def _cooperation(pcode="CM901001001", **figures):
    result = {
        "commune": pcode, "on": timezone.localdate().isoformat(), "active_organisations": 41,
        "links": 60, "links_by_kind": dict.fromkeys(LinkKind.values, 0),
        "linked_organisations": 37, "linked_share": {"num": 37, "den": 41}, "pairs": 52,
        "density": {"num": 52, "den": 820}, "components": 5, "largest_component": 37,
        "isolated": 4, "isolated_organisations": [], "cross_commune": 3, "cross_filiere": 2,
        "opportunities": [], "outside_unions": {},
    }
    result.update(figures)
    return result


def test_it_explains_the_cooperation_figures_with_the_communes_numbers(agent_a, commune_a):
    _run("cooperation", _cooperation(), commune_a)
    page = _text(english_client(agent_a).get("/reports/cooperation/CM901001001/"))
    for line in (
            "37 of the 41 active organisations have at least one confirmed link.",
            "52 of the 820 possible pairs of organisations work together (6.3 %).",
            "5 groups of organisations connected by links; the largest has 37.",
            "An organisation with no link is a group of its own.",
            "37 organisations reached from one another through links",
            "Active organisations with no confirmed partnership at all.",
            '<a href="#opportunities">No confirmed partnership: see the opportunities below.</a>',
            "A link between two groups joins them into one.",
            "Counted links between two organisations that share no filière."):
        assert line in page, line
    assert page.count('<dd class="help">') == 9


def test_it_says_it_in_french(agent_a, commune_a):
    _run("cooperation", _cooperation(), commune_a)
    page = _text(client_for(agent_a, "fr").get("/reports/cooperation/CM901001001/"))
    assert "52 des 820 paires possibles d'organisations travaillent ensemble (6,3 %)." in page
    assert ("5 groupes d'organisations reliées par des liens ; le plus grand en compte 37."
            in page)
    assert "Aucun partenariat confirmé : voir les opportunités ci-dessous." in page


def test_it_offers_no_action_where_there_is_nothing_to_do(agent_a, commune_a):
    _run("cooperation", _cooperation(
        active_organisations=1, linked_organisations=1, linked_share={"num": 1, "den": 1},
        pairs=0, density=None, components=1, largest_component=1, isolated=0), commune_a)
    page = _text(english_client(agent_a).get("/reports/cooperation/CM901001001/"))
    assert "1 group of organisations connected by links; the largest has 1." in page
    assert "Fewer than two active organisations: no pair to count." in page
    assert 'class="hint"' not in page.split("<h2>", 1)[0]


def test_it_explains_the_convergence_cards(agent_a, commune_a):
    cell = {"organisations": 0, "members": 0, "women": 0, "youth": 0, "needs": 2,
            "priority_needs": 1, "interventions": 0, "beneficiaries": 0}
    _run("convergence", {
        "commune": "CM901001001", "year": YEAR, "diagnostic": {"id": 1, "year": YEAR},
        "ministries": {"MINADER": dict(cell, organisations=3, interventions=1,
                                       state="converging"),
                       "MINEPIA": dict(cell, state="unmet"),
                       "MINFOF": dict(cell, organisations=2, state="unsupported")},
        "states": {"converging": 1, "unmet": 1, "unsupported": 1, "unplanned": 0, "absent": 0},
        "score": {"num": 1, "den": 3}, "unmet_needs": []}, commune_a)
    page = _text(english_client(agent_a).get("/reports/convergence/CM901001001/"))
    assert ("1 of 3 ministries with needs converge: needs, active organisations and an "
            "intervention of the ministry meet in the commune.") in page
    assert ('<b>1</b><span aria-hidden="true">✕</span> Unmet</dt> '
            '<dd class="help">ministry with needs but no organisation</dd>') in page
    assert ('<b>0</b><span aria-hidden="true">○</span> Unplanned</dt> '
            '<dd class="help">ministries with organisations or interventions without needs'
            '</dd>') in page
    assert ("No organisation works in these sectors: the unmet needs below name the nearest "
            "communes that have one.") in page
    assert "Organisations are there but no intervention: point the ministry to them." in page
    assert "check whether the diagnostic misses one" not in page  # no unplanned ministry
    assert "<dt>Beneficiaries</dt><dd>distinct organisations these interventions reach</dd>" \
        in page


# The map's legend ----------------------------------------------------------------------------

def test_the_maps_legend_says_it_in_plain_words(commune_a):
    _run("convergence", {"ministries": [], "communes": {}, "country": {}})
    page = _text(english_client(None).get("/reports/map/"))
    assert "no ministry concerned by a need yet" in page
    assert "0 to 20 % of the ministries with needs converge" in page
    assert "report not computed yet for this commune" in page
    assert "nothing to divide by" not in page
    page = _text(english_client(None).get("/reports/map/?by=linked_share"))
    assert "no active organisation yet" in page
    assert "80 to 100 % of the active organisations have a link" in page


def test_the_french_legend(commune_a):
    _run("convergence", {"ministries": [], "communes": {}, "country": {}})
    page = _text(client_for(None, "fr").get("/reports/map/"))
    assert "aucun ministère concerné par un besoin pour l'instant" in html.unescape(page)


# National tables -----------------------------------------------------------------------------

def _cell(state, needs=0):
    return {"organisations": 0, "members": 0, "women": 0, "youth": 0, "needs": needs,
            "priority_needs": 0, "interventions": 0, "beneficiaries": 0, "state": state}


@pytest.fixture
def country(commune_a, commune_b, commune_c, department):
    """Seven communes: A scores 1/2, B 2/2, C 0/1, G has data without a score; D, E and F
    have nothing (all absent)."""
    extra = {code: CommuneFactory(department=department, pcode=f"CM90100101{i}",
                                  name_fr=f"Vide {code}")
             for i, code in enumerate("DEFG")}
    places = {"A": commune_a, "B": commune_b, "C": commune_c, **extra}
    matrix = {"A": (("converging", 1), ("unmet", 1), {"num": 1, "den": 2}),
              "B": (("converging", 1), ("converging", 2), {"num": 2, "den": 2}),
              "C": (("unsupported", 1), ("absent", 0), {"num": 0, "den": 1}),
              "G": (("unplanned", 0), ("absent", 0), None)}
    communes = {}
    for code, place in places.items():
        first, second, score = matrix.get(code, (("absent", 0), ("absent", 0), None))
        communes[place.pcode] = {"commune": place.pcode,
                                 "ministries": {"MINADER": _cell(*first),
                                                "MINEPIA": _cell(*second)},
                                 "score": score, "unmet_needs": []}
    _run("convergence", {"year": YEAR, "ministries": ["MINADER", "MINEPIA"],
                         "communes": communes, "departments": {}, "regions": {},
                         "country": {"communes": 7}})
    shares = {"A": (1, 2), "B": (3, 4), "C": (0, 5), "G": None}
    cooperation = {}
    for code, place in places.items():
        share = shares.get(code)
        orgs = 0 if code in "DEF" else (share[1] if share else 0)
        cooperation[place.pcode] = _cooperation(
            place.pcode, active_organisations=orgs, links=1 if code == "G" else orgs,
            linked_share={"num": share[0], "den": share[1]} if share else None,
            density={"num": share[0], "den": share[1] * 2} if share else None)
    _run("cooperation", {"on": timezone.localdate().isoformat(), "communes": cooperation,
                         "active_organisations": 11, "links": 12, "pairs": 4,
                         "density": {"num": 4, "den": 55}, "components": 8,
                         "largest_component": 3, "isolated": 5,
                         "links_by_kind": dict.fromkeys(LinkKind.values, 0)})
    return {code: place.pcode for code, place in places.items()}


def _order(page: str, kind: str) -> tuple[list[str], list[str]]:
    """P-codes of the table with data, then of the collapsed one."""
    shown, _sep, collapsed = page.partition('<details class="without-data">')
    row = rf'<th scope="row"><a href="/reports/{kind}/(CM\d+)/">'
    return re.findall(row, shown), re.findall(row, collapsed)


def _codes(country, pcodes):
    back = {pcode: code for code, pcode in country.items()}
    return "".join(back[p] for p in pcodes)


@pytest.mark.parametrize(("query", "expected"), [
    ("", "ABGC"),  # the territory's order (region, department, P-code)
    ("?sort=-score", "BACG"),  # highest first; no score last
    ("?sort=score", "CABG"),  # lowest first; no score still last
    ("?sort=bogus", "ABGC"), ("?sort=--score", "ABGC"), ("?sort=", "ABGC"),
])
def test_the_convergence_table_puts_communes_with_data_first(analyst, country, query,
                                                             expected):
    response = english_client(analyst).get(f"/reports/convergence/{query}")
    page = _text(response)
    shown, collapsed = _order(page, "convergence")
    assert _codes(country, shown) == expected
    assert _codes(country, collapsed) == "DEF"
    assert "<summary>3 communes without data yet</summary>" in page


def test_the_score_header_toggles_and_keeps_the_filter(analyst, country):
    page = _text(english_client(analyst).get("/reports/convergence/?region=CM901"))
    assert '<a href="?region=CM901&amp;sort=-score#communes">Score</a>' in page
    assert _codes(country, _order(page, "convergence")[0]) == "ABG"
    page = _text(english_client(analyst).get("/reports/convergence/?region=CM901&sort=-score"))
    assert '<a href="?region=CM901&amp;sort=score#communes">Score</a>' in page
    assert '<span aria-label="highest first">↓</span>' in page
    assert '<input type="hidden" name="sort" value="-score">' in page
    assert _codes(country, _order(page, "convergence")[0]) == "BAG"


@pytest.mark.parametrize(("query", "expected"), [
    ("", "ABGC"), ("?sort=-linked_share", "BACG"), ("?sort=linked_share", "CABG"),
    ("?sort=-density", "BACG"), ("?sort=score", "ABGC"),
])
def test_the_cooperation_table_puts_communes_with_data_first(analyst, country, query,
                                                             expected):
    page = _text(english_client(analyst).get(f"/reports/cooperation/{query}"))
    shown, collapsed = _order(page, "cooperation")
    assert _codes(country, shown) == expected
    assert _codes(country, collapsed) == "DEF"
    assert "<summary>3 communes without data yet</summary>" in page
    assert "4 linked pairs among the 55 possible pairs of active organisations." in page
    assert "8 groups of organisations connected by links; the largest has 3." in page


def test_a_filtered_selection_keeps_data_first(analyst, country):
    page = _text(english_client(analyst).get(
        "/reports/convergence/?region=CM901&department=CM901001"))
    assert _codes(country, _order(page, "convergence")[0]) == "ABG"
    assert "No commune of this selection has data yet." not in page


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


@pytest.mark.parametrize("kind, sort", [("convergence", "-score"), ("cooperation", "density")])
def test_the_national_pages_cost_the_same_queries_sorted_or_not(analyst, country, kind, sort):
    client = english_client(analyst)
    client.get(f"/reports/{kind}/")
    plain = _queries(client, f"/reports/{kind}/")
    assert _queries(client, f"/reports/{kind}/?sort={sort}") == plain <= 10  # 1: the menu


def test_the_runs_figures_are_unchanged(analyst, country):
    """Ordering and collapsing show every commune once, with its stored figures."""
    page = _text(english_client(analyst).get("/reports/convergence/?sort=-score"))
    assert page.count('<th scope="row"><a href="/reports/convergence/CM') == 7
    assert '<td class="num">100 %</td>' in page and '<td class="num">50 %</td>' in page
