"""Reports as the registry stood: a past year reads the registry as of its 31 December,
rebuilt from the audit history; the current year reads it now, links counted today.

The cast (history records dated explicitly, Africa/Douala time; "now" is the test's today):
commune A holds P (cassava, 10 members until it grows to 30 in 2026), Q (poultry until it
switches to cassava in 2026), R (cassava, dissolved in 2026), T (cassava, never linked), M
(maize, moved to B in 2026) and, from 2026, S (cassava); B holds Z (cassava); C holds W
(poultry). Links: P-R joint sale (proposed 2023, confirmed 2024), P-Q training (2020, ended
2026), Q-M shared equipment (2022, ended mid-2024), M-Z savings (2021, running), P-Q joint
purchase (confirmed now, starting next month).
"""

import datetime
import zoneinfo

import numpy as np
import pytest
from django.db import connection
from django.utils import timezone

from communes.models import haversine_km
from cooperatives.history import history_filieres_refresh
from cooperatives.models import OrganisationFiliere
from reports.compute import compute_for_communes, compute_national, report_date
from reports.registry_as_of import day_end

from ..factories import (
    DiagnosticFactory,
    EntryFactory,
    InterventionFactory,
    LinkFactory,
    OrganisationFactory,
)

pytestmark = pytest.mark.django_db

DOUALA = zoneinfo.ZoneInfo("Africa/Douala")
D = datetime.date
COOPERATION, CONVERGENCE = "cooperation", "convergence"


def at(year, month, day, hour=12, minute=0, second=0) -> datetime.datetime:
    return datetime.datetime(year, month, day, hour, minute, second, tzinfo=DOUALA)


def dated(obj, when: datetime.datetime) -> None:
    """Give the object's latest history record the date `when`."""
    record = obj.history.order_by("-history_id").first()
    type(record).objects.filter(pk=record.pk).update(history_date=when)


def org(when, *, filieres=(), **fields):
    created = OrganisationFactory(filieres=list(filieres), **fields)
    dated(created, when)
    return created


def change(obj, when, *, filieres=None, **fields) -> None:
    """Save a change of the object as one history record dated `when`."""
    for name, value in fields.items():
        setattr(obj, name, value)
    obj.save()
    if filieres is not None:
        OrganisationFiliere.objects.filter(organisation=obj).delete()
        OrganisationFiliere.objects.bulk_create(
            [OrganisationFiliere(organisation=obj, filiere=f) for f in filieres])
        history_filieres_refresh([obj.pk])
    dated(obj, when)


def link(when, source, target, kind, **fields):
    created = LinkFactory(source=source, target=target, kind=kind, **fields)
    dated(created, when)
    return created


