"""The convergence report (reports/convergence.py) on crafted data with exact numbers."""

import datetime
import json
import random

import numpy as np
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from communes.models import haversine_km
from reports.convergence import (
    FIGURES,
    STATES,
    cell_state,
    convergence_for_commune,
    convergence_for_communes,
    convergence_national,
)

from ..factories import (
    CommuneFactory,
    DepartmentFactory,
    DiagnosticFactory,
    EntryFactory,
    FiliereFactory,
    InterventionFactory,
    MinistryFactory,
    OrganisationFactory,
    RegionFactory,
    SectorFactory,
)
from ..query_counts import reads

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True, params=["filtered", "whole_country"])
def fetch_path(request, monkeypatch):
    """Run each test through both fetches: filtered by commune, and the whole country read
    at once (what batches of 1/8 of the communes or more use)."""
    monkeypatch.setattr("reports.convergence._WHOLE_COUNTRY_FROM",
                        0 if request.param == "filtered" else 10**6)

DRAFT = "draft"
D = datetime.date


def cell(state, organisations=0, members=0, women=0, youth=0, needs=0, priority_needs=0,
         interventions=0, beneficiaries=0, programmes=0, enrolled=0):
    return {"organisations": organisations, "members": members, "women": women, "youth": youth,
            "needs": needs, "priority_needs": priority_needs, "interventions": interventions,
            "beneficiaries": beneficiaries, "programmes": programmes, "enrolled": enrolled,
            "state": state}


def states(**counts):
    return {state: counts.get(state, 0) for state in STATES}


@pytest.fixture
def taxonomy(minader, minepia, agriculture, livestock, cassava, maize, poultry):
    minsante = MinistryFactory(acronym="MINSANTE")
    mincommerce = MinistryFactory(acronym="MINCOMMERCE")
    mintp = MinistryFactory(acronym="MINTP")
    health = SectorFactory(code="sante", ministry=minsante)
    commerce = SectorFactory(code="commerce", ministry=mincommerce)
    roads = SectorFactory(code="travaux-publics", ministry=mintp)
    return {
        "MINADER": minader, "MINEPIA": minepia, "MINSANTE": minsante,
        "MINCOMMERCE": mincommerce, "MINTP": mintp,
        "agriculture": agriculture, "livestock": livestock, "health": health,
        "commerce": commerce, "roads": roads,
        "cassava": cassava, "maize": maize, "poultry": poultry,
        "mutual": FiliereFactory(code="mutuelle-sante", sector=health),
        "retail": FiliereFactory(code="commerce-detail", sector=commerce),
    }


