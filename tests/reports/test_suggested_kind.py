"""The suggested link kind of a cooperation opportunity (reports/suggestions.py): the rule on
crafted inputs, then on crafted pairs through the report, with exact kinds."""

import datetime

import pytest

from cooperatives.models import LinkKind, LinkStatus
from reports.cooperation import cooperation_for_commune
from reports.suggestions import suggested_kind

from ..factories import FiliereFactory, LinkFactory, OrganisationFactory, SectorFactory

ON = datetime.date(2025, 6, 30)


@pytest.mark.parametrize(("sectors", "a", "b", "expected"), [
    # 1. A kind both practise wins over the filière's kind.
    (["agriculture"], {"training": 1}, {"training": 2}, "training"),
    # ... the one with the most links of the two together.
    (["agriculture"], {"training": 1, "savings_credit": 3}, {"training": 1, "savings_credit": 1},
     "savings_credit"),
    # ... ties in LinkKind order (shared equipment comes before training).
    (["agriculture"], {"training": 1, "shared_equipment": 1},
     {"training": 1, "shared_equipment": 1}, "shared_equipment"),
    # "other" says nothing concrete: never suggested from practice.
    (["tourisme"], {"other": 4}, {"other": 2}, "shared_label"),
    # A kind only one of them practises does not count.
    (["eau_energie"], {"training": 3}, {"savings_credit": 2}, "shared_equipment"),
    # 2. The shared filières' sectors, by votes.
    (["agriculture"], {}, {}, "joint_sale"),
    (["pme_ess"], {}, {}, "shared_label"),
    (["sante"], {}, {}, "savings_credit"),
    (["emploi_formation"], {}, {}, "training"),
    (["jeunesse"], {}, {}, "shared_jobs"),
    (["pme_ess", "tourisme", "agriculture"], {}, {}, "shared_label"),
    # ... ties in LinkKind order (shared equipment before joint sale).
    (["agriculture", "habitat"], {}, {}, "shared_equipment"),
    # An unmapped sector (or none) asks for a joint sale.
    (["recherche"], {}, {}, "joint_sale"),
    ([], {}, {}, "joint_sale"),
])
def test_it_suggests_the_rules_kind(sectors, a, b, expected):
    assert suggested_kind(sectors, a, b) == expected


@pytest.mark.django_db
def test_it_suggests_a_kind_per_pair_in_the_report(commune_a, commune_b, maize, cassava):
    """Four pairs of commune A, each hitting one branch of the rule; the pairs and figures
    stay what the report's definition gives."""
    crafts = FiliereFactory(code="artisanat", name_fr="Artisanat",
                            sector=SectorFactory(code="pme_ess", name_fr="PME"))
    org = OrganisationFactory
    p1 = org(name="P1", commune=commune_a, primary_filiere=maize, members_total=50)
    p2 = org(name="P2", commune=commune_a, primary_filiere=maize, members_total=40)
    c1 = org(name="C1", commune=commune_a, primary_filiere=crafts, members_total=30)
    c2 = org(name="C2", commune=commune_a, primary_filiere=crafts, members_total=20)
    far = org(name="Loin", commune=commune_b, primary_filiere=cassava)
    far2 = org(name="Loin 2", commune=commune_b, primary_filiere=cassava)
    # P1 and P2 both train with organisations of commune B: training is what they share.
    LinkFactory(source=p1, target=far, kind=LinkKind.TRAINING)
    LinkFactory(source=far2, target=p2, kind=LinkKind.TRAINING)
    # C1 has a savings link, C2 a proposed (not counted) one: nothing shared.
    LinkFactory(source=c1, target=far, kind=LinkKind.SAVINGS_CREDIT)
    LinkFactory(source=c2, target=far2, kind=LinkKind.SAVINGS_CREDIT,
                status=LinkStatus.PROPOSED, target_confirmed=False)

    report = cooperation_for_commune(commune_a, on=ON)

    got = {tuple(o["names"]): (o["filieres"], o["suggested_kind"])
           for o in report["opportunities"]}
    assert got == {("P1", "P2"): (["mais"], "training"),
                   ("C1", "C2"): (["artisanat"], "shared_label")}
    assert [o["members"] for o in report["opportunities"]] == [90, 50]
    assert report["density"] == {"num": 0, "den": 6}


def test_many_pairs_at_once_get_the_kind_each_would_get_alone():
    """suggested_kinds (a national report's 7,200 pairs in one pass) row by row equals the
    rule on each pair: every mix of practised kinds and shared sectors, ties included."""
    import random

    import numpy as np

    from reports.suggestions import KIND_ORDER, kind_of_sector, suggested_kinds

    chance = random.Random(7)
    sectors = ["agriculture", "habitat", "sante", "tourisme", "jeunesse", "emploi_formation",
               "recherche", "pme_ess"]
    pairs = []
    for _ in range(400):
        shared = chance.choices(sectors, k=chance.randint(0, 3))
        a, b = ({kind: chance.choice([0, 0, 1, 2]) for kind in chance.sample(KIND_ORDER, 3)}
                for _ in range(2))
        pairs.append((shared, a, b))
    votes = np.zeros((len(pairs), len(KIND_ORDER)), dtype=np.int64)
    for row, (shared, _, _) in enumerate(pairs):
        for sector in shared:
            votes[row, kind_of_sector(sector)] += 1
    practised = [np.array([[p.get(kind, 0) for kind in KIND_ORDER] for p in side],
                          dtype=np.int64) for side in zip(*(pair[1:] for pair in pairs),
                                                          strict=True)]
    together = suggested_kinds(votes, *practised)
    assert together == [suggested_kind(*pair) for pair in pairs]
    assert len(set(together)) >= 5  # the draw reaches most branches of the rule


def test_shared_filieres_past_the_first_64_bit_word():
    """The filières a pair shares, read from masks of two 64-bit words (filière positions
    above 63 sit in the second word)."""
    import types

    import numpy as np

    from reports.cooperation import _filiere_masks, _Snapshot

    codes = [f"f{i:03d}" for i in range(100)]
    org = np.array([0, 0, 0, 1, 1, 1, 2], dtype=np.int64)
    fil = np.array([3, 64, 99, 3, 70, 99, 64], dtype=np.int64)
    snapshot = types.SimpleNamespace(masks=_filiere_masks(3, len(codes), org, fil),
                                     filiere_codes=codes)
    shared = _Snapshot._shared_filieres(snapshot, np.array([0, 0, 1]), np.array([1, 2, 2]))
    assert [np.flatnonzero(row).tolist() for row in shared] == [[3, 99], [64], []]
