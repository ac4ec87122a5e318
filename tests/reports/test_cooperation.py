"""The cooperation report (reports/cooperation.py) on crafted data with exact numbers."""

import datetime
import json
import random
from itertools import combinations

import numpy as np
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cooperatives.models import LegalForm, LinkKind, LinkStatus
from reports.cooperation import (
    KINDS,
    cooperation_for_commune,
    cooperation_for_communes,
    cooperation_national,
)
from reports.cooperation_pairs import FiliereGroups, first_pairs

from ..factories import CommuneFactory, LinkFactory, OrganisationFactory
from ..query_counts import reads

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True, params=["filtered", "whole_country"])
def fetch_path(request, monkeypatch):
    """Run each test through both fetches: filtered by commune, and the whole country read
    at once (what batches of 1/32 of the communes or more use)."""
    monkeypatch.setattr("reports.cooperation._WHOLE_COUNTRY_FROM",
                        0 if request.param == "filtered" else 10**6)

ON = datetime.date(2025, 6, 30)


def kinds(**counts):
    return {kind: counts.get(kind, 0) for kind in KINDS}


def ids(*orgs):
    return sorted(o.pk for o in orgs)


@pytest.fixture
def cast(commune_a, commune_b, commune_c, cassava, maize, poultry, org_a, org_b):
    """Commune A: six active organisations (a union among them), a dormant and a dissolved one,
    links of every status; B and C each hold one partner across the commune border."""
    org = OrganisationFactory
    union = org(name="Union Maïs", commune=commune_a, legal_form=LegalForm.UNION,
                primary_filiere=maize, members_total=6, members_women=0, members_youth=0)
    o = {
        "a1": org_a,
        "a2": org(name="A2", commune=commune_a, primary_filiere=cassava, filieres=[maize],
                  members_total=30, parent_union=union),
        "a3": org(name="A3", commune=commune_a, primary_filiere=maize, members_total=20,
                  parent_union=union),
        "a4": org(name="A4", commune=commune_a, primary_filiere=poultry, members_total=15),
        "a7": org(name="A7", commune=commune_a, primary_filiere=poultry, members_total=8),
        "u1": union,
        "dormant": org(name="Dormante", commune=commune_a, primary_filiere=cassava,
                       status="dormant", members_total=12),
        "dissolved": org(name="Dissoute", commune=commune_a, primary_filiere=cassava,
                         status="dissolved", members_total=40),
        "b": org_b,
        "c": org(name="C1", commune=commune_c, primary_filiere=poultry),
    }
    link = LinkFactory
    link(source=o["a1"], target=o["a2"], kind=LinkKind.JOINT_SALE)
    link(source=o["a2"], target=o["a1"], kind=LinkKind.TRAINING)  # same pair, other kind
    link(source=o["a2"], target=o["a3"], kind=LinkKind.SHARED_EQUIPMENT,
         end_date=datetime.date(2025, 12, 31))
    link(source=o["a3"], target=o["a4"], kind=LinkKind.JOINT_PURCHASE, end_date=ON)  # ended
    link(source=o["a4"], target=o["a7"], kind=LinkKind.JOINT_SALE, status=LinkStatus.PROPOSED,
         target_confirmed=False)
    link(source=o["a7"], target=o["a4"], kind=LinkKind.SAVINGS_CREDIT, status=LinkStatus.ENDED)
    link(source=o["a1"], target=o["b"], kind=LinkKind.JOINT_PURCHASE)
    link(source=o["a4"], target=o["dormant"], kind=LinkKind.SHARED_JOBS)
    link(source=o["c"], target=o["a3"], kind=LinkKind.OTHER)
    link(source=o["dissolved"], target=o["b"], kind=LinkKind.SHARED_LABEL)
    link(source=o["u1"], target=o["a3"], kind=LinkKind.JOINT_SALE,
         end_date=datetime.date(2025, 7, 1))
    return o