@pytest.fixture
def cast(taxonomy, commune_a, commune_b, commune_c, org_a, org_b):
    """Commune A meets every state for 2025; B has only a draft and a later diagnostic; D, E, F
    and C hold poultry cooperatives at known distances from A (E's is dormant)."""
    t = taxonomy
    org = OrganisationFactory
    o = {"a1": org_a, "b": org_b}
    o["a2"] = org(commune=commune_a, primary_filiere=t["cassava"],
                  filieres=[t["maize"], t["retail"]], members_total=20, members_women=8,
                  members_youth=5)
    o["a3"] = org(commune=commune_a, primary_filiere=t["maize"], status="dormant")
    o["a4"] = org(commune=commune_a, primary_filiere=t["poultry"], status="dissolved")
    o["a5"] = org(commune=commune_a, primary_filiere=t["mutual"])
    o["bp1"] = org(commune=commune_b, primary_filiere=t["poultry"])
    o["bp2"] = org(commune=commune_b, primary_filiere=t["poultry"])
    department = commune_a.department
    commune_d = CommuneFactory(pcode="CM901001003", department=department, name_fr="Delta",
                               latitude=4.1, longitude=11.1)
    commune_e = CommuneFactory(pcode="CM901001004", department=department, name_fr="Epsilon",
                               latitude=5.0, longitude=11.0)
    commune_f = CommuneFactory(pcode="CM903001001", name_fr="Phi", latitude=6.0, longitude=12.0,
                               department=DepartmentFactory(
                                   pcode="CM903001", region=RegionFactory(pcode="CM903")))
    org(commune=commune_c, primary_filiere=t["poultry"])
    org(commune=commune_d, primary_filiere=t["poultry"])
    org(commune=commune_e, primary_filiere=t["poultry"], status="dormant")
    org(commune=commune_f, primary_filiere=t["poultry"])

    diag = DiagnosticFactory
    old = diag(commune=commune_a, year=2022)
    EntryFactory(diagnostic=old, sector=t["agriculture"], priority_rank=1)
    o["diag"] = diag(commune=commune_a, year=2024)
    for sector, rank in (("agriculture", 1), ("agriculture", 2), ("agriculture", 5),
                         ("livestock", 4), ("health", 1)):
        EntryFactory(diagnostic=o["diag"], sector=t[sector], priority_rank=rank)
    o["need"] = EntryFactory(diagnostic=o["diag"], sector=t["livestock"], priority_rank=1,
                             need="Provenderie communale")
    EntryFactory(diagnostic=diag(commune=commune_a, year=2025, status=DRAFT),
                 sector=t["roads"], priority_rank=1)
    o["diag_2026"] = diag(commune=commune_a, year=2026)
    EntryFactory(diagnostic=o["diag_2026"], sector=t["commerce"], priority_rank=1)
    EntryFactory(diagnostic=diag(commune=commune_b, year=2025, status=DRAFT),
                 sector=t["agriculture"], priority_rank=1)
    EntryFactory(diagnostic=diag(commune=commune_b, year=2026), sector=t["livestock"],
                 priority_rank=1)

    def act(ministry, start, end=None, commune=commune_a, reaches=()):
        InterventionFactory(ministry=t[ministry], commune=commune, start_date=start,
                            end_date=end, beneficiaries=list(reaches))

    act("MINADER", D(2023, 1, 1), reaches=[o["a1"], o["a2"]])  # still running
    act("MINADER", D(2025, 12, 31), D(2026, 6, 30), reaches=[o["a1"], o["a3"]])
    act("MINADER", D(2022, 1, 1), D(2024, 12, 31), reaches=[o["a5"]])  # ended the year before
    act("MINEPIA", D(2025, 3, 1), D(2025, 9, 30))
    act("MINTP", D(2026, 1, 1))  # starts after the year
    act("MINTP", D(2020, 1, 1), D(2024, 12, 31))
    act("MINADER", D(2025, 1, 1), commune=commune_b, reaches=[o["b"], o["a1"]])
    return o


def test_it_reports_every_state_of_a_commune(cast, commune_a):
    report = convergence_for_commune(commune_a, year=2025)

    assert report == {
        "commune": "CM901001001",
        "year": 2025,
        "diagnostic": {"id": cast["diag"].pk, "year": 2024},
        "ministries": {
            "MINADER": cell("converging", organisations=2, members=30, women=12, youth=8,
                            needs=3, priority_needs=2, interventions=2, beneficiaries=3),
            "MINCOMMERCE": cell("unplanned", organisations=1, members=20, women=8, youth=5),
            "MINEPIA": cell("unmet", needs=2, priority_needs=1, interventions=1),
            "MINSANTE": cell("unsupported", organisations=1, members=10, women=4, youth=3,
                             needs=1, priority_needs=1),
            "MINTP": cell("absent"),
        },
        "states": states(converging=1, unmet=1, unsupported=1, unplanned=1, absent=1),
        "score": {"num": 1, "den": 3},
        "unmet_needs": [{
            "entry": cast["need"].pk, "sector": "elevage", "ministry": "MINEPIA",
            "priority_rank": 1, "need": "Provenderie communale",
            "nearest": [
                {"commune": "CM901001002", "name": "Bêta", "distance_km": 15.7,
                 "organisations": 2},
                {"commune": "CM901001003", "name": "Delta", "distance_km": 15.7,
                 "organisations": 1},
                {"commune": "CM903001001", "name": "Phi", "distance_km": 248.4,
                 "organisations": 1},
            ],
        }],
    }


