"""The convergence report: where ministries, needs and cooperatives meet in a commune.

Definitions (PRODUCT.md, "The two reports"). For the year Y, the commune's diagnostic is its
latest validated one with year <= Y (drafts never count) and its interventions are those
whose dates overlap calendar year Y (no end date: still running). "Active" is an
organisation's status in the registry the report reads (reports.registry: now for the
current year, as of 31 December Y for a past year). An organisation matches a ministry or a sector
through any of its filières, and is counted once. Ratios are exact fractions
`{"num": int, "den": int}` (not reduced), null when the denominator is zero, as in the
cooperation report.

Every figure is fetched with grouped queries over all the requested communes at once, so the
batch and national functions cost the same few queries whatever their size.
"""

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property

import numpy as np
from django.db.models import Count, Q
from django.utils import timezone

from communes.models import Commune, haversine_km
from diagnostics.models import DiagnosticEntry, Intervention, TerritorialDiagnostic
from sectors.models import Ministry, Sector
from support.models import Enrolment, Programme

from .cooperation import fraction
from .registry import RegistryNow, in_communes

STATES = ("converging", "unmet", "unsupported", "unplanned", "absent")
FIGURES = ("organisations", "members", "women", "youth", "needs", "priority_needs",
           "interventions", "beneficiaries", "programmes", "enrolled")
PRIORITY_RANKS = 3  # ranks 1 to 3 are priority needs
NEAREST = 3
_WHOLE_COUNTRY_FROM = 8  # a batch of 1/8 of the communes or more reads the whole country


def cell_state(*, needs: int, organisations: int, interventions: int) -> str:
    """The state of one commune × ministry cell, by the definitions' precedence."""
    if needs and organisations and interventions:
        return "converging"
    if needs and not organisations:
        return "unmet"
    if needs:
        return "unsupported"
    if organisations or interventions:
        return "unplanned"
    return "absent"


def convergence_for_commune(commune: Commune, *, year: int, registry=None) -> dict:
    """The convergence report of one commune for year `year` (see `convergence_for_communes`)."""
    return convergence_for_communes([commune.pk], year=year, registry=registry)[commune.pk]


def convergence_for_communes(commune_ids: Iterable[int], *, year: int, registry=None
                             ) -> dict[int, dict]:
    """The convergence report of each commune (by id) for year `year`, in a fixed few queries.

    `registry`: the organisations' rows (reports.registry); None: the registry now.

    Each report: `commune` (P-code), `year`, `diagnostic` (`{"id", "year"}` of the selected
    diagnostic, or null), `ministries` (every ministry of the taxonomy by acronym, each
    `{"organisations", "members", "women", "youth", "needs", "priority_needs",
    "interventions", "beneficiaries", "programmes", "enrolled": int, "state": str}`;
    members, women and youth are member counts summed over the matching active
    organisations; beneficiaries are distinct organisations, whatever their status, reached
    by the ministry's interventions of the year in the commune; programmes are the
    ministry's support programmes running during the year that cover the commune, enrolled
    the distinct organisations of the commune enrolled in them with enrolment dates
    overlapping the year; programmes do not enter the state), `states` (how many ministries
    are in each state), `score` (converging ministries ÷ ministries with needs, a fraction
    or null) and `unmet_needs`: each priority need with no matching active organisation in
    the commune,
    `{"entry", "sector", "ministry", "priority_rank", "need", "nearest"}`, sorted by rank,
    sector code and id, `nearest` being up to 3 communes with a matching active organisation
    `{"commune", "name", "distance_km", "organisations"}`, nearest first (great-circle
    distance between commune points, rounded to 0.1 km; ties by P-code; communes without a
    point are left out, and a commune without a point gets none).
    """
    ids = sorted(set(commune_ids))
    if not ids:
        return {}
    data = _Data.load(ids, year, registry or RegistryNow(timezone.localdate()))
    return {c: data.report(c) for c in ids if c in data.communes}


