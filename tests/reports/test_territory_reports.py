"""Both reports for a project territory (reports/territory_reports.py) on crafted data:
communes A (region CM901) and C (region CM902) form the territory; B, beside A, left it."""

import datetime

import pytest

from cooperatives.models import LinkKind, LinkStatus, ProjectTerritory, TerritoryMembership
from reports.compute import compute_run
from reports.cooperation import KINDS
from reports.models import ReportRun
from reports.registry import RegistryNow
from reports.territory_reports import (
    territory_convergence,
    territory_cooperation,
    territory_members,
)

from ..factories import (
    DiagnosticFactory,
    EntryFactory,
    FiliereFactory,
    InterventionFactory,
    LinkFactory,
    MinistryFactory,
    OrganisationFactory,
    SectorFactory,
)

pytestmark = pytest.mark.django_db
ON = datetime.date(2025, 6, 30)
EARLY = datetime.date(2025, 2, 1)


@pytest.fixture
def territory(commune_a, commune_b, commune_c):
    t = ProjectTerritory.objects.create(code="bassin", name="Bassin", purpose="basin",
                                        status=ProjectTerritory.Status.ACTIVE)
    for commune, start, end in ((commune_a, "2025-01-01", None), (commune_c, "2025-01-01", None),
                                (commune_b, "2024-01-01", "2025-03-01")):
        TerritoryMembership.objects.create(territory=t, commune=commune, start=start, end=end)
    return t


@pytest.fixture
def cast(commune_a, commune_b, commune_c, cassava, maize, poultry):
    org = OrganisationFactory
    o = {
        "a1": org(commune=commune_a, primary_filiere=cassava, members_total=10),
        "a2": org(commune=commune_a, primary_filiere=maize, members_total=20),
        "c1": org(commune=commune_c, primary_filiere=cassava, members_total=30),
        "c2": org(commune=commune_c, primary_filiere=poultry, members_total=10),
        "c3": org(commune=commune_c, primary_filiere=cassava, status="dormant"),
        "c4": org(commune=commune_c, primary_filiere=poultry, members_total=25),
        "b1": org(commune=commune_b, primary_filiere=cassava, members_total=10),
    }
    link = LinkFactory
    link(source=o["a1"], target=o["c1"], kind=LinkKind.JOINT_SALE)  # across commune lines
    link(source=o["c1"], target=o["a1"], kind=LinkKind.TRAINING)  # same pair, other kind
    link(source=o["a1"], target=o["a2"], kind=LinkKind.TRAINING)
    link(source=o["a2"], target=o["b1"], kind=LinkKind.JOINT_PURCHASE)  # leaves the territory
    link(source=o["c2"], target=o["c3"], kind=LinkKind.SHARED_JOBS)  # to a dormant one
    link(source=o["c1"], target=o["b1"], kind=LinkKind.JOINT_SALE, status=LinkStatus.PROPOSED,
         target_confirmed=False)
    return o


def test_it_takes_the_members_of_the_report_day(territory, commune_a, commune_b, commune_c):
    assert [p for _, p in territory_members(territory, ON)] == [commune_a.pcode,
                                                                commune_c.pcode]
    assert [p for _, p in territory_members(territory, EARLY)] == [
        commune_a.pcode, commune_b.pcode, commune_c.pcode]
    assert territory_members(territory, datetime.date(2024, 12, 31)) == [
        (commune_b.pk, commune_b.pcode)]


def test_it_counts_links_across_member_communes_as_internal(territory, cast, commune_a,
                                                           commune_c):
    report = territory_cooperation(territory, on=ON, registry=RegistryNow(ON))
    assert report["territory"] == "bassin"
    assert report["communes"] == [commune_a.pcode, commune_c.pcode]
    assert report["active_organisations"] == 5
    assert report["links"] == 5
    assert report["links_by_kind"] == {k: {"joint_sale": 1, "training": 2, "joint_purchase": 1,
                                           "shared_jobs": 1}.get(k, 0) for k in KINDS}
    assert report["linked_organisations"] == 4
    assert report["linked_share"] == {"num": 4, "den": 5}
    assert report["pairs"] == 2
    assert report["density"] == {"num": 2, "den": 10}
    assert report["components"] == 3
    assert report["largest_component"] == 3
    assert report["isolated"] == 1
    assert report["isolated_organisations"] == [cast["c4"].pk]
    assert report["cross_commune"] == 3
    assert report["cross_commune_inside"] == 2
    assert report["external"] == 1
    assert report["cross_filiere"] == 3
    assert [o["organisations"] for o in report["opportunities"]] == [
        sorted([cast["c2"].pk, cast["c4"].pk])]
    assert report["opportunities"][0]["members"] == 35
    assert report["outside_unions"]["manioc"]["count"] == 2
    assert "commune" not in report


