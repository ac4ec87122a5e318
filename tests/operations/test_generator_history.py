"""The audit history the dataset generator writes: a creation record for every row, dated
changes, the last record equal to the row, and past years that are realistic (the registry of a
past day rebuilt here with plain queries, by PRODUCT.md's rule: the latest record on or before
the day)."""

from collections import Counter
from datetime import UTC, date, datetime

import pytest
from django.db import transaction
from django.db.models import Q

from cooperatives.models import CooperationLink, Organisation, RegistryEvent
from operations.generator.dataset import COLUMNS, generate_dataset
from operations.generator.history import HISTORICAL_FILIERES
from sectors.taxonomy import load_taxonomy

from ..factories import CommuneFactory, DepartmentFactory, RegionFactory

pytestmark = pytest.mark.django_db
YEARS = range(2021, 2026)  # the last five closed years
HistoricalOrganisation = Organisation.history.model
HistoricalCooperationLink = CooperationLink.history.model


@pytest.fixture
def territory():
    """Two communes in a Centre department and two in an Ouest one (the tiny scale fills
    the first of each, the demo scale all four)."""
    load_taxonomy()
    for pcode, region, names, lat in (("CM002", "Centre", ["Mfou", "Nkolafamba"], 3.7),
                                      ("CM008", "Ouest", ["Dschang", "Fokoué"], 5.4)):
        department = DepartmentFactory(pcode=f"{pcode}001", name_fr=f"Département {region}",
                                       region=RegionFactory(pcode=pcode, name_fr=region))
        for n, name in enumerate(names, start=1):
            CommuneFactory(pcode=f"{department.pcode}{n:03d}", name_fr=name,
                           department=department, latitude=lat + n / 10, longitude=10.0)


def latest_records(history, day: date) -> dict[int, object]:
    """Each row's latest record on or before `day` (rows not yet recorded are absent)."""
    bound = datetime(day.year, day.month, day.day, 23, 59, 59, tzinfo=UTC)
    latest = {}
    for record in history.objects.filter(history_date__lte=bound).order_by(
            "history_date", "history_id"):
        latest[record.id] = record
    return latest


def registry_on(day: date) -> tuple[int, int, int, int]:
    """(organisations, active ones, their members, counted links) on `day`."""
    organisations = latest_records(HistoricalOrganisation, day)
    active = [o for o in organisations.values() if o.status == "active"]
    links = [link for link in latest_records(HistoricalCooperationLink, day).values()
             if link.status == "confirmed" and (link.start_date is None or link.start_date <= day)
             and (link.end_date is None or link.end_date > day)]
    return (len(organisations), len(active), sum(o.members_total for o in active), len(links))


def fields_of(model) -> list[str]:
    history = {f.attname for f in model.history.model._meta.concrete_fields}
    return [f.attname for f in model._meta.concrete_fields if f.attname in history]


def test_it_ends_every_rows_history_on_the_row_as_it_is(territory):
    generate_dataset(scale="demo", seed=3)
    for model in [m for m, _ in COLUMNS if hasattr(m, "history")]:
        names = fields_of(model)
        rows = {row[0]: row for row in model.objects.values_list(*names)}
        last = {}
        for record in model.history.model.objects.order_by("history_date", "history_id"):
            last[record.id] = tuple(getattr(record, name) for name in names)
        assert last == rows, model
    filieres = {}
    for pk, filiere in Organisation.filieres.through.objects.values_list("organisation",
                                                                        "filiere"):
        filieres.setdefault(pk, set()).add(filiere)
    latest = latest_records(HistoricalOrganisation, date(2026, 12, 31))
    recorded = {}
    for history, filiere in HISTORICAL_FILIERES.objects.values_list("history", "filiere"):
        recorded.setdefault(history, set()).add(filiere)
    assert {pk: recorded[r.history_id] for pk, r in latest.items()} == filieres


