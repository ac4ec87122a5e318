"""What the builders of one generation run share: the run's state (`World`) and the draws
every builder makes (`Builder`: seeded random streams, ids, people, places, filières)."""

import random
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from django.db.models import Max

from communes.models import Commune
from core.bulk import BulkWriter

from .names import ACTORS, FIRST_NAMES, LAST_NAMES, REGION_AREA, SYLLABLES, ascii_slug, de
from .taxonomy import NEUTRAL_SHARE, Taxonomy

LAST_DAY = date(2026, 10, 31)  # registry dates stop before the dataset's "now"
RECORDED_FROM, RECORDED_TO = date(2024, 1, 15), date(2026, 11, 20)



def draw_day(rng: random.Random, start: date, end: date) -> date:
    return start + timedelta(days=rng.randint(0, max(0, (end - start).days)))


def draw_recent_day(rng: random.Random, start: date, end: date) -> date:
    """A day between start and end, more often recent (registrations grew over time)."""
    span = max(0, (end - start).days)
    return start + timedelta(days=int(span * rng.random() ** 0.6))


def draw_moment(rng: random.Random, start: date = RECORDED_FROM, end: date = RECORDED_TO):
    minutes = rng.randint(7 * 60, 18 * 60)
    return datetime.combine(draw_day(rng, start, end), time(minutes // 60, minutes % 60), UTC)


def years_later(day: date, years: int) -> date:
    """The day before the same date `years` later: the end of a mandate started on `day`."""
    return date(day.year + years, day.month, min(day.day, 28)) - timedelta(days=1)


@dataclass
class Box:
    """A commune's generated organisations, compact, for the later phases."""

    ids: list[int] = field(default_factory=list)
    forms: list[str] = field(default_factory=list)
    statuses: list[str] = field(default_factory=list)
    members: list[int] = field(default_factory=list)
    filieres: list[tuple[int, ...]] = field(default_factory=list)
    names: list[str] = field(default_factory=list)
    by_filiere: dict[int, list[int]] = field(default_factory=dict)  # filière -> positions



@dataclass
class World:
    """One generation run's shared state. Ids are assigned here (no round trip per row):
    generation is an admin operation, run while nothing else writes these tables."""

    seed: int
    communes: list[Commune]
    tax: Taxonomy
    sink: BulkWriter
    next_id: dict[type, int]  # model -> the next free id
    now: datetime = field(default_factory=lambda: datetime.now(UTC))
    boxes: dict[int, Box] = field(default_factory=dict)  # commune id -> its organisations
    localities: dict[int, list[str]] = field(default_factory=dict)
    reless_plan: dict[int, tuple[date, str]] = field(default_factory=dict)  # founded, status

    @classmethod
    def start(cls, *, seed: int, communes: list[Commune], tax: Taxonomy, sink: BulkWriter,
              models: Iterable[type]) -> "World":
        return cls(seed=seed, communes=communes, tax=tax, sink=sink, next_id={
            model: (model.objects.aggregate(m=Max("id"))["m"] or 0) + 1 for model in models})

    def rng(self, phase: str, key: str = "") -> random.Random:
        """The random stream of one phase for one key (a commune P-code): seeded with the
        seed, the phase and the key, so one phase's draws never shift another's."""
        return random.Random(f"{self.seed}:{phase}:{key}")

    def take_id(self, model) -> int:
        value = self.next_id[model]
        self.next_id[model] = value + 1
        return value


class Builder:
    """Base of the builders (organisations, links, RELESS, diagnostics, interventions): the
    draws they share, each from a stream of `World.rng`."""

    def __init__(self, world: World):
        self.world, self.tax, self.sink, self.boxes = world, world.tax, world.sink, world.boxes
        self.rng, self.take_id = world.rng, world.take_id

    def person(self, rng: random.Random, region: str, woman: bool) -> str:
        area = REGION_AREA.get(region, "beti")
        culture = {"north": "north", "anglo": "en"}.get(area, "fr")
        first = rng.choice(FIRST_NAMES[(culture, "f" if woman else "m")])
        return f"{first} {rng.choice(LAST_NAMES[area])}"

    def contact(self, rng: random.Random, region: str, woman: bool) -> tuple[str, str, str]:
        name = self.person(rng, region, woman)
        phone = (f"+2376{rng.choice('5789')}{rng.randint(0, 9)}{rng.randint(0, 999):03d}"
                 f"{rng.randint(0, 999):03d}")  # as the input rules store phones
        email = ""
        if rng.random() < 0.5:
            first, last = name.split(" ", 1)
            domain = rng.choice(["example.org", "example.com", "example.net"])
            email = f"{ascii_slug(first)}.{ascii_slug(last)}{rng.randint(1, 99)}@{domain}"
        return name, phone, email

    def commune_localities(self, commune: Commune) -> list[str]:
        if commune.pk not in self.world.localities:
            rng = self.rng("localities", commune.pcode)
            starts, ends = SYLLABLES[REGION_AREA.get(commune.department.region.pcode, "beti")]
            names = {commune.name_fr: None}
            for _ in range(rng.randint(6, 14)):
                names[rng.choice(starts) + rng.choice(ends)] = None
            self.world.localities[commune.pk] = list(names)
        return self.world.localities[commune.pk]

    def locality(self, rng: random.Random, commune: Commune) -> str:
        places = self.commune_localities(commune)
        return places[0] if rng.random() < 0.3 else rng.choice(places)

    def actors(self, filiere: int) -> str:
        code = self.tax.filiere_code[filiere]
        return ACTORS.get(code, f"producteurs {de(self.tax.filiere_name[filiere].lower())}")

    def zone_filiere(self, rng: random.Random, region: str) -> int:
        filieres, weights = self.tax.zone(region)
        return rng.choices(filieres, cum_weights=weights)[0]

    def pick_filiere(self, rng: random.Random, region: str) -> int:
        neutral, weights = self.tax.neutral
        if neutral and rng.random() < NEUTRAL_SHARE:
            return rng.choices(neutral, cum_weights=weights)[0]
        return self.zone_filiere(rng, region)