def test_a_former_member_counts_while_it_was_one(territory, cast):
    report = territory_cooperation(territory, on=EARLY, registry=RegistryNow(EARLY))
    assert report["active_organisations"] == 6
    assert report["pairs"] == 3
    assert report["external"] == 0
    assert report["cross_commune_inside"] == 3
    assert (report["components"], report["largest_component"]) == (3, 4)


def test_a_territory_without_members_has_zero_figures(territory):
    report = territory_cooperation(territory, on=datetime.date(2020, 1, 1),
                                   registry=RegistryNow(datetime.date(2020, 1, 1)))
    assert report["communes"] == []
    assert (report["active_organisations"], report["links"], report["components"]) == (0, 0, 0)
    assert report["density"] is None


@pytest.fixture
def needs(territory, cast, commune_a, commune_b, commune_c, agriculture, livestock, minader,
          minepia):
    health = SectorFactory(code="sante", ministry=MinistryFactory(acronym="MINSANTE"))
    FiliereFactory(code="centre-sante", sector=health)
    in_a = DiagnosticFactory(commune=commune_a, year=2025)
    EntryFactory(diagnostic=in_a, sector=agriculture, priority_rank=1)
    EntryFactory(diagnostic=in_a, sector=livestock, priority_rank=2)  # met in C
    in_c = DiagnosticFactory(commune=commune_c, year=2024)
    EntryFactory(diagnostic=in_c, sector=livestock, priority_rank=5)
    EntryFactory(diagnostic=in_c, sector=agriculture, priority_rank=2)
    unmet = EntryFactory(diagnostic=in_c, sector=health, priority_rank=1, need="Un centre")
    draft = DiagnosticFactory(commune=commune_c, year=2025, status="draft")
    EntryFactory(diagnostic=draft, sector=health, priority_rank=1)
    InterventionFactory(ministry=minader, commune=commune_a,
                        beneficiaries=[cast["a1"], cast["a2"]])
    InterventionFactory(ministry=minader, commune=commune_c,
                        beneficiaries=[cast["c1"], cast["a1"]])
    InterventionFactory(ministry=minepia, commune=commune_b, beneficiaries=[cast["b1"]])
    return {"in_a": in_a, "in_c": in_c, "unmet": unmet}


def test_it_sums_the_members_convergence(territory, needs, commune_a, commune_c):
    report = territory_convergence(territory, year=2025, on=ON, registry=RegistryNow(ON))
    assert report["diagnostics"] == {
        commune_a.pcode: {"id": needs["in_a"].pk, "year": 2025},
        commune_c.pcode: {"id": needs["in_c"].pk, "year": 2024}}
    assert report["ministries"]["MINADER"] == {
        "organisations": 3, "members": 60, "women": 12, "youth": 9, "needs": 2,
        "priority_needs": 2, "interventions": 2, "beneficiaries": 3, "state": "converging"}
    assert report["ministries"]["MINEPIA"] == {
        "organisations": 2, "members": 35, "women": 8, "youth": 6, "needs": 2,
        "priority_needs": 1, "interventions": 0, "beneficiaries": 0, "state": "unsupported"}
    assert report["ministries"]["MINSANTE"]["state"] == "unmet"
    assert report["states"] == {"converging": 1, "unmet": 1, "unsupported": 1,
                                "unplanned": 0, "absent": 0}
    assert report["score"] == {"num": 1, "den": 3}
    assert [(u["entry"], u["commune"], u["sector"]) for u in report["unmet_needs"]] == [
        (needs["unmet"].pk, commune_c.pcode, "sante")]


def test_a_run_of_the_territory_computes_its_report(territory, cast, settings):
    year = datetime.date.today().year
    run = ReportRun.objects.create(kind="cooperation", scope=territory.scope, year=year,
                                   territory=territory)
    assert compute_run(run)["active_organisations"] == 5


def test_a_past_year_reads_the_registry_as_it_stood_then(territory, cast, needs):
    """Every row of the cast was created this year: on 31 December of last year the members
    held no organisation yet, while the diagnostics and interventions of that year count."""
    past = datetime.date.today().year - 1
    runs = {kind: ReportRun.objects.create(kind=kind, scope=territory.scope, year=past,
                                           territory=territory) for kind in KINDS_RUN}
    cooperation = compute_run(runs["cooperation"])
    assert (cooperation["on"], cooperation["active_organisations"], cooperation["links"]) == (
        f"{past}-12-31", 0, 0)
    convergence = compute_run(runs["convergence"])
    assert convergence["communes"] == cooperation["communes"]
    assert {k: convergence["ministries"]["MINADER"][k] for k in (
        "organisations", "needs", "interventions", "beneficiaries", "state")} == {
        "organisations": 0, "needs": 2, "interventions": 2, "beneficiaries": 3,
        "state": "unmet"}


KINDS_RUN = ("cooperation", "convergence")
