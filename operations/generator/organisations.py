"""Organisations of the selected communes: regional federations, cooperatives, GICs and
associations, unions over them; their filières and registry events."""

import random
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from communes.models import Commune
from cooperatives.models import (
    ContactConsent,
    ContactConsentState,
    LegalForm,
    Organisation,
    OrganisationFiliere,
    OrganisationLabel,
    OrganisationStatus,
    RegistryEvent,
    VerificationOutcome,
    VerificationVisit,
)

from . import identifiers
from .names import (
    ASSOCIATION_NAMES,
    FEDERATION_NAMES,
    MOTTOS,
    OTHER_NAMES,
    de,
    du,
    make_acronym,
)
from .world import LAST_DAY, Box, Builder, World, draw_day, draw_moment, draw_recent_day

LEGAL_FORMS = [(LegalForm.GIC, 42), (LegalForm.SCOOPS, 30), (LegalForm.COOP_CA, 7),
               (LegalForm.ASSOCIATION, 15), (LegalForm.OTHER, 6)]
STATUSES = [(OrganisationStatus.ACTIVE, 76), (OrganisationStatus.DORMANT, 11),
            (OrganisationStatus.IN_CREATION, 7), (OrganisationStatus.DISSOLVED, 6)]
COOPERATIVE_FORMS = {LegalForm.SCOOPS, LegalForm.COOP_CA}
UNION_MEMBER_FORMS = {LegalForm.SCOOPS, LegalForm.COOP_CA, LegalForm.GIC}
# (minimum, mu): members = minimum + lognormal(mu, 0.8), legal minima included. About 22
# members on average, some 4.5 million at national scale (DOMAIN.md plans 3 million records).
MEMBERS = {LegalForm.GIC: (5, 1.98), LegalForm.SCOOPS: (5, 2.39), LegalForm.COOP_CA: (15, 3.49),
           LegalForm.ASSOCIATION: (7, 2.68), LegalForm.OTHER: (7, 2.9)}
# Verification visits (proof of existence), by status: the share visited at least once, and
# what the latest visit found. Visits fall between VISITS_FROM and LAST_DAY, more often
# recent: about 60% of active organisations are verified in the 24 months before the end of
# 2026, the dormant ones less, and some were not found or had moved.
VISITS_FROM = date(2022, 1, 1)
VISITED = {OrganisationStatus.ACTIVE: 0.92, OrganisationStatus.DORMANT: 0.6,
           OrganisationStatus.IN_CREATION: 0.3, OrganisationStatus.DISSOLVED: 0.25}
Outcome = VerificationOutcome
LAST_OUTCOMES = {
    OrganisationStatus.ACTIVE: ((Outcome.ACTIVE, 90), (Outcome.MOVED, 7), (Outcome.DORMANT, 3)),
    OrganisationStatus.DORMANT: ((Outcome.DORMANT, 65), (Outcome.NOT_FOUND, 25),
                                 (Outcome.ACTIVE, 10)),
    OrganisationStatus.IN_CREATION: ((Outcome.ACTIVE, 100),),
    OrganisationStatus.DISSOLVED: ((Outcome.NOT_FOUND, 60), (Outcome.DORMANT, 40)),
}
VISIT_NOTES = ("", "", "", "Siège visité, bureau présent.", "Rencontre avec le président.",
               "Champ collectif visité.", "Magasin fermé, voisins interrogés.",
               "Assemblée générale en cours.", "Registre des membres présenté.")


@dataclass(slots=True)
class Draft:
    """An organisation being generated."""

    id: int
    form: str
    status: str
    primary: int
    filieres: list[int]
    locality: str
    members: int = 0
    women: int = 0
    youth: int = 0
    name: str = ""
    parent: int | None = None
    converted_from: int | None = None
    rsc_year: int | None = None