def test_it_reports_every_figure_of_a_commune(cast, commune_a):
    o = cast
    report = cooperation_for_commune(commune_a, on=ON)

    assert report == {
        "commune": "CM901001001",
        "on": "2025-06-30",
        "active_organisations": 6,
        "links": 8,
        "links_by_kind": kinds(joint_sale=2, training=1, shared_equipment=1, joint_purchase=1,
                               shared_jobs=1, other=1, shared_label=1),
        "linked_organisations": 5,
        "linked_share": {"num": 5, "den": 6},
        "pairs": 3,
        "density": {"num": 3, "den": 15},
        "components": 3,
        "largest_component": 4,
        "isolated": 1,
        "isolated_organisations": [o["a7"].pk],
        "cross_commune": 3,
        "cross_filiere": 2,
        "opportunities": [
            {"organisations": ids(o["a2"], o["u1"]),
             "names": [x.name for x in sorted([o["a2"], o["u1"]], key=lambda x: x.pk)],
             "members": 36, "filieres": ["mais"], "suggested_kind": "joint_sale"},
            {"organisations": ids(o["a4"], o["a7"]), "names": ["A4", "A7"],
             "members": 23, "filieres": ["aviculture"], "suggested_kind": "joint_sale"},
        ],
        "outside_unions": {
            "aviculture": {"count": 2, "organisations": ids(o["a4"], o["a7"])},
            "mais": {"count": 0, "organisations": []},
            "manioc": {"count": 1, "organisations": [o["a1"].pk]},
        },
    }


def test_it_counts_links_across_the_border_in_both_communes(cast, commune_b, commune_c):
    reports = cooperation_for_communes([commune_b.pk, commune_c.pk], on=ON)

    b, c = reports[commune_b.pk], reports[commune_c.pk]
    assert b["links"] == 2
    assert b["links_by_kind"] == kinds(joint_purchase=1, shared_label=1)
    assert (b["cross_commune"], b["cross_filiere"]) == (2, 0)
    assert b["linked_share"] == {"num": 1, "den": 1}
    assert (b["density"], b["pairs"], b["components"], b["largest_component"]) == (
        None, 0, 1, 1)
    assert (b["isolated"], b["isolated_organisations"], b["opportunities"]) == (0, [], [])
    assert b["outside_unions"] == {"manioc": {"count": 1, "organisations": [cast["b"].pk]}}
    assert c["links_by_kind"] == kinds(other=1)
    assert (c["links"], c["cross_commune"], c["cross_filiere"]) == (1, 1, 1)


def test_it_ignores_ended_and_proposed_links(cast, commune_a):
    later = cooperation_for_commune(commune_a, on=datetime.date(2025, 7, 1))

    # On 1 July the union's link has ended too: a3 keeps its other links, u1 is now isolated.
    assert later["links"] == 7
    assert later["links_by_kind"]["joint_sale"] == 1
    assert later["isolated_organisations"] == ids(cast["a7"], cast["u1"])
    assert (later["pairs"], later["components"], later["largest_component"]) == (2, 4, 3)


def test_it_counts_two_kinds_between_one_pair_as_one_pair(commune_a, cassava):
    one, two = (OrganisationFactory(commune=commune_a, primary_filiere=cassava)
                for _ in range(2))
    LinkFactory(source=one, target=two, kind=LinkKind.JOINT_SALE)
    LinkFactory(source=two, target=one, kind=LinkKind.TRAINING)

    report = cooperation_for_commune(commune_a, on=ON)

    assert (report["links"], report["pairs"]) == (2, 1)
    assert report["density"] == {"num": 1, "den": 1}
    assert (report["components"], report["largest_component"]) == (1, 2)
    assert report["opportunities"] == []


def test_it_reports_an_empty_commune():
    empty = CommuneFactory(pcode="CM901001009")

    assert cooperation_for_commune(empty, on=ON) == {
        "commune": "CM901001009", "on": "2025-06-30", "active_organisations": 0, "links": 0,
        "links_by_kind": kinds(), "linked_organisations": 0, "linked_share": None,
        "pairs": 0, "density": None, "components": 0, "largest_component": 0, "isolated": 0,
        "isolated_organisations": [], "cross_commune": 0, "cross_filiere": 0,
        "opportunities": [], "outside_unions": {},
    }