@pytest.fixture
def world(commune_a, commune_b, commune_c, cassava, maize, poultry, agriculture, livestock,
          minader):
    old = at(2020, 6, 1)
    w = {}
    w["P"] = org(old, commune=commune_a, primary_filiere=cassava, name="P",
                 members_total=10, members_women=4, members_youth=3)
    change(w["P"], at(2026, 2, 1), members_total=30, members_women=12, members_youth=9)
    w["Q"] = org(old, commune=commune_a, primary_filiere=poultry, name="Q",
                 members_total=20, members_women=10, members_youth=5)
    change(w["Q"], at(2026, 3, 1), primary_filiere=cassava, filieres=[cassava])
    w["R"] = org(old, commune=commune_a, primary_filiere=cassava, name="R",
                 members_total=8, members_women=2, members_youth=1)
    change(w["R"], at(2026, 4, 1), status="dissolved")
    w["T"] = org(old, commune=commune_a, primary_filiere=cassava, name="T",
                 members_total=15, members_women=5, members_youth=5)
    w["M"] = org(old, commune=commune_a, primary_filiere=maize, name="M",
                 members_total=12, members_women=6, members_youth=6)
    change(w["M"], at(2026, 6, 1), commune=commune_b)
    w["S"] = org(at(2026, 5, 1), commune=commune_a, primary_filiere=cassava, name="S",
                 members_total=7, members_women=3, members_youth=2)
    w["Z"] = org(old, commune=commune_b, primary_filiere=cassava, name="Z",
                 members_total=6, members_women=3, members_youth=3)
    w["W"] = org(old, commune=commune_c, primary_filiere=poultry, name="W",
                 members_total=9, members_women=4, members_youth=2)

    w["joint_sale"] = link(at(2023, 5, 1), w["P"], w["R"], "joint_sale", status="proposed",
                           target_confirmed=False)
    change(w["joint_sale"], at(2024, 2, 1), status="confirmed", target_confirmed=True,
           start_date=D(2024, 2, 1))
    w["training"] = link(at(2020, 6, 2), w["P"], w["Q"], "training",
                         start_date=D(2020, 6, 1))
    change(w["training"], at(2026, 4, 1), status="ended", end_date=D(2026, 4, 1))
    w["equipment"] = link(at(2022, 1, 1), w["Q"], w["M"], "shared_equipment",
                          start_date=D(2022, 1, 1))
    change(w["equipment"], at(2024, 7, 1), status="ended", end_date=D(2024, 6, 30))
    w["savings"] = link(at(2021, 1, 1), w["M"], w["Z"], "savings_credit",
                        start_date=D(2021, 1, 1))
    w["purchase"] = LinkFactory(source=w["P"], target=w["Q"], kind="joint_purchase",
                                start_date=timezone.localdate() + datetime.timedelta(days=31))

    diagnostic = DiagnosticFactory(commune=commune_a, year=2024)
    EntryFactory(diagnostic=diagnostic, sector=agriculture, priority_rank=1, need="Magasin")
    EntryFactory(diagnostic=diagnostic, sector=livestock, priority_rank=2, need="Provende")
    w["need_b"] = EntryFactory(diagnostic=DiagnosticFactory(commune=commune_b, year=2024),
                               sector=livestock, priority_rank=1, need="Poussins")
    InterventionFactory(ministry=minader, commune=commune_a, start_date=D(2025, 1, 1),
                        beneficiaries=[w["P"]])
    return w


def coop(commune, year):
    return compute_for_communes(COOPERATION, [commune.pk], year)[commune.pk]


def conv(commune, year):
    return compute_for_communes(CONVERGENCE, [commune.pk], year)[commune.pk]


def kinds(report):
    return {k: n for k, n in report["links_by_kind"].items() if n}


def test_it_ends_the_day_at_midnight_in_douala():
    assert report_date(2025) == D(2025, 12, 31)
    assert day_end(D(2025, 12, 31)) == datetime.datetime(2025, 12, 31, 23, 0,
                                                         tzinfo=datetime.UTC)


def test_it_counts_a_record_of_the_last_second_of_the_year_and_not_the_next_one(
        commune_a, cassava):
    org(at(2025, 12, 31, 23, 59, 59), commune=commune_a, primary_filiere=cassava)
    org(at(2026, 1, 1, 0, 0, 0), commune=commune_a, primary_filiere=cassava)
    assert coop(commune_a, 2025)["active_organisations"] == 1
    assert coop(commune_a, 2024)["active_organisations"] == 0
    assert conv(commune_a, 2024)["unmet_needs"] == []  # nothing to match: empty rows


def test_it_counts_a_link_from_the_year_it_was_confirmed(world, commune_a):
    assert "joint_sale" not in kinds(coop(commune_a, 2023))
    assert kinds(coop(commune_a, 2024))["joint_sale"] == 1


def test_it_counts_a_link_ended_later_and_one_now_ended_in_the_years_it_ran(world, commune_a):
    assert kinds(coop(commune_a, 2025)) == {"joint_sale": 1, "training": 1, "savings_credit": 1}
    assert kinds(coop(commune_a, 2023)) == {"training": 1, "shared_equipment": 1,
                                            "savings_credit": 1}


def test_it_does_not_count_today_a_confirmed_link_starting_next_month(world, commune_a):
    today = coop(commune_a, timezone.localdate().year)
    assert kinds(today) == {"joint_sale": 1}  # P-R; P-Q's purchase has not started
    assert today["active_organisations"] == 4  # P, Q, S, T: R dissolved, M moved