@pytest.mark.parametrize("seed", range(3))
def test_it_finds_the_nearest_communes_of_every_unmet_need_as_one_by_one(taxonomy, seed):
    """Twenty communes at random points, poultry or maize organisations in some, unmet
    livestock and agriculture needs in others: each need's nearest communes are those with
    an organisation of its sector, ordered by `haversine_km` (no ties at random points),
    the first three, with their count."""
    rng = random.Random(seed)
    department = DepartmentFactory(pcode="CM905001", region=RegionFactory(pcode="CM905"))
    communes = [CommuneFactory(pcode=f"CM905001{i:03d}", department=department,
                               latitude=rng.uniform(2, 12), longitude=rng.uniform(9, 16))
                for i in range(20)]
    having = {"livestock": {}, "agriculture": {}}
    diagnostics = {}
    for commune in communes:
        for sector, filiere in (("livestock", "poultry"), ("agriculture", "maize")):
            count = rng.choice([0, 0, 1, 2])
            for _ in range(count):
                OrganisationFactory(commune=commune, primary_filiere=taxonomy[filiere])
            if count:
                having[sector][commune.pcode] = count
            elif rng.random() < 0.7:
                if commune.pk not in diagnostics:
                    diagnostics[commune.pk] = DiagnosticFactory(commune=commune, year=2025)
                EntryFactory(diagnostic=diagnostics[commune.pk], sector=taxonomy[sector],
                             priority_rank=rng.randint(1, 3))

    reports = convergence_national(year=2025)["communes"]

    checked = 0
    for here in communes:
        for need in reports[here.pcode]["unmet_needs"]:
            sector = "livestock" if need["sector"] == taxonomy["livestock"].code else "agriculture"
            others = sorted((haversine_km(here.latitude, here.longitude, c.latitude,
                                          c.longitude), c.pcode) for c in communes
                            if c.pcode in having[sector] and c != here)[:3]
            assert need["nearest"] == [
                {"commune": pcode, "name": name_of[pcode], "distance_km": round(km, 1),
                 "organisations": having[sector][pcode]}
                for km, pcode in others
                for name_of in ({c.pcode: c.name_fr for c in communes},)]
            checked += 1
    assert checked >= 5


def test_it_ignores_drafts_and_later_diagnostics(cast, commune_b):
    report = convergence_for_commune(commune_b, year=2025)

    assert report["diagnostic"] is None
    assert report["score"] is None
    assert report["unmet_needs"] == []
    assert report["ministries"] == {
        "MINADER": cell("unplanned", organisations=1, members=10, women=4, youth=3,
                        interventions=1, beneficiaries=2),
        "MINCOMMERCE": cell("absent"),
        "MINEPIA": cell("unplanned", organisations=2, members=20, women=8, youth=6),
        "MINSANTE": cell("absent"),
        "MINTP": cell("absent"),
    }
    assert report["states"] == states(unplanned=2, absent=3)


@pytest.mark.parametrize("year, diagnostic_year, expected", [
    (2021, None, {"MINADER": (0, 0), "MINTP": (0, 1)}),
    (2023, 2022, {"MINADER": (1, 2), "MINTP": (0, 1)}),
    (2024, 2024, {"MINADER": (3, 2), "MINTP": (0, 1)}),
    (2026, 2026, {"MINADER": (0, 2), "MINTP": (0, 1), "MINCOMMERCE": (1, 0)}),
])
def test_it_selects_the_diagnostic_and_interventions_of_the_year(
        cast, commune_a, year, diagnostic_year, expected):
    report = convergence_for_commune(commune_a, year=year)

    assert (report["diagnostic"] or {}).get("year") == diagnostic_year
    for acronym, (needs, interventions) in expected.items():
        figures = report["ministries"][acronym]
        assert (figures["needs"], figures["interventions"]) == (needs, interventions)