def convergence_national(*, year: int, registry=None, kept: dict | None = None) -> dict:
    """The country's convergence report for year `year` (`registry` as
    `convergence_for_communes`).

    `ministries`: the acronyms, sorted. `communes`: every commune's report (as
    `convergence_for_communes`) keyed by P-code: the communes × ministries matrix of states
    and figures. `departments` and `regions` (keyed by P-code) and `country` hold totals:
    `{"communes": int, "ministries": {acronym: {figures summed over the communes...,
    "states": {state: number of communes}}}, "states": {state: number of cells},
    "score": converging cells ÷ cells with needs (fraction or null), "unmet_needs": int}`.
    Beneficiaries, programmes and enrolled are summed commune by commune (a programme
    covering two communes counts twice) (an organisation reached in two communes
    counts twice), so every level is exactly the sum of its communes. `kept`: P-code -> a
    commune report to use instead of the computed one (a closed year's frozen copy).
    """
    data = _Data.load(None, year, registry or RegistryNow(timezone.localdate()))
    kept = kept or {}
    reports = {c: kept.get(data.communes[c].pcode) or data.report(c)
               for c in sorted(data.communes)}
    acronyms = [acronym for _, acronym in data.ministries]
    cells = _Cells(list(reports.values()), acronyms)
    by_department, by_region = defaultdict(list), defaultdict(list)
    for row, commune_id in enumerate(reports):
        place = data.communes[commune_id]
        by_department[place.department].append(row)
        by_region[place.region].append(row)
    return {
        "year": year,
        "ministries": acronyms,
        "communes": {r["commune"]: r for r in sorted(reports.values(),
                                                     key=lambda r: r["commune"])},
        "departments": {p: cells.totals(rows) for p, rows in sorted(by_department.items())},
        "regions": {p: cells.totals(rows) for p, rows in sorted(by_region.items())},
        "country": cells.totals(slice(None)),
    }


class _Cells:
    """The cells of commune reports as arrays, read once, so that the totals of every
    department, region and the country are sums over rows (summing the 360 reports' dicts
    again for each of the 69 groups cost 0.15 s of a national report)."""

    def __init__(self, reports: list[dict], acronyms: list[str]):
        self.acronyms = acronyms
        shape = (len(reports), len(acronyms))
        # .get: a closed year's frozen copy may predate a figure (programmes)
        self.figures = np.array(
            [cell.get(name, 0) for report in reports for acronym in acronyms
             for cell in (report["ministries"][acronym],) for name in FIGURES],
            dtype=np.int64).reshape(*shape, len(FIGURES))
        index = {state: i for i, state in enumerate(STATES)}
        self.states = np.array([index[report["ministries"][acronym]["state"]]
                                for report in reports for acronym in acronyms],
                               dtype=np.int64).reshape(shape)
        self.unmet = np.array([len(report["unmet_needs"]) for report in reports],
                              dtype=np.int64)

    def totals(self, rows) -> dict:
        """The totals of the reports at `rows` (a list of positions, or a slice)."""
        figures = self.figures[rows].sum(axis=0).tolist()
        states = self.states[rows]
        n_states, n_ministries = len(STATES), len(self.acronyms)
        by_ministry = np.bincount(
            (states + np.arange(n_ministries) * n_states).ravel(),
            minlength=n_ministries * n_states).reshape(n_ministries, n_states).tolist()
        ministries = {}
        for acronym, sums, counts in zip(self.acronyms, figures, by_ministry, strict=True):
            row = dict(zip(FIGURES, sums, strict=True))
            row["states"] = dict(zip(STATES, counts, strict=True))
            ministries[acronym] = row
        overall = dict(zip(STATES, np.sum(by_ministry, axis=0, dtype=np.int64).tolist(),
                           strict=True)) if n_ministries else dict.fromkeys(STATES, 0)
        with_needs = sum(overall[s] for s in ("converging", "unmet", "unsupported"))
        return {
            "communes": len(states),
            "ministries": ministries,
            "states": overall,
            "score": fraction(overall["converging"], with_needs),
            "unmet_needs": int(self.unmet[rows].sum()),
        }


def _state_counts(states: Iterable[str]) -> dict[str, int]:
    counts = Counter(states)
    return {s: counts[s] for s in STATES}


@dataclass(frozen=True)
class _Place:
    pcode: str
    name: str
    latitude: float | None
    longitude: float | None
    department: str
    region: str

    @property
    def has_point(self) -> bool:
        return self.latitude is not None and self.longitude is not None