def test_it_rebuilds_every_cooperation_figure_of_a_commune_for_a_past_year(world, commune_a):
    w = world
    report = coop(commune_a, 2025)
    assert report["on"] == "2025-12-31"
    assert {k: report[k] for k in (
        "active_organisations", "links", "linked_organisations", "linked_share", "pairs",
        "density", "components", "largest_component", "isolated", "isolated_organisations",
        "cross_commune", "cross_filiere")} == {
        "active_organisations": 5,  # P, Q, R (dissolved 2026), T, M (moved 2026)
        "links": 3, "linked_organisations": 4, "linked_share": {"num": 4, "den": 5},
        "pairs": 2, "density": {"num": 2, "den": 10},
        "components": 3, "largest_component": 3,  # {P, Q, R}, {M}, {T}
        "isolated": 1, "isolated_organisations": [w["T"].pk],
        "cross_commune": 1,  # M-Z
        "cross_filiere": 2,  # P-Q (cassava, poultry in 2025), M-Z (maize, cassava)
    }
    assert [(o["organisations"], o["members"], o["filieres"])
            for o in report["opportunities"]] == [
        ([w["P"].pk, w["T"].pk], 25, ["manioc"]), ([w["R"].pk, w["T"].pk], 23, ["manioc"])]
    assert {f: v["count"] for f, v in report["outside_unions"].items()} == {
        "manioc": 3, "aviculture": 1, "mais": 1}


def test_it_rebuilds_every_convergence_figure_of_a_commune_for_a_past_year(world, commune_a):
    report = conv(commune_a, 2025)
    assert report["ministries"] == {
        "MINADER": {"organisations": 4, "members": 45, "women": 17, "youth": 15,  # P R T M
                    "needs": 1, "priority_needs": 1, "interventions": 1, "beneficiaries": 1,
                        "programmes": 0, "enrolled": 0,
                    "state": "converging"},
        "MINEPIA": {"organisations": 1, "members": 20, "women": 10, "youth": 5,  # Q, poultry
                    "needs": 1, "priority_needs": 1, "interventions": 0, "beneficiaries": 0,
                        "programmes": 0, "enrolled": 0,
                    "state": "unsupported"},
    }
    assert report["score"] == {"num": 1, "den": 2}
    assert report["unmet_needs"] == []


def test_it_reads_members_and_filieres_as_they_are_for_the_current_year(world, commune_a):
    ministries = conv(commune_a, timezone.localdate().year)["ministries"]
    assert [ministries["MINADER"][k] for k in ("organisations", "members", "women", "youth")
            ] == [4, 72, 30, 21]  # P (grown), Q (now cassava), S, T
    assert ministries["MINEPIA"]["state"] == "unmet"


def test_it_names_the_nearest_communes_as_they_stood(world, commune_a, commune_b, commune_c):
    def nearest(year):
        [unmet] = conv(commune_b, year)["unmet_needs"]
        assert unmet["entry"] == world["need_b"].pk
        return [(n["commune"], n["organisations"], n["distance_km"]) for n in unmet["nearest"]]

    def km(other):
        return round(haversine_km(commune_b.latitude, commune_b.longitude, other.latitude,
                                  other.longitude), 1)

    assert nearest(2025) == [("CM901001001", 1, km(commune_a)), ("CM902001001", 1, km(commune_c))]
    assert nearest(timezone.localdate().year) == [("CM902001001", 1, km(commune_c))]


def test_it_rebuilds_the_national_reports_of_a_past_year(world):
    _check_the_national_reports_of_2025()


@pytest.mark.django_db(transaction=True)
def test_it_rebuilds_them_with_the_links_read_on_a_connection_of_their_own(world):
    """Outside a transaction, on PostgreSQL, the country's links are read on a thread and
    connection of their own (core.beside) while the organisations are read: same figures."""
    assert not connection.in_atomic_block
    _check_the_national_reports_of_2025()


@pytest.mark.parametrize("parts", [1, 2, 3, 50])
def test_it_reads_the_links_in_id_ranges_that_cover_every_link_once(world, parts):
    """The country's links of a past day are read in id ranges (one connection each where
    the database allows): the ranges cover every link id once, and together give the rows
    of one read, in id order."""
    from cooperatives.models import CooperationLink
    from reports.registry_as_of import RegistryAsOf, _id_ranges

    model = CooperationLink.history.model
    ids = sorted(set(model.objects.values_list("id", flat=True)))
    ranges = _id_ranges(model, parts)
    assert len(ranges) == min(parts, ids[-1] - ids[0] + 1)
    assert sorted(i for start, end in ranges for i in ids if start <= i < end) == ids
    assert all(end > start for start, end in ranges)
    registry = RegistryAsOf(D(2025, 12, 31))
    whole = registry._link_rows(None)
    assert len(whole) == 3  # P-R, P-Q training, M-Z
    in_ranges = np.concatenate([registry._link_rows(None, bounds) for bounds in ranges])
    assert in_ranges.tolist() == whole.tolist()