def test_it_leaves_dormant_and_dissolved_organisations_out_of_the_graph(commune_a, cassava):
    active = OrganisationFactory(commune=commune_a, primary_filiere=cassava)
    for status in ("dormant", "dissolved", "in_creation"):
        other = OrganisationFactory(commune=commune_a, primary_filiere=cassava, status=status)
        LinkFactory(source=active, target=other)

    report = cooperation_for_commune(commune_a, on=ON)

    assert (report["active_organisations"], report["links"], report["pairs"]) == (1, 3, 0)
    assert (report["linked_organisations"], report["isolated"]) == (1, 0)
    assert (report["components"], report["largest_component"], report["density"]) == (1, 1, None)
    assert report["opportunities"] == []
    assert report["outside_unions"] == {"manioc": {"count": 1, "organisations": [active.pk]}}


def test_it_orders_opportunities_and_keeps_the_first_20(commune_a, cassava, maize):
    members = [50, 45, 45, 30, 20, 20, 10, 5, 5]
    orgs = [OrganisationFactory(commune=commune_a, primary_filiere=cassava, members_total=m,
                                members_women=0, members_youth=0,
                                filieres=[maize] if i % 2 else [])
            for i, m in enumerate(members)]
    LinkFactory(source=orgs[1], target=orgs[0])  # the best pair is already linked
    LinkFactory(source=orgs[2], target=orgs[3], status=LinkStatus.ENDED)  # still a candidate

    found = cooperation_for_commune(commune_a, on=ON)["opportunities"]

    candidates = sorted(
        (-(a.members_total + b.members_total), a.pk, b.pk)
        for a, b in combinations(sorted(orgs, key=lambda x: x.pk), 2)
        if {a.pk, b.pk} != {orgs[0].pk, orgs[1].pk})
    assert len(candidates) == 35
    assert [(-o["members"], *o["organisations"]) for o in found] == candidates[:20]
    assert [(o["members"], o["organisations"]) for o in found[:4]] == [
        (95, [orgs[0].pk, orgs[2].pk]), (90, [orgs[1].pk, orgs[2].pk]),
        (80, [orgs[0].pk, orgs[3].pk]), (75, [orgs[1].pk, orgs[3].pk])]
    both = [o for o in found if o["organisations"] == [orgs[1].pk, orgs[3].pk]]
    assert both[0]["filieres"] == ["mais", "manioc"]
    assert [o["members"] for o in found[-5:]] == [55, 50, 50, 50, 50]


