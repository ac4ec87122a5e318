"""Cooperation links between the generated organisations: mostly within a commune and a
filière, some across filières or to a neighbouring commune."""

import itertools
import math
import random
from datetime import date, timedelta

from communes.models import Commune
from cooperatives.models import CooperationLink, LinkKind, LinkStatus, OrganisationStatus

from .texts import NOTES
from .world import LAST_DAY, Box, Builder, World, draw_day, draw_moment, draw_recent_day

KINDS = list(LinkKind.values)
SAME_FILIERE_KINDS = [25, 20, 18, 10, 5, 12, 5, 5]  # weights in LinkKind order
CROSS_FILIERE_KINDS = [15, 10, 5, 3, 15, 25, 20, 7]
CROSS_COMMUNE_SHARE = 0.12
SAME_FILIERE_SHARE = 0.63


class LinkBuilder(Builder):
    def __init__(self, world: World):
        super().__init__(world)
        self.link_keys: set[int] = set()
        self.near: dict[str, dict] = {"department": {}, "region": {}, "all": {None: []}}
        for c in world.communes:
            self.near["department"].setdefault(c.department_id, []).append(c.pk)
            self.near["region"].setdefault(c.department.region_id, []).append(c.pk)
            self.near["all"][None].append(c.pk)

    def add_links(self, commune: Commune, wanted: int) -> None:
        """Links from the commune's organisations: mostly within the commune and a filière,
        some across filières or to a neighbouring commune; never self or duplicate links."""
        box, rng = self.boxes[commune.pk], self.rng("links", commune.pcode)
        if len(box.ids) < 2 or wanted <= 0:
            return
        pull = {OrganisationStatus.ACTIVE: 3, OrganisationStatus.DORMANT: 1.5,
                OrganisationStatus.IN_CREATION: 1, OrganisationStatus.DISSOLVED: 0.3}
        weights = list(itertools.accumulate(
            math.sqrt(m + 4) * pull[s] for m, s in zip(box.members, box.statuses, strict=True)))
        positions = range(len(box.ids))
        made = attempts = 0
        while made < wanted and attempts < wanted * 6:
            attempts += 1
            source = rng.choices(positions, cum_weights=weights)[0]
            other, target = self.partner(rng, commune, box, source)
            made += self.add_link(rng, box, source, other, target)

    def partner(self, rng, commune: Commune, box: Box, source: int) -> tuple[Box, int]:
        draw = rng.random()
        if draw < CROSS_COMMUNE_SHARE and (other := self.neighbour(rng, commune)) is not None:
            pool = other.by_filiere.get(rng.choice(box.filieres[source]))
            if pool and rng.random() < 0.7:
                return other, rng.choice(pool)
            return other, rng.randrange(len(other.ids))
        if draw < CROSS_COMMUNE_SHARE + SAME_FILIERE_SHARE:
            pool = box.by_filiere[rng.choice(box.filieres[source])]
            if len(pool) > 1:
                return box, rng.choice(pool)
        return box, rng.randrange(len(box.ids))

    def neighbour(self, rng: random.Random, commune: Commune) -> Box | None:
        """Another selected commune: mostly of the same department, else region, else any."""
        draw = rng.random()
        for level, key, share in (("department", commune.department_id, 0.65),
                                  ("region", commune.department.region_id, 0.9),
                                  ("all", None, 1.0)):
            pool = self.near[level][key]
            if draw < share and len(pool) > 1:
                for _ in range(3):
                    pk = rng.choice(pool)
                    if pk != commune.pk and self.boxes.get(pk) and self.boxes[pk].ids:
                        return self.boxes[pk]
        return None

    def add_link(self, rng, box: Box, source: int, other: Box, target: int) -> int:
        source_id, target_id = box.ids[source], other.ids[target]
        if source_id == target_id:
            return 0
        shared = not set(box.filieres[source]).isdisjoint(other.filieres[target])
        kind = rng.choices(range(len(KINDS)),
                           SAME_FILIERE_KINDS if shared else CROSS_FILIERE_KINDS)[0]
        low, high = sorted((source_id, target_id))
        key = (low << 43) | (high << 3) | kind
        if key in self.link_keys:
            return 0
        self.link_keys.add(key)
        status = self.link_status(rng, box.statuses[source], other.statuses[target])
        start = end = None
        if status != LinkStatus.PROPOSED or rng.random() < 0.3:
            start = draw_recent_day(rng, date(2015, 1, 1), LAST_DAY)
        if status == LinkStatus.ENDED:
            end = draw_day(rng, min(start + timedelta(days=90), LAST_DAY), LAST_DAY)
        elif status == LinkStatus.CONFIRMED and rng.random() < 0.05:
            end = draw_day(rng, date(2027, 1, 1), date(2028, 12, 31))  # planned end of a contract
        confirmed = status != LinkStatus.PROPOSED
        note = NOTES[KINDS[kind]] if rng.random() < 0.2 else ""
        self.sink.add(CooperationLink, (self.take_id(CooperationLink), source_id, target_id,
                                        KINDS[kind], status, True, confirmed, start, end, note,
                                        draw_moment(rng)))
        return 1

    @staticmethod
    def link_status(rng: random.Random, source: str, target: str) -> str:
        ends = {source, target}
        if OrganisationStatus.DISSOLVED in ends:
            return LinkStatus.ENDED
        if OrganisationStatus.IN_CREATION in ends:
            return LinkStatus.PROPOSED
        confirmed = 0.6 if OrganisationStatus.DORMANT in ends else 0.85
        draw = rng.random()
        if draw < confirmed:
            return LinkStatus.CONFIRMED
        return LinkStatus.PROPOSED if draw < confirmed + 0.1 else LinkStatus.ENDED
