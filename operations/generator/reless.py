"""Each commune's RELESS and its bureau (offices held by people of its organisations)."""

from datetime import date, timedelta

from communes.models import Commune
from cooperatives.models import BureauMember, OrganisationStatus, Reless

from .names import de
from .organisations import UNION_MEMBER_FORMS
from .world import Builder, World, draw_day, years_later


class RelessBuilder(Builder):
    def __init__(self, world: World):
        super().__init__(world)
        self.has_reless = set(Reless.objects.filter(commune__in=world.communes)
                              .values_list("commune_id", flat=True))

    def plan_reless(self, commune: Commune) -> None:
        rng = self.rng("reless", commune.pcode)
        status = rng.choices(list(Reless.Status.values), (20, 75, 5))[0]
        founded = (draw_day(rng, date(2025, 1, 1), date(2026, 6, 30))
                   if status == Reless.Status.IN_CREATION
                   else draw_day(rng, date(2017, 1, 1), date(2024, 12, 31)))
        self.world.reless_plan[commune.pk] = (founded, status)

    def add_reless(self, commune: Commune) -> None:
        if commune.pk in self.has_reless:
            return
        rng, box = self.rng("bureau", commune.pcode), self.boxes[commune.pk]
        founded, status = self.world.reless_plan[commune.pk]
        reless = self.take_id(Reless)
        self.sink.add(Reless, (reless, commune.pk, f"RELESS {de(commune.name_fr)}", founded,
                               status))
        offices = [BureauMember.Office.PRESIDENT, BureauMember.Office.SECRETARY,
                   BureauMember.Office.TREASURER]
        offices += [o for o, share in ((BureauMember.Office.VICE_PRESIDENT, 0.5),
                                       (BureauMember.Office.AUDITOR, 0.4)) if rng.random() < share]
        pool = [i for i, (form, status) in enumerate(zip(box.forms, box.statuses, strict=True))
                if status == OrganisationStatus.ACTIVE and form in UNION_MEMBER_FORMS]
        seats = rng.sample(pool, min(len(pool), len(offices) + 1))
        start = (founded if founded.year >= 2023
                 else draw_day(rng, date(2023, 1, 1), date(2025, 6, 30)))
        region = commune.department.region.pcode
        for i, office in enumerate(offices):
            self.add_bureau_member(rng, reless, region, office, box, seats[i:i + 1], start,
                                   years_later(start, 3))
        if start > founded:  # the president of the first mandate
            self.add_bureau_member(rng, reless, region, BureauMember.Office.PRESIDENT, box,
                                   seats[len(offices):], founded, start - timedelta(days=1))

    def add_bureau_member(self, rng, reless, region, office, box, seat, start, end) -> None:
        organisation = box.ids[seat[0]] if seat else None
        self.sink.add(BureauMember, (self.take_id(BureauMember), reless,
                                     self.person(rng, region, rng.random() < 0.4), office,
                                     organisation, start, end))