def test_it_counts_interventions_by_their_dates(cast, commune_a):
    by_year = {y: convergence_for_commune(commune_a, year=y)["ministries"] for y in
               (2022, 2025, 2027)}

    assert [by_year[y]["MINADER"]["interventions"] for y in (2022, 2025, 2027)] == [1, 2, 1]
    assert [by_year[y]["MINADER"]["beneficiaries"] for y in (2022, 2025, 2027)] == [1, 3, 2]
    assert [by_year[y]["MINTP"]["interventions"] for y in (2022, 2025, 2027)] == [1, 0, 1]
    assert by_year[2027]["MINEPIA"]["interventions"] == 0


def test_it_scores_the_year_2026(cast, commune_a):
    report = convergence_for_commune(commune_a, year=2026)

    assert report["ministries"]["MINCOMMERCE"]["state"] == "unsupported"
    assert report["ministries"]["MINTP"]["state"] == "unplanned"
    assert report["score"] == {"num": 0, "den": 1}
    assert report["unmet_needs"] == []


def test_it_reports_an_empty_commune(taxonomy):
    empty = CommuneFactory(pcode="CM901001009")

    report = convergence_for_commune(empty, year=2025)

    assert report == {
        "commune": "CM901001009", "year": 2025, "diagnostic": None,
        "ministries": {a: cell("absent") for a in
                       ("MINADER", "MINCOMMERCE", "MINEPIA", "MINSANTE", "MINTP")},
        "states": states(absent=5), "score": None, "unmet_needs": [],
    }


def test_it_lists_no_nearest_commune_for_a_need_no_one_meets(taxonomy, commune_a, commune_b):
    diagnostic = DiagnosticFactory(commune=commune_a, year=2025)
    entry = EntryFactory(diagnostic=diagnostic, sector=taxonomy["roads"], priority_rank=2,
                         need="Piste agricole")

    report = convergence_for_commune(commune_a, year=2025)

    assert report["ministries"]["MINTP"] == cell("unmet", needs=1, priority_needs=1)
    assert report["unmet_needs"] == [{
        "entry": entry.pk, "sector": "travaux-publics", "ministry": "MINTP",
        "priority_rank": 2, "need": "Piste agricole", "nearest": []}]
    assert report["score"] == {"num": 0, "den": 1}


def test_it_leaves_communes_without_a_point_out_of_the_nearest(taxonomy, commune_a, commune_b,
                                                                commune_c):
    EntryFactory(diagnostic=DiagnosticFactory(commune=commune_a, year=2025),
                 sector=taxonomy["livestock"], priority_rank=1)
    for commune in (commune_b, commune_c):
        OrganisationFactory(commune=commune, primary_filiere=taxonomy["poultry"])
    commune_b.latitude = None
    commune_b.save()

    nearest = convergence_for_commune(commune_a, year=2025)["unmet_needs"][0]["nearest"]
    commune_a.latitude = None
    commune_a.save()

    assert [n["commune"] for n in nearest] == ["CM902001001"]
    assert convergence_for_commune(commune_a, year=2025)["unmet_needs"][0]["nearest"] == []


@pytest.mark.parametrize("needs, organisations, interventions, state", [
    (1, 1, 1, "converging"),
    (1, 0, 0, "unmet"),
    (1, 0, 1, "unmet"),
    (1, 1, 0, "unsupported"),
    (0, 1, 0, "unplanned"),
    (0, 0, 1, "unplanned"),
    (0, 1, 1, "unplanned"),
    (0, 0, 0, "absent"),
])
def test_it_names_each_state(needs, organisations, interventions, state):
    assert cell_state(needs=needs, organisations=organisations,
                      interventions=interventions) == state