@dataclass
class _Data:
    """Everything the reports of some communes need, from grouped queries."""

    year: int
    ministries: list[tuple[int, str]]
    sectors: dict[int, tuple[str, int]]
    communes: dict[int, _Place]
    places: dict[int, _Place]
    organisations: dict[tuple[int, int], list[int]]
    diagnostics: dict[int, tuple[int, int]]
    needs: dict[tuple[int, int], tuple[int, int]]
    priority: dict[int, list[tuple]]
    interventions: dict[tuple[int, int], list[int]]
    programmes: dict[tuple[int, int], list[int]]
    own_presence: dict[int, dict[int, int]]
    presence: dict[int, dict[int, int]]

    @classmethod
    def load(cls, commune_ids: list[int] | None, year: int, registry) -> "_Data":
        places = _places()
        wanted = places if commune_ids is None else {
            c: places[c] for c in commune_ids if c in places}
        # Past 1/8 of the country, unfiltered grouped queries are cheaper than long IN lists;
        # the communes not asked for are simply not reported.
        if commune_ids is not None and len(wanted) * _WHOLE_COUNTRY_FROM >= len(places):
            commune_ids = None
        diagnostics = _selected_diagnostics(commune_ids, year)
        priority = _priority_entries(diagnostics)
        sectors = {pk: (code, ministry) for pk, code, ministry
                   in Sector.objects.values_list("id", "code", "ministry_id")}
        own = registry.sector_presence({e[2] for es in priority.values() for e in es},
                                       commune_ids)
        unmet = {sector for commune_id, entries in priority.items()
                 for _, _, sector, _ in entries if not _met(own, commune_id, sector)}
        return cls(
            year=year,
            ministries=list(Ministry.objects.order_by("acronym").values_list("id", "acronym")),
            sectors=sectors, communes=wanted, places=places,
            organisations=registry.organisation_figures(commune_ids),
            diagnostics=diagnostics, needs=_need_counts(diagnostics), priority=priority,
            interventions=_intervention_figures(commune_ids, year),
            programmes=_programme_figures(commune_ids, year),
            own_presence=own,
            # Where the unmet sectors have organisations, over the whole country.
            presence=own if commune_ids is None else registry.sector_presence(unmet, None),
        )

    def report(self, commune_id: int) -> dict:
        ministries = {acronym: self._cell(commune_id, m) for m, acronym in self.ministries}
        states = _state_counts(cell["state"] for cell in ministries.values())
        diagnostic = self.diagnostics.get(commune_id)
        return {
            "commune": self.communes[commune_id].pcode,
            "year": self.year,
            "diagnostic": {"id": diagnostic[0], "year": diagnostic[1]} if diagnostic else None,
            "ministries": ministries,
            "states": states,
            "score": fraction(states["converging"], sum(
                1 for cell in ministries.values() if cell["needs"])),
            "unmet_needs": self._unmet_needs(commune_id),
        }

    def _cell(self, commune_id: int, ministry_id: int) -> dict:
        organisations, members, women, youth = self.organisations.get(
            (commune_id, ministry_id), (0, 0, 0, 0))
        needs, priority_needs = self.needs.get((commune_id, ministry_id), (0, 0))
        interventions, beneficiaries = self.interventions.get((commune_id, ministry_id), (0, 0))
        programmes, enrolled = self.programmes.get((commune_id, ministry_id), (0, 0))
        return {
            "organisations": organisations, "members": members, "women": women,
            "youth": youth, "needs": needs, "priority_needs": priority_needs,
            "interventions": interventions, "beneficiaries": beneficiaries,
            "programmes": programmes, "enrolled": enrolled,
            "state": cell_state(needs=needs, organisations=organisations,
                                interventions=interventions),
        }

    def _unmet_needs(self, commune_id: int) -> list[dict]:
        unmet = []
        for entry_id, rank, sector_id, need in self.priority.get(commune_id, []):
            if _met(self.own_presence, commune_id, sector_id):
                continue
            code, ministry_id = self.sectors[sector_id]
            unmet.append({
                "entry": entry_id, "sector": code,
                "ministry": self._acronyms[ministry_id],
                "priority_rank": rank, "need": need,
                "nearest": self._nearest[(commune_id, sector_id)],
            })
        return sorted(unmet, key=lambda u: (u["priority_rank"], u["sector"], u["entry"]))

    @cached_property
    def _acronyms(self) -> dict[int, str]:
        return dict(self.ministries)

    @cached_property
    def _nearest(self) -> dict[tuple[int, int], list[dict]]:
        """(commune, sector) -> its 3 nearest communes with an active organisation of the
        sector, for every unmet priority need of the requested communes at once: every
        located commune ordered by distance from each of them (one stable sort per row of a
        distance matrix: ties by P-code), then per sector the first 3 of each row that have
        an organisation of it, over arrays."""
        wanted = {(c, sector) for c in self.communes for _, _, sector, _ in self.priority.get(c, [])
                  if not _met(self.own_presence, c, sector)}
        found: dict[tuple[int, int], list[dict]] = {key: [] for key in wanted}
        located = _Located(self.places)
        row_of = {pk: i for i, pk in enumerate(sorted({c for c, _ in wanted
                                                          if c in located.index}))}
        if not row_of:
            return found
        order = np.argsort(np.stack([located.distances_from(self.places[c]) for c in row_of]),
                           axis=1, kind="stable")  # located positions, nearest first
        by_sector: dict[int, list[int]] = defaultdict(list)
        for c, sector in sorted(wanted):
            if c in row_of:
                by_sector[sector].append(c)
        for sector, communes in by_sector.items():
            having = self.presence.get(sector, {})
            counts = np.array([having.get(pk, 0) for pk in located.ids.tolist()], dtype=np.int64)
            candidates = order[[row_of[c] for c in communes]]
            usable = (counts[candidates] > 0) & (
                located.ids[candidates] != np.array(communes, dtype=np.int64)[:, None])
            rows, columns = np.nonzero(usable & (np.cumsum(usable, axis=1) <= NEAREST))
            for row, other in zip(rows.tolist(), located.ids[candidates[rows, columns]].tolist(),
                                  strict=True):
                here, place = self.places[communes[row]], self.places[other]
                found[(communes[row], sector)].append({
                    "commune": place.pcode, "name": place.name,
                    "distance_km": round(haversine_km(here.latitude, here.longitude,
                                                      place.latitude, place.longitude), 1),
                    "organisations": having[other]})
        return found