class OrganisationBuilder(Builder):
    def __init__(self, world: World):
        super().__init__(world)
        self.rsc_taken = set(Organisation.objects.exclude(rsc_number=None)
                             .values_list("rsc_number", flat=True))
        self.rsc_counter: Counter = Counter()
        self.ues_taken = set(Organisation.objects.exclude(ues_number="")
                             .values_list("ues_number", flat=True))
        self.ues_counter: Counter = Counter()
        self.id_rng = world.rng("identifiers")  # NIU, member interest, work, labels
        self.federations: dict[str, list[list]] = {}  # region -> [[id, filière, sector, unions]]

    def add_federations(self) -> None:
        """Regional federations, one per main sector of the region's zone (up to three); their
        unions come later."""
        by_region: dict = {}
        for commune in self.world.communes:
            by_region.setdefault(commune.department.region, []).append(commune)
        for region, communes in by_region.items():
            rng = self.rng("federations", region.pcode)
            self.id_rng = self.rng("identifiers", region.pcode)
            wanted = min(3, 1 + len(communes) // 15)
            chosen: dict[int, int] = {}  # sector -> the federation's primary filière
            for _ in range(wanted * 8):
                filiere = self.zone_filiere(rng, region.pcode)
                if len(chosen) < wanted:
                    chosen.setdefault(self.tax.filiere_sector[filiere], filiere)
            for filiere in chosen.values():
                self.add_federation(rng, region, rng.choice(communes), filiere)

    def add_federation(self, rng, region, seat: Commune, filiere: int) -> None:
        sector = self.tax.filiere_sector[filiere]
        draft = Draft(id=self.take_id(Organisation), form=LegalForm.FEDERATION,
                      status=OrganisationStatus.ACTIVE, primary=filiere, filieres=[filiere],
                      locality=seat.name_fr, rsc_year=rng.randint(2016, 2025))
        what = FEDERATION_NAMES.get(
            self.tax.sector_code[sector],
            f"des coopératives ({self.tax.sector_name[sector].lower()})")
        draft.name = f"Fédération régionale {what} {du(region.name_fr)}"
        self.visit_rng = self.rng("verification", f"federation:{region.pcode}:{filiere}")
        self.write_organisation(rng, seat, draft, names=set())
        self.federations.setdefault(region.pcode, []).append([draft.id, filiere, sector, 0])

    def count_federation_unions(self) -> None:
        """A federation's members are its unions."""
        for federations in self.federations.values():
            for pk, _, _, unions in federations:
                Organisation.objects.filter(pk=pk).update(members_total=unions)

    def add_organisations(self, commune: Commune, count: int) -> None:
        rng = self.rng("organisations", commune.pcode)
        self.id_rng = self.rng("identifiers", commune.pcode)
        self.visit_rng = self.rng("verification", commune.pcode)
        region = commune.department.region.pcode
        n_unions = min(count // 10, 1 + count // 150 + (rng.random() < 0.5))
        drafts = [self.draft(rng, commune, region) for _ in range(count - n_unions)]
        self.convert_gics(rng, drafts)
        drafts += self.unions(rng, commune, region, drafts, n_unions)
        names: set[str] = set()
        for draft in drafts:
            self.write_organisation(rng, commune, draft, names)
        self.fill_box(commune, drafts)

    def draft(self, rng: random.Random, commune: Commune, region: str) -> Draft:
        form = rng.choices(*zip(*LEGAL_FORMS, strict=True))[0]
        status = rng.choices(*zip(*STATUSES, strict=True))[0]
        primary = self.pick_filiere(rng, region)
        extra = [self.pick_filiere(rng, region)
                 for _ in range(rng.choices((0, 1, 2), (55, 33, 12))[0])]
        draft = Draft(id=self.take_id(Organisation), form=form, status=status, primary=primary,
                      filieres=list(dict.fromkeys([primary, *extra])),
                      locality=self.locality(rng, commune))
        self.set_members(rng, draft)
        return draft

    def set_members(self, rng: random.Random, draft: Draft) -> None:
        minimum, mu = MEMBERS[draft.form]
        draft.members = min(2000, minimum + int(rng.lognormvariate(mu, 0.8)))
        code = self.tax.filiere_code[draft.primary]
        women = rng.uniform(0.85, 1) if code == "groupes_femmes" else rng.betavariate(9, 11)
        youth = rng.uniform(0.75, 1) if code == "groupes_jeunes" else rng.betavariate(6, 14)
        draft.women = min(draft.members, round(draft.members * women))
        draft.youth = min(draft.members, round(draft.members * youth))

    def convert_gics(self, rng: random.Random, drafts: list[Draft]) -> None:
        """Some SCOOPS were GICs: the GIC of the same filière is dissolved into it."""
        gics: dict[int, list[Draft]] = {}
        for draft in drafts:
            if draft.form == LegalForm.GIC:
                gics.setdefault(draft.primary, []).append(draft)
        for draft in drafts:
            if draft.form == LegalForm.SCOOPS and gics.get(draft.primary) and rng.random() < 0.15:
                gic = gics[draft.primary].pop()
                gic.status = OrganisationStatus.DISSOLVED
                draft.converted_from, draft.rsc_year = gic.id, rng.randint(2015, 2026)

    def unions(self, rng, commune: Commune, region: str, drafts: list[Draft], wanted: int):
        """Unions of the commune's most common filières, each over at least two members."""
        by_primary: dict[int, list[Draft]] = {}
        for d in drafts:
            if d.form in UNION_MEMBER_FORMS and d.status != OrganisationStatus.DISSOLVED:
                by_primary.setdefault(d.primary, []).append(d)
        ranked = sorted(by_primary.items(), key=lambda item: (-len(item[1]), item[0]))
        unions = []
        for filiere, candidates in ranked[:wanted]:
            if len(candidates) < 2:
                break
            members = [d for d in candidates if rng.random() < 0.75]
            members = members if len(members) >= 2 else candidates[:2]
            union = Draft(id=self.take_id(Organisation), form=LegalForm.UNION,
                          status=rng.choices([OrganisationStatus.ACTIVE,
                                              OrganisationStatus.DORMANT], (9, 1))[0],
                          primary=filiere, filieres=[filiere], locality=commune.name_fr,
                          members=len(members), rsc_year=rng.randint(2015, 2026))
            union.name = (f"Union des coopératives {de(self.tax.filiere_name[filiere].lower())} "
                          f"{de(commune.name_fr)}")
            union.parent = self.federation_for(rng, region, filiere)
            for member in members:
                member.parent = union.id
            unions.append(union)
        return unions

    def federation_for(self, rng: random.Random, region: str, filiere: int) -> int | None:
        federations = self.federations.get(region)
        if not federations:
            return None
        sector = self.tax.filiere_sector[filiere]
        federation = next((f for f in federations if f[2] == sector), None)
        if federation is None or (federation[3] >= 2 and rng.random() < 0.4):
            return None
        federation[3] += 1
        return federation[0]

    def write_organisation(self, rng, commune: Commune, d: Draft, names: set[str]) -> None:
        region = commune.department.region.pcode
        d.name = self.unique_name(rng, commune, d, names)
        rsc_number, rsc_date = self.rsc(rng, commune, d)
        women_group = self.tax.filiere_code[d.primary] == "groupes_femmes"
        contact = (self.contact(rng, region, rng.random() < (0.9 if women_group else 0.45))
                   if rng.random() < 0.9 else ("", "", ""))
        lat, lon = commune.latitude, commune.longitude
        if lat is None or lon is None or rng.random() < 0.4:
            lat = lon = None
        else:
            lat = round(lat + rng.uniform(-0.04, 0.04), 5)
            lon = round(lon + rng.uniform(-0.04, 0.04), 5)
        # Most contacts come with their person's consent, signed on the commune's paper form;
        # one in eight waits for it (hidden until recorded). No draw: the stream is unchanged.
        consented = bool(contact[0]) and d.id % 8 != 0
        row = (d.id, d.name, make_acronym(d.name), d.form, rsc_number, rsc_date,
               self.ues(rng, region, d), commune.pk, d.locality, d.primary, d.status, d.members,
               d.women, d.youth, self.employees(rng, d), self.capital(rng, d),
               self.member_since(rng, commune, d), d.parent, d.converted_from, *contact,
               ContactConsentState.GIVEN if consented else ContactConsentState.MISSING,
               self.description(rng, d), lat, lon, draw_moment(rng), self.world.now,
               *self.identifiers(commune, d))
        created = row[-6]  # created_at, before the four identifier columns
        self.sink.add(Organisation, (*row, *self.add_visits(commune, d)))
        if consented:
            self.sink.add(ContactConsent, (
                self.take_id(ContactConsent), d.id, ContactConsent.Purpose.CONTACT,
                ContactConsent.Method.PAPER, created.date(),
                f"RELESS {commune.pcode} {created.year}/{d.id}", "", None, created))
        for filiere in d.filieres:
            self.sink.add(OrganisationFiliere, (self.take_id(OrganisationFiliere), d.id, filiere))
        if rsc_number:
            self.add_events(rng, d, rsc_number, rsc_date)

    def add_visits(self, commune: Commune, d: Draft) -> tuple:
        """The organisation's verification visits (from a stream of their own: the registry's
        other values are the same with or without them); its latest (day, outcome)."""
        rng = self.visit_rng
        if rng.random() >= VISITED[d.status]:
            return None, ""
        days = sorted(draw_recent_day(rng, VISITS_FROM, LAST_DAY)
                      for _ in range(rng.choices((1, 2, 3), (60, 30, 10))[0]))
        outcome = Outcome.ACTIVE
        for i, day in enumerate(days):
            if i == len(days) - 1:
                outcome = rng.choices(*zip(*LAST_OUTCOMES[d.status], strict=True))[0]
            self.add_visit(rng, commune, d, day, outcome)
        return days[-1], outcome

    def add_visit(self, rng, commune: Commune, d: Draft, day: date, outcome: str) -> None:
        moved_to = ""
        if outcome == Outcome.MOVED:
            places = [p for p in self.commune_localities(commune) if p != d.locality]
            moved_to = rng.choice(places) if places else commune.name_fr
        lat = lon = None
        if commune.latitude is not None and commune.longitude is not None and rng.random() < 0.5:
            lat = round(commune.latitude + rng.uniform(-0.04, 0.04), 5)
            lon = round(commune.longitude + rng.uniform(-0.04, 0.04), 5)
        recorded = datetime.combine(day + timedelta(days=rng.randint(0, 10)),
                                    time(rng.randint(8, 17), rng.randint(0, 59)), UTC)
        self.sink.add(VerificationVisit, (
            self.take_id(VerificationVisit), d.id, day, outcome, moved_to, lat, lon,
            rng.choice(VISIT_NOTES), None, min(recorded, self.world.now)))

    def identifiers(self, commune: Commune, d: Draft) -> tuple:
        """(NIU, member interest, worker-members, producer-members), and the labels in the
        sink (operations.generator.identifiers: a stream of their own)."""
        rng, sector = self.id_rng, self.tax.filiere_sector[d.primary]
        interest = identifiers.member_interest(rng, d.form, self.tax.sector_code[sector])
        workers, producers = identifiers.work_members(rng, d.form, interest, d.members)
        for label in identifiers.labels(rng, form=d.form, status=d.status,
                                        filiere_code=self.tax.filiere_code[d.primary],
                                        region=commune.department.region.pcode,
                                        organisation_id=d.id):
            self.sink.add(OrganisationLabel, (self.take_id(OrganisationLabel), d.id, *label,
                                              self.world.now))
        return identifiers.niu(rng, d.form, d.id), interest, workers, producers

    def unique_name(self, rng, commune: Commune, d: Draft, names: set[str]) -> str:
        name = d.name or self.name(rng, commune, d)
        for numeral in ("", " II", " III", " IV", " V", " VI", " VII", " VIII", " IX", " X"):
            if name + numeral not in names:
                names.add(name + numeral)
                return name + numeral
        return f"{name} {d.id}"

    def name(self, rng: random.Random, commune: Commune, d: Draft) -> str:
        place, motto, actors = de(d.locality), rng.choice(MOTTOS), self.actors(d.primary)
        if d.form == LegalForm.GIC:
            return f"GIC {motto} {place}" if rng.random() < 0.5 else f"GIC des {actors} {place}"
        if d.form == LegalForm.SCOOPS:
            return f"SCOOPS des {actors} {place}" if rng.random() < 0.7 else (
                f"SCOOPS {motto} {place}")
        if d.form == LegalForm.COOP_CA:
            return f"COOP-CA des {actors} {de(commune.name_fr)}"
        if d.form == LegalForm.ASSOCIATION:
            return f"{rng.choice(ASSOCIATION_NAMES)} {place}"
        return f"{rng.choice(OTHER_NAMES)} {place}"

    def rsc(self, rng, commune: Commune, d: Draft) -> tuple[str | None, date | None]:
        """Most registered cooperatives, unions and federations carry an RSC number."""
        registrable = d.form in COOPERATIVE_FORMS | {LegalForm.UNION, LegalForm.FEDERATION}
        if not registrable or d.status == OrganisationStatus.IN_CREATION or rng.random() > 0.85:
            return None, None
        year = d.rsc_year or min(2026, 2012 + int(15 * rng.random() ** 0.7))
        day = draw_day(rng, date(year, 1, 1), min(date(year, 12, 31), LAST_DAY))
        department = commune.department.pcode[2:]
        while True:
            self.rsc_counter[department, year] += 1
            number = f"CM-{department}-{year}-C-{self.rsc_counter[department, year]:04d}"
            if number not in self.rsc_taken:
                self.rsc_taken.add(number)
                return number, day

    def ues(self, rng: random.Random, region: str, d: Draft) -> str:
        if d.status != OrganisationStatus.ACTIVE or d.form == LegalForm.GIC or rng.random() > 0.2:
            return ""
        year = rng.randint(2022, 2026)
        while True:  # unique in the registry, the runs before this one's included
            self.ues_counter[region] += 1
            number = f"UES-{region[2:]}-{year}-{self.ues_counter[region]:05d}"
            if number not in self.ues_taken:
                self.ues_taken.add(number)
                return number

    def employees(self, rng: random.Random, d: Draft) -> int:
        if d.form == LegalForm.COOP_CA:
            return 1 + int(rng.lognormvariate(1.0, 0.7))
        if d.form in (LegalForm.UNION, LegalForm.FEDERATION):
            return rng.randint(1, 8)
        return rng.choices((0, 1, 2, 3), (60, 25, 10, 5))[0]

    def capital(self, rng: random.Random, d: Draft) -> int:
        if d.form in COOPERATIVE_FORMS:
            return d.members * rng.choice((2_000, 5_000, 10_000, 25_000))
        if d.form in (LegalForm.UNION, LegalForm.FEDERATION):
            return rng.choice((100_000, 250_000, 500_000, 1_000_000))
        return rng.choice((0, 0, 0, 50_000, 100_000))

    def member_since(self, rng: random.Random, commune: Commune, d: Draft) -> date | None:
        founded = self.world.reless_plan[commune.pk][0]
        joins = d.status in (OrganisationStatus.ACTIVE, OrganisationStatus.DORMANT)
        if not joins or d.form == LegalForm.FEDERATION or rng.random() > 0.55:
            return None
        return draw_day(rng, founded, max(founded, LAST_DAY))

    def description(self, rng: random.Random, d: Draft) -> str:
        if rng.random() < 0.5:
            return ""
        return (f"{LegalForm(d.form).label} de la filière "
                f"{self.tax.filiere_name[d.primary].lower()} à {d.locality}.")

    def add_events(self, rng, d: Draft, number: str, registered: date) -> None:
        events = [(RegistryEvent.Kind.REGISTRATION, registered, number,
                   "Immatriculation au Registre des sociétés coopératives")]
        if rng.random() < 0.18:
            events.append((RegistryEvent.Kind.MODIFICATION,
                           draw_day(rng, min(registered + timedelta(days=30), LAST_DAY), LAST_DAY),
                           f"{number}/M1", rng.choice(["Modification des statuts",
                                                       "Renouvellement des organes de gestion",
                                                       "Augmentation du capital social"])))
        if d.status == OrganisationStatus.DISSOLVED:
            events.append((RegistryEvent.Kind.DISSOLUTION,
                           draw_day(rng, min(registered + timedelta(days=180), LAST_DAY), LAST_DAY),
                           f"{number}/D", "Dissolution votée en assemblée générale"))
        for kind, day, reference, note in events:
            self.sink.add(RegistryEvent, (self.take_id(RegistryEvent), d.id, kind, day,
                                          reference, note))

    def fill_box(self, commune: Commune, drafts: list[Draft]) -> None:
        box = Box()
        for d in drafts:
            position = len(box.ids)
            box.ids.append(d.id)
            box.forms.append(d.form)
            box.statuses.append(d.status)
            box.members.append(d.members)
            box.filieres.append(tuple(d.filieres))
            box.names.append(d.name)
            for filiere in d.filieres:
                box.by_filiere.setdefault(filiere, []).append(position)
        self.boxes[commune.pk] = box
