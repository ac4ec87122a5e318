"""The convergence report's `programmes` and `enrolled` figures on crafted data (docs/support.md).

`programmes` (commune C, ministry M, year Y): M's programmes running during Y that list C
among their communes; `enrolled`: distinct organisations of C enrolled in those programmes
with enrolment dates overlapping Y. Neither enters the state."""

import datetime

import pytest

from reports.convergence import convergence_for_communes, convergence_national

from ..factories import EnrolmentFactory, OrganisationFactory, ProgrammeFactory

pytestmark = pytest.mark.django_db
D = datetime.date


@pytest.fixture(autouse=True, params=["filtered", "whole_country"])
def fetch_path(request, monkeypatch):
    monkeypatch.setattr("reports.convergence._WHOLE_COUNTRY_FROM",
                        0 if request.param == "filtered" else 10**6)


@pytest.fixture
def support(minader, minepia, commune_a, commune_b, org_a, org_b, cassava):
    a2 = OrganisationFactory(commune=commune_a, primary_filiere=cassava)
    a5 = OrganisationFactory(commune=commune_a, primary_filiere=cassava)
    p = ProgrammeFactory
    enrol = EnrolmentFactory
    p1 = p(ministry=minader, start_date=D(2024, 1, 1), communes=[commune_a, commune_b])
    enrol(programme=p1, organisation=org_a, start_date=D(2024, 3, 1))
    enrol(programme=p1, organisation=a2, start_date=D(2025, 2, 1), end_date=D(2025, 6, 30))
    enrol(programme=p1, organisation=org_b, start_date=D(2026, 1, 1))  # after 2025
    p2 = p(ministry=minader, start_date=D(2025, 12, 31), end_date=D(2026, 6, 30),
           communes=[commune_a])
    enrol(programme=p2, organisation=org_a, start_date=D(2025, 12, 31))  # a1 counted once
    p3 = p(ministry=minader, start_date=D(2022, 1, 1), end_date=D(2024, 12, 31),
           communes=[commune_a])  # ended the year before
    enrol(programme=p3, organisation=a5, start_date=D(2022, 1, 1))
    p(ministry=minepia, start_date=D(2025, 3, 1), end_date=D(2025, 9, 30), communes=[commune_b])
    convention = p(owner_type="commune", ministry=None, owner_commune=commune_a,
                   kind="convention", communes=[commune_a])  # a commune's: no ministry
    enrol(programme=convention, organisation=a2)
    p(owner_type="partner", ministry=None, partner="REMCESS", communes=[commune_a])
    p(ministry=minader, start_date=D(2026, 1, 1), communes=[commune_a])  # starts after 2025
    p8 = p(ministry=minepia, start_date=D(2023, 1, 1), communes=[commune_a])
    enrol(programme=p8, organisation=a5, start_date=D(2023, 1, 1), end_date=D(2024, 6, 30))


def figures(report, acronym):
    cell = report["ministries"][acronym]
    return cell["programmes"], cell["enrolled"], cell["state"]


def test_it_counts_the_programmes_covering_the_commune_in_the_year(support, commune_a,
                                                                    commune_b):
    reports = convergence_for_communes([commune_a.pk, commune_b.pk], year=2025)
    a, b = reports[commune_a.pk], reports[commune_b.pk]
    assert figures(a, "MINADER") == (2, 2, "unplanned")  # p1, p2; org_a and a2
    assert figures(a, "MINEPIA") == (1, 0, "absent")  # p8, whose enrolment ended in 2024
    assert figures(b, "MINADER") == (1, 0, "unplanned")  # p1; org_b enrolled in 2026 only
    assert figures(b, "MINEPIA") == (1, 0, "absent")  # programmes never change the state


def test_it_follows_the_year(support, commune_a, commune_b):
    reports = convergence_for_communes([commune_a.pk, commune_b.pk], year=2026)
    assert figures(reports[commune_a.pk], "MINADER")[:2] == (3, 1)  # p1, p2, p7; org_a
    assert figures(reports[commune_b.pk], "MINADER")[:2] == (1, 1)  # p1; org_b
    assert figures(reports[commune_a.pk], "MINEPIA")[:2] == (1, 0)
    assert figures(reports[commune_b.pk], "MINEPIA")[:2] == (0, 0)  # p4 ended in 2025
    before = convergence_for_communes([commune_a.pk], year=2021)[commune_a.pk]
    assert figures(before, "MINADER")[:2] == (0, 0)


def test_it_sums_the_communes_nationally(support):
    country = convergence_national(year=2025)["country"]["ministries"]
    assert (country["MINADER"]["programmes"], country["MINADER"]["enrolled"]) == (3, 2)
    assert (country["MINEPIA"]["programmes"], country["MINEPIA"]["enrolled"]) == (2, 0)


def test_it_counts_nothing_without_programmes(commune_a, minader):
    report = convergence_for_communes([commune_a.pk], year=2025)[commune_a.pk]
    assert figures(report, "MINADER") == (0, 0, "absent")
