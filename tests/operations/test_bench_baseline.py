"""P4's hand-written baseline (operations/bench/baseline_sql.py) computes both reports whole,
as PRODUCT.md defines them, and `compare` checks every value of it against the platform's
results: on a generated dataset, and on crafted filière groups where the opportunities need
the baseline's second round."""

import copy
import os

import pytest
from django.utils import timezone

from operations.bench import baseline_compare, baseline_reports, baseline_sql
from operations.generator.dataset import generate_dataset
from reports.compute import compute_national, report_date
from sectors.taxonomy import load_taxonomy

from ..factories import (
    CommuneFactory,
    DepartmentFactory,
    FiliereFactory,
    LinkFactory,
    OrganisationFactory,
    RegionFactory,
)

pytestmark = [
    # The baseline reads on connections of its own: the data must be committed.
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not os.environ.get("DATABASE_URL", "").startswith("postgres"),
                       reason="the baseline packs its reads with PostgreSQL's int8send: set "
                              "DATABASE_URL to a postgres:// URL (CI does)"),
]


def baseline_and_platform() -> tuple[dict, dict]:
    year = timezone.localdate().year
    baseline, seconds = baseline_sql.run_baseline(year=year, on=report_date(year))
    assert seconds > 0
    convergence = compute_national("convergence", year)
    cooperation = compute_national("cooperation", year)
    return baseline, {"convergence": convergence["communes"],
                      "cooperation": cooperation["communes"],
                      "national_convergence": convergence, "national_cooperation": cooperation}


def values_in(stored: dict) -> int:
    """How many values `compare` must check, counted from the platform's own results."""
    ministries = len(stored["national_convergence"]["ministries"])
    count = 0
    for result in stored["convergence"].values():
        # 11 per cell (ten figures, the state), the states, the score, the unmet needs'
        # length and each of them
        count += ministries * 11 + 3 + len(result["unmet_needs"])
    national = stored["national_convergence"]
    count += len(national["departments"]) + len(national["regions"]) + 1
    for result in stored["cooperation"].values():
        # 9 figures, links by kind, linked share, density, the opportunities' length and
        # each of them, the outside-unions filières and each of them
        count += 13 + len(result["opportunities"]) + 1 + len(result["outside_unions"])
    return count + len(stored["national_cooperation"]) - 2  # every key but "on", "communes"


@pytest.fixture
def generated():
    """Four communes with points in two regions, filled by the seeded generator, and a fifth
    commune without a point (its unmet needs get no nearest communes)."""
    load_taxonomy()
    pcodes = []
    for region, latitude in (("CM002", 3.7), ("CM008", 5.4)):
        department = DepartmentFactory(pcode=f"{region}001", region=RegionFactory(pcode=region))
        for n in (1, 2):
            pcodes.append(CommuneFactory(pcode=f"{department.pcode}00{n}", department=department,
                                         latitude=latitude + n / 10, longitude=11.0).pcode)
    pcodes.append(CommuneFactory(pcode="CM008001003", department=department, latitude=None,
                                 longitude=None).pcode)
    generate_dataset(scale="tiny", seed=1, pcodes=pcodes)


def test_the_baseline_computes_every_value_of_both_reports(generated):
    baseline, stored = baseline_and_platform()

    check = baseline_compare.compare(baseline, stored)

    assert check["mismatches"] == 0, check["examples"]
    assert check["checked"] == values_in(stored)
    # The dataset exercises what the baseline computes beyond the figures.
    communes = stored["convergence"].values()
    nearest = [need["nearest"] for result in communes for need in result["unmet_needs"]]
    assert any(nearest) and [] in nearest  # the commune without a point has none
    assert sum(len(r["opportunities"]) for r in stored["cooperation"].values()) >= 20
    assert any(group["count"] for r in stored["cooperation"].values()
               for group in r["outside_unions"].values())


def test_compare_reports_each_value_that_differs(generated):
    baseline, stored = baseline_and_platform()
    changed = copy.deepcopy(stored)
    pcode = next(p for p, r in changed["cooperation"].items() if r["opportunities"])
    changed["cooperation"][pcode]["opportunities"][0]["members"] += 1
    need = next(n for r in changed["convergence"].values() for n in r["unmet_needs"]
                if n["nearest"])
    # (the platform memoises a commune's nearest list per sector: a copy, changed alone)
    need["nearest"] = [dict(need["nearest"][0], distance_km=need["nearest"][0]["distance_km"]
                            + 0.1), *need["nearest"][1:]]
    changed["national_convergence"]["regions"]["CM002"]["ministries"]["MINADER"]["needs"] += 1

    check = baseline_compare.compare(baseline, changed)

    assert check["mismatches"] == 3, check["examples"]
    assert check["checked"] == values_in(stored)
    assert sorted(example.split(":")[0] for example in check["examples"]) == sorted([
        f"cooperation {pcode} opportunities [0]",
        f"convergence {need_commune(changed, need)} unmet_needs "
        f"[{need_position(changed, need)}]",
        "convergence regions CM002"])


def need_commune(stored: dict, need: dict) -> str:
    return next(p for p, r in stored["convergence"].items() if need in r["unmet_needs"])


def need_position(stored: dict, need: dict) -> int:
    return stored["convergence"][need_commune(stored, need)]["unmet_needs"].index(need)


def test_opportunities_beyond_the_first_round(monkeypatch):
    """One filière group of ten (members 100 down to 91) whose five largest are all linked to
    each other: the first round (pairs among the first four) finds no opportunity, so the
    second lists every pair. Organisations 0 and 5 also share a second filière: their pair,
    found in both groups, is one opportunity with both filières."""
    commune = CommuneFactory()
    maize, cassava = FiliereFactory(code="maize"), FiliereFactory(code="cassava")
    orgs = [OrganisationFactory(commune=commune, primary_filiere=maize, members_total=100 - i,
                                filieres=[cassava] if i in (0, 5) else [])
            for i in range(10)]
    for i in range(5):
        for j in range(i + 1, 5):
            LinkFactory(source=orgs[i], target=orgs[j])
    monkeypatch.setattr(baseline_reports, "FIRST_ROUND", 4)
    baseline, stored = baseline_and_platform()

    found = baseline["cooperation"]["opportunities"]
    pk = [o.pk for o in orgs]
    first = list(zip(found["low"].tolist(), found["high"].tolist(), found["members"].tolist(),
                     strict=True))[:4]
    # 0+5 = 195; 0+6 and 1+5 tie at 194 (the lower id first); then 0+7, 1+6, 2+5 at 193.
    assert first == [(pk[0], pk[5], 195), (pk[0], pk[6], 194), (pk[1], pk[5], 194),
                     (pk[0], pk[7], 193)]
    assert len(found["low"]) == 20  # 45 pairs, 10 linked: 35 opportunities, the first 20
    check = baseline_compare.compare(baseline, stored)
    assert check["mismatches"] == 0, check["examples"]
    assert stored["cooperation"][commune.pcode]["opportunities"][0]["filieres"] == [
        "cassava", "maize"]