def _check_the_national_reports_of_2025():
    cooperation = compute_national(COOPERATION, 2025)
    assert {k: cooperation[k] for k in ("on", "active_organisations", "links", "pairs",
                                        "density", "components", "largest_component",
                                        "isolated")} == {
        "on": "2025-12-31", "active_organisations": 7, "links": 3, "pairs": 3,
        "density": {"num": 3, "den": 21}, "components": 4, "largest_component": 3,
        "isolated": 2}  # {P, Q, R}, {M, Z}, {T}, {W}
    assert cooperation["communes"]["CM901001002"]["active_organisations"] == 1  # Z
    country = compute_national(CONVERGENCE, 2025)["country"]
    figures = ("organisations", "members", "women", "youth", "needs", "interventions")
    assert {m: [row[k] for k in figures] for m, row in country["ministries"].items()} == {
        "MINADER": [5, 51, 20, 18, 1, 1], "MINEPIA": [2, 29, 14, 7, 2, 0]}
    assert country["states"] == {"converging": 1, "unmet": 1, "unsupported": 1,
                                 "unplanned": 2, "absent": 1}
    assert (country["score"], country["unmet_needs"]) == ({"num": 1, "den": 3}, 1)


def test_it_gives_a_commune_the_same_figures_alone_and_in_the_national_report(world, commune_a):
    for kind in (COOPERATION, CONVERGENCE):
        national = compute_national(kind, 2025)["communes"]["CM901001001"]
        assert national == compute_for_communes(kind, [commune_a.pk], 2025)[commune_a.pk]


def test_it_forgets_an_organisation_deleted_before_the_day(commune_a, cassava):
    gone = org(at(2020, 1, 1), commune=commune_a, primary_filiere=cassava)
    pk = gone.pk
    gone.delete()
    deletion = type(gone).history.filter(id=pk, history_type="-")
    assert deletion.update(history_date=at(2024, 1, 1)) == 1
    assert coop(commune_a, 2023)["active_organisations"] == 1
    assert coop(commune_a, 2024)["active_organisations"] == 0
    assert conv(commune_a, 2024)["unmet_needs"] == []  # nothing to match: empty rows


def test_latest_records_take_the_last_record_on_or_before_the_day(commune_a, cassava):
    """Each object's latest record on the day: by history date, then by history id when two
    share a date; records after the day ignored; a deletion is a record like any other
    (PostgreSQL reads them with DISTINCT ON, SQLite with a window: the same records)."""
    from cooperatives.models import Organisation
    from reports.registry_as_of import latest_records

    NONE = {"members_women": 0, "members_youth": 0}  # noqa: N806

    x = org(at(2020, 1, 1), commune=commune_a, primary_filiere=cassava, name="X",
            members_total=10, **NONE)
    change(x, at(2024, 5, 1), members_total=11)
    change(x, at(2024, 5, 1), members_total=12)  # same date, later record: wins
    change(x, at(2026, 1, 1), members_total=13)  # after the day
    y = org(at(2020, 1, 1), commune=commune_a, primary_filiere=cassava, name="Y",
            members_total=20, **NONE)
    y_id = y.pk
    y.delete()
    dated_deletion = Organisation.history.filter(id=y_id, history_type="-").get()
    type(dated_deletion).objects.filter(pk=dated_deletion.pk).update(
        history_date=at(2024, 6, 1))
    z = org(at(2025, 12, 31, 23, 59), commune=commune_a, primary_filiere=cassava, name="Z",
            members_total=30, **NONE)
    later = org(at(2026, 1, 1, 0, 0), commune=commune_a, primary_filiere=cassava, name="L")

    rows = {row[0]: row[1:] for row in latest_records(
        Organisation.history.model, D(2025, 12, 31)).values_list(
        "id", "members_total", "history_type")}
    assert rows == {x.pk: (12, "~"), y_id: (20, "-"), z.pk: (30, "+")}
    assert later.pk not in rows
    narrowed = latest_records(Organisation.history.model, D(2024, 5, 1), [x.pk, y_id])
    assert dict(narrowed.values_list("id", "members_total")) == {x.pk: 12, y_id: 20}