class _Located:
    """The communes with a point, as arrays (P-code order), to order them by distance."""

    def __init__(self, places: dict[int, "_Place"]):
        located = sorted((p.pcode, pk, p.latitude, p.longitude)
                         for pk, p in places.items() if p.has_point)
        self.ids = np.array([pk for _, pk, _, _ in located], dtype=np.int64)
        self.index = set(self.ids.tolist())
        self.lat = np.radians(np.array([row[2] for row in located], dtype=float))
        self.lon = np.array([row[3] for row in located], dtype=float)

    def distances_from(self, here: "_Place") -> np.ndarray:
        """Great-circle distance (km) from `here` to each located commune
        (`communes.models.haversine_km`'s formula over arrays)."""
        p1, dl = np.radians(here.latitude), np.radians(self.lon - here.longitude)
        a = (np.sin((self.lat - p1) / 2) ** 2
             + np.cos(p1) * np.cos(self.lat) * np.sin(dl / 2) ** 2)
        return 2 * 6371.0 * np.arcsin(np.sqrt(a))


def _met(presence: dict[int, dict[int, int]], commune_id: int, sector_id: int) -> bool:
    """Whether the commune has an active organisation of the sector (a need met at home)."""
    return bool(presence.get(sector_id, {}).get(commune_id))


def _places() -> dict[int, _Place]:
    rows = Commune.objects.order_by("pcode").values_list(
        "id", "pcode", "name_fr", "latitude", "longitude", "department__pcode",
        "department__region__pcode")
    return {row[0]: _Place(*row[1:]) for row in rows}