def test_it_sums_the_communes_at_every_level(cast, commune_a, commune_b, commune_c):
    CommuneFactory(pcode="CM901001009", department=commune_a.department)

    report = convergence_national(year=2025)

    assert report["ministries"] == ["MINADER", "MINCOMMERCE", "MINEPIA", "MINSANTE", "MINTP"]
    assert list(report["communes"]) == [
        "CM901001001", "CM901001002", "CM901001003", "CM901001004", "CM901001009",
        "CM902001001", "CM903001001"]
    assert report["communes"]["CM901001001"] == convergence_for_commune(commune_a, year=2025)
    assert sorted(report["departments"]) == ["CM901001", "CM902001", "CM903001"]
    assert sorted(report["regions"]) == ["CM901", "CM902", "CM903"]
    levels = [(report["country"], lambda pcode: True)]
    levels += [(totals, lambda pcode, p=p: pcode.startswith(p))
               for group in ("departments", "regions") for p, totals in report[group].items()]
    for totals, holds in levels:
        communes = [r for pcode, r in report["communes"].items() if holds(pcode)]
        assert totals["communes"] == len(communes)
        assert totals["unmet_needs"] == sum(len(r["unmet_needs"]) for r in communes)
        for acronym in report["ministries"]:
            cells = [r["ministries"][acronym] for r in communes]
            for name in FIGURES:
                assert totals["ministries"][acronym][name] == sum(c[name] for c in cells)
            assert totals["ministries"][acronym]["states"] == states(
                **{s: sum(c["state"] == s for c in cells) for s in STATES})

    country = report["country"]
    assert country["communes"] == 7
    assert country["states"] == states(converging=1, unmet=1, unsupported=1, unplanned=6,
                                       absent=26)
    assert country["score"] == {"num": 1, "den": 3}
    assert country["unmet_needs"] == 1
    assert {k: v for k, v in country["ministries"]["MINEPIA"].items() if k != "states"} == {
        "organisations": 5, "members": 50, "women": 20, "youth": 15, "needs": 2,
        "priority_needs": 1, "interventions": 1, "beneficiaries": 0, "programmes": 0,
        "enrolled": 0}
    assert country["ministries"]["MINADER"]["beneficiaries"] == 5
    assert report["departments"]["CM901001"]["score"] == {"num": 1, "den": 3}
    assert report["regions"]["CM902"]["score"] is None


def test_it_gives_identical_json_on_a_repeated_call(cast):
    first = json.dumps(convergence_national(year=2025), sort_keys=True)

    assert json.dumps(convergence_national(year=2025), sort_keys=True) == first


def test_its_batch_query_count_does_not_grow(cast, commune_a, taxonomy):
    from cooperatives import summaries

    summaries.refresh()  # the writes' summaries recomputed (a fixed number of queries)
    with CaptureQueriesContext(connection) as one:
        convergence_for_communes([commune_a.pk], year=2025)
    every = []
    for pcode in ("CM901001007", "CM901001008"):
        commune = CommuneFactory(pcode=pcode)
        every.append(commune.pk)
        diagnostic = DiagnosticFactory(commune=commune, year=2024)
        EntryFactory(diagnostic=diagnostic, sector=taxonomy["health"], priority_rank=1)
        for _ in range(3):
            org = OrganisationFactory(commune=commune, primary_filiere=taxonomy["maize"])
            InterventionFactory(ministry=taxonomy["MINADER"], commune=commune,
                                beneficiaries=[org])

    summaries.refresh()
    with CaptureQueriesContext(connection) as many:
        reports = convergence_for_communes([commune_a.pk, *every], year=2025)
    with CaptureQueriesContext(connection) as national:
        convergence_national(year=2025)

    # 10, 2 for the support programmes, and the active organisations' figures from the
    # summaries: the ministries' and sectors' ids, then a check for dirty communes and a read
    # of the summary rows, for the communes asked and again for the whole country (the
    # nearest communes), 6 (4 where the whole country is read at once)
    assert len(reads(many)) == len(reads(one)) <= 16  # 14 where the country is read at once
    assert len(reads(national)) <= len(reads(one))
    assert reports[every[0]]["ministries"]["MINADER"]["beneficiaries"] == 3
    assert len(reports[every[0]]["unmet_needs"]) == 1