def test_it_creates_each_row_once_then_changes_it(territory):
    generate_dataset(scale="tiny", seed=7)
    for model in [m for m, _ in COLUMNS if hasattr(m, "history")]:
        history = model.history.model
        first = {}
        for record in history.objects.order_by("history_date", "history_id"):
            first.setdefault(record.id, record.history_type)
        # (the tiny dataset draws no label: nothing to create there)
        assert set(first.values()) == ({"+"} if model.objects.exists() else set()), model
        assert history.objects.filter(history_type="+").count() == model.objects.count()
        assert set(history.objects.values_list("history_change_reason", "history_user")) == (
            {("generated", None)} if model.objects.exists() else set())
    kinds = Counter(HistoricalOrganisation.objects.values_list("history_type", flat=True))
    assert kinds == {"+": 62, "~": 110}
    links = Counter(HistoricalCooperationLink.objects.values_list("history_type", flat=True))
    assert links == {"+": 150, "~": 127}


def test_it_dissolves_organisations_on_their_dissolution_event(territory):
    generate_dataset(scale="demo", seed=3)
    events = dict(RegistryEvent.objects.filter(kind="dissolution")
                  .values_list("organisation", "date"))
    dissolved = {}
    for record in HistoricalOrganisation.objects.order_by("history_date", "history_id"):
        if record.status == "dissolved":
            dissolved.setdefault(record.id, record.history_date.date())
    assert len(events) == 3
    assert {pk: dissolved[pk] for pk in events} == events
    assert set(dissolved) == set(Organisation.objects.filter(status="dissolved")
                                 .values_list("id", flat=True))
    assert min(d.year for d in dissolved.values()) < 2026


def test_it_confirms_links_before_they_end(territory):
    generate_dataset(scale="demo", seed=3)
    statuses = {}
    for record in HistoricalCooperationLink.objects.order_by("history_date", "history_id"):
        statuses.setdefault(record.id, []).append(record.status)
    ended = CooperationLink.objects.filter(status="ended").values_list("id", flat=True)
    assert all(statuses[pk][-1] == "ended" for pk in ended)
    # Every link is proposed first, then confirmed on a later day; an ended one recorded after
    # its end (it started before both ends were in the registry) goes from proposed to ended.
    assert Counter(tuple(s) for s in statuses.values()) == {
        ("proposed",): 166, ("proposed", "confirmed"): 481,
        ("proposed", "confirmed", "ended"): 97, ("proposed", "ended"): 56}


@pytest.mark.parametrize("scale,seed,expected", [
    # year: (organisations, active ones, their members, counted links) on 31 December
    ("tiny", 7, {2021: (25, 24, 632, 8), 2022: (31, 27, 758, 14), 2023: (36, 33, 825, 25),
                 2024: (41, 39, 991, 41), 2025: (51, 44, 1056, 64)}),
    ("demo", 3, {2021: (109, 100, 1870, 29), 2022: (148, 128, 2382, 80),
                 2023: (179, 157, 3110, 142), 2024: (213, 183, 3561, 242),
                 2025: (264, 208, 4254, 372)}),
])
def test_it_gives_past_years_a_growing_registry(territory, scale, seed, expected):
    generate_dataset(scale=scale, seed=seed)
    figures = {year: registry_on(date(year, 12, 31)) for year in YEARS}
    assert figures == expected
    day = date(2026, 12, 31)  # today's registry is the tables'
    active = Organisation.objects.filter(status="active")
    assert registry_on(day) == (
        Organisation.objects.count(), active.count(),
        sum(active.values_list("members_total", flat=True)),
        CooperationLink.objects.counted(day).filter(
            Q(start_date=None) | Q(start_date__lte=day)).count())


def test_it_writes_the_same_history_for_the_same_seed(territory):
    def generated() -> dict:
        with transaction.atomic():
            generate_dataset(scale="tiny", seed=7)
            records = {m._meta.label: list(m.history.model.objects.order_by("history_id")
                                           .values_list()) for m in (Organisation,
                                                                     CooperationLink)}
            transaction.set_rollback(True)
        return records
    first = generated()
    assert len(first["cooperatives.Organisation"]) == 172
    assert generated() == first