def _selected_diagnostics(commune_ids: list[int] | None, year: int) -> dict[int, tuple]:
    """commune -> (id, year) of the diagnostic that counts for `year` (selected_for)."""
    rows = in_communes(TerritorialDiagnostic.objects.selected_for(year), "commune_id",
                        commune_ids).order_by().values_list("commune_id", "id", "year")
    return {commune_id: (diag_id, diag_year) for commune_id, diag_id, diag_year in rows}


def _need_counts(diagnostics: dict[int, tuple]) -> dict[tuple, tuple[int, int]]:
    """(commune, ministry) -> (needs, priority needs) of the selected diagnostics."""
    commune_of = {diag_id: commune_id for commune_id, (diag_id, _) in diagnostics.items()}
    if not commune_of:
        return {}
    rows = (DiagnosticEntry.objects.filter(diagnostic_id__in=commune_of).order_by()
            .values("diagnostic_id", "sector__ministry_id")
            .annotate(needs=Count("id"),
                      priority=Count("id", filter=Q(priority_rank__lte=PRIORITY_RANKS))))
    return {(commune_of[r["diagnostic_id"]], r["sector__ministry_id"]): (r["needs"],
                                                                          r["priority"])
            for r in rows}


def _priority_entries(diagnostics: dict[int, tuple]) -> dict[int, list[tuple]]:
    """commune -> [(entry id, rank, sector id, need)] of its selected diagnostic's priorities."""
    commune_of = {diag_id: commune_id for commune_id, (diag_id, _) in diagnostics.items()}
    if not commune_of:
        return {}
    rows = (DiagnosticEntry.objects.filter(diagnostic_id__in=commune_of,
                                           priority_rank__lte=PRIORITY_RANKS)
            .order_by("id").values_list("id", "diagnostic_id", "priority_rank", "sector_id",
                                        "need"))
    entries: dict[int, list[tuple]] = defaultdict(list)
    for entry_id, diag_id, rank, sector_id, need in rows:
        entries[commune_of[diag_id]].append((entry_id, rank, sector_id, need))
    return dict(entries)


def _intervention_figures(commune_ids: list[int] | None, year: int) -> dict[tuple, list[int]]:
    """(commune, ministry) -> [interventions overlapping `year`, distinct beneficiaries]."""
    selected = in_communes(Intervention.objects.overlapping_year(year), "commune_id",
                            commune_ids)
    figures: dict[tuple, list[int]] = defaultdict(lambda: [0, 0])
    for row in selected.order_by().values("commune_id", "ministry_id").annotate(n=Count("id")):
        figures[(row["commune_id"], row["ministry_id"])][0] = row["n"]
    reached = (Intervention.beneficiaries.through.objects
               .filter(intervention__in=selected.values("id")).order_by()
               .values("intervention__commune_id", "intervention__ministry_id")
               .annotate(n=Count("organisation_id", distinct=True)))
    for row in reached:
        key = (row["intervention__commune_id"], row["intervention__ministry_id"])
        figures[key][1] = row["n"]
    return dict(figures)


def _programme_figures(commune_ids: list[int] | None, year: int) -> dict[tuple, list[int]]:
    """(commune, ministry) -> [ministry-owned programmes running during `year` that cover
    the commune, distinct organisations of the commune enrolled in them during `year`]."""
    running = Programme.objects.overlapping_year(year).filter(
        owner_type=Programme.OwnerType.MINISTRY)
    covers = in_communes(Programme.communes.through.objects.filter(
        programme__in=running.values("id")), "commune_id", commune_ids)
    figures: dict[tuple, list[int]] = defaultdict(lambda: [0, 0])
    for row in (covers.order_by().values("commune_id", "programme__ministry_id")
                .annotate(n=Count("programme_id", distinct=True))):
        figures[(row["commune_id"], row["programme__ministry_id"])][0] = row["n"]
    enrolled = in_communes(Enrolment.objects.overlapping_year(year).filter(
        programme__in=running.values("id")), "organisation__commune_id", commune_ids)
    for row in (enrolled.order_by().values("organisation__commune_id", "programme__ministry_id")
                .annotate(n=Count("organisation_id", distinct=True))):
        figures[(row["organisation__commune_id"], row["programme__ministry_id"])][1] = row["n"]
    return dict(figures)