@pytest.mark.parametrize("seed", range(40))
def test_it_finds_the_exact_first_pairs_without_listing_them_all(seed):
    """`first_pairs` against every pair listed and sorted, on random groups in random
    places: few distinct member counts (many ties), a third of the pairs linked, groups up
    to 40 organisations (past the first round's four), pairs found in several groups."""
    rng = random.Random(seed)
    n = rng.randint(2, 60)
    members = np.array([rng.choice([0, 5, 10, 10, 20, 35]) for _ in range(n)], dtype=np.int64)
    places = rng.randint(1, 3)
    groups = []  # (place, filière, positions by members descending then position)
    for place in range(places):
        for filiere in range(rng.randint(1, 4)):
            chosen = rng.sample(range(n), rng.randint(0, min(n, 40)))
            groups.append((place, filiere, sorted(chosen, key=lambda i: (-members[i], i))))
    all_pairs = {(place, min(a, b), max(a, b)) for place, _, g in groups
                 for a, b in combinations(g, 2)}
    linked = set(rng.sample(sorted({(a, b) for _, a, b in all_pairs}), len(all_pairs) // 3))
    keys = np.array(sorted(a * n + b for a, b in linked), dtype=np.int64)
    sizes = [len(g) for _, _, g in groups]

    place, low, high = first_pairs(FiliereGroups(
        org=np.array([i for _, _, g in groups for i in g], dtype=np.int64),
        start=np.array(np.cumsum([0, *sizes])[:-1], dtype=np.int64),
        size=np.array(sizes, dtype=np.int64),
        place=np.array([p for p, _, _ in groups], dtype=np.int64),
        filiere=np.array([f for _, f, _ in groups], dtype=np.int64)), members, keys, places, 20)

    expected = []
    for p in range(places):
        candidates = sorted((-(members[a] + members[b]), a, b) for q, a, b in all_pairs
                            if q == p and (a, b) not in linked)
        expected += [(p, a, b) for _, a, b in candidates[:20]]
    assert list(zip(place.tolist(), low.tolist(), high.tolist(), strict=True)) == expected


def test_a_pair_left_out_of_the_first_round_that_ties_the_floor_comes_first():
    """Group one: A (20 members), B, C, D (10), then E (5) at row four, left out of the first
    round although its id is the lowest. Group two: X (20) and Y (5). The fourth pair found
    in the first round, X-Y (25), ties the bound of the pairs left out (A + E = 25): only the
    second round can tell that A-E, lower ids, comes before it."""
    a, b, c, d, e, x, y = 10, 11, 12, 13, 0, 50, 51
    members = np.zeros(52, dtype=np.int64)
    members[[a, b, c, d, e, x, y]] = [20, 10, 10, 10, 5, 20, 5]

    place, low, high = first_pairs(FiliereGroups(
        org=np.array([a, b, c, d, e, x, y]), start=np.array([0, 5]), size=np.array([5, 2]),
        place=np.array([0, 0]), filiere=np.array([0, 1])), members, np.zeros(0, np.int64), 1, 4)

    assert list(zip(low.tolist(), high.tolist(), strict=True)) == [(a, b), (a, c), (a, d), (e, a)]


def test_it_reports_the_national_graph(cast, commune_a, commune_b, commune_c):
    CommuneFactory(pcode="CM901001009")

    report = cooperation_national(on=ON)

    assert sorted(report["communes"]) == [
        "CM901001001", "CM901001002", "CM901001009", "CM902001001"]
    assert report["communes"]["CM901001001"] == cooperation_for_commune(commune_a, on=ON)
    assert {k: v for k, v in report.items() if k != "communes"} == {
        "on": "2025-06-30",
        "active_organisations": 8,
        "links": 8,
        "links_by_kind": kinds(joint_sale=2, training=1, shared_equipment=1, joint_purchase=1,
                               shared_jobs=1, other=1, shared_label=1),
        "pairs": 5,
        "density": {"num": 5, "den": 28},
        "components": 3,
        "largest_component": 6,
        "isolated": 1,
    }
    assert report["isolated"] == sum(c["isolated"] for c in report["communes"].values())


def test_it_gives_identical_json_on_a_repeated_call(cast):
    first = json.dumps(cooperation_national(on=ON), sort_keys=True)

    assert json.dumps(cooperation_national(on=ON), sort_keys=True) == first


def test_its_batch_query_count_does_not_grow(cast, commune_a, commune_b, commune_c, cassava):
    with CaptureQueriesContext(connection) as one:
        cooperation_for_communes([commune_a.pk], on=ON)
    every = [commune_a.pk, commune_b.pk, commune_c.pk]
    for pcode in ("CM901001007", "CM901001008"):
        commune = CommuneFactory(pcode=pcode)
        orgs = [OrganisationFactory(commune=commune, primary_filiere=cassava) for _ in range(5)]
        LinkFactory(source=orgs[0], target=orgs[1])
        LinkFactory(source=orgs[2], target=cast["a1"])
        every.append(commune.pk)

    with CaptureQueriesContext(connection) as many:
        cooperation_for_communes(every, on=ON)
        cooperation_national(on=ON)

    assert len(reads(one)) <= 6
    assert len(reads(many)) == 2 * len(reads(one))


def test_the_reports_read_the_counted_links_without_their_id(cast, commune_a):
    """RegistryNow.counted_links: the rows of `links` less the id column, the whole country's
    read without it."""
    from reports.registry import RegistryNow

    registry = RegistryNow(ON)
    for ids in (None, [commune_a.pk]):
        links = registry.links(ids)
        assert len(links) > 0
        assert sorted(map(tuple, registry.counted_links(ids).tolist())) == sorted(
            map(tuple, links[:, 1:].tolist()))