def _joined_memberships():
    """(organisation, commune, sector, ministry, members, women, youth) per filière of every
    active organisation, by the database's join: the rows `figures_of` and `presence_of`
    count (what the registry of a past day rebuilds)."""
    from cooperatives.models import OrganisationFiliere, OrganisationStatus

    return np.array(list(OrganisationFiliere.objects.filter(
        organisation__status=OrganisationStatus.ACTIVE).values_list(
        "organisation_id", "organisation__commune_id", "filiere__sector_id",
        "filiere__sector__ministry_id", "organisation__members_total",
        "organisation__members_women", "organisation__members_youth")),
        dtype=np.int64).reshape(-1, 7)


SECTORS = ("agriculture", "livestock", "health", "commerce", "roads")


def test_the_registrys_figures_from_summaries_equal_a_count_of_the_rows(cast, taxonomy):
    """The registry reads convergence's organisation figures and sector presence from the
    communes' summary rows: they equal `figures_of` and `presence_of` over the active
    memberships joined from scratch, for the country and for two communes. Active
    organisations only (a3 dormant and a4 dissolved left out); a2 (three filières: cassava and
    maize of MINADER's agriculture, retail of commerce) counted once per ministry and sector."""
    from reports.registry import RegistryNow, figures_of, presence_of

    rows = _joined_memberships()
    assert len(rows) == 11
    registry = RegistryNow(D(2025, 12, 31))
    sectors = {taxonomy[name].pk for name in SECTORS}
    assert registry.organisation_figures(None) == figures_of(rows)
    assert registry.sector_presence(sectors, None) == presence_of(rows, sectors)
    a2 = cast["a2"]
    some = [a2.commune_id, cast["bp1"].commune_id]
    mine = rows[np.isin(rows[:, 1], some)]
    assert registry.organisation_figures(some) == figures_of(mine)
    assert registry.sector_presence(sectors, some) == presence_of(mine, sectors)
    figures = registry.organisation_figures(some)
    # a1 (org_a: cassava) and a2 under MINADER; a2 and a5 under their other ministries
    minader = figures[(a2.commune_id, taxonomy["MINADER"].pk)]
    assert minader == [2, cast["a1"].members_total + 20, cast["a1"].members_women + 8,
                       cast["a1"].members_youth + 5]
    assert figures[(a2.commune_id, taxonomy["MINCOMMERCE"].pk)] == [1, 20, 8, 5]
    assert registry.sector_presence({taxonomy["livestock"].pk}, some) == {
        taxonomy["livestock"].pk: {cast["bp1"].commune_id: 2}}


def test_the_registrys_figures_follow_every_write(cast, taxonomy, commune_b):
    """An organisation turned dormant, one moved to another commune, a filière added, one
    written with a plain UPDATE that marks its commune itself: the next figures read
    (the summaries of the communes the writes marked refreshed) count them."""
    from cooperatives import summaries
    from cooperatives.models import Organisation, OrganisationFiliere, OrganisationStatus
    from reports.registry import RegistryNow, figures_of, presence_of

    registry = RegistryNow(D(2025, 12, 31))
    sectors = {taxonomy[name].pk for name in SECTORS}
    before = registry.organisation_figures(None)  # every summary current
    assert before == figures_of(_joined_memberships())
    a1, a2 = cast["a1"], cast["a2"]
    a1.status = OrganisationStatus.DORMANT
    a1.save()
    a2.commune = commune_b
    a2.save()
    OrganisationFiliere.objects.create(organisation=cast["bp1"], filiere=taxonomy["cassava"])
    Organisation.objects.filter(pk=cast["a5"].pk).update(members_total=99)
    summaries.mark_pcodes([cast["a5"].commune.pcode])
    rows = _joined_memberships()
    registry = RegistryNow(D(2025, 12, 31))  # a registry reads its figures once
    after = registry.organisation_figures(None)
    assert after != before
    assert after == figures_of(rows)
    assert registry.sector_presence(sectors, None) == presence_of(rows, sectors)
    # b (org_b, a MINADER filière), a2 moved in, bp1 with its new cassava filière
    minader_b = (commune_b.pk, taxonomy["MINADER"].pk)
    assert after[minader_b][0] == before[minader_b][0] + 2 == 3
    assert after[(cast["a5"].commune_id, taxonomy["MINSANTE"].pk)][1] == 99
