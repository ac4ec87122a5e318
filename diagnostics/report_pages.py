"""Reads behind the report pages: who may see which report, which run a page shows and whether
it is still current, and stored results shaped for the templates.

Pages never compute a report: they read the latest done run (PRODUCT.md). National results
are large (every commune's report), so each is parsed and shaped once for all the server's
processes (kept in the shared cache) and kept in each process by run id: a done run never
changes. Projected commune outlines are kept the same way.
"""

import datetime
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import NamedTuple

from django.db.models import Count, Max
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from communes.models import Commune
from cooperatives import freshness
from cooperatives.models import LinkKind, Organisation, ReportRun
from cooperatives.permissions import can_read_commune_reports, scope_of
from cooperatives.runs import NATIONAL, latest_done, scope_key
from sectors.models import Filiere, Ministry, Sector

from .charts import MapArea, Shapes, bar_columns, choropleth, project_boundaries

STATES = ("converging", "unmet", "unsupported", "unplanned", "absent")
STATE_LABELS = {
    "converging": gettext_lazy("Converging"),
    "unmet": gettext_lazy("Unmet"),
    "unsupported": gettext_lazy("Unsupported"),
    "unplanned": gettext_lazy("Unplanned"),
    "absent": gettext_lazy("Absent"),
}
STATE_HELP = {
    "converging": gettext_lazy("needs, organisations and interventions"),
    "unmet": gettext_lazy("needs but no organisation"),
    "unsupported": gettext_lazy("needs and organisations, no intervention"),
    "unplanned": gettext_lazy("organisations or interventions without needs"),
    "absent": gettext_lazy("nothing"),
}
# Colour is never the only cue: each state also has a symbol (legend on every page).
STATE_SYMBOLS = {"converging": "●", "unmet": "✕", "unsupported": "◐", "unplanned": "○",
                 "absent": ""}
FIGURES = ("organisations", "members", "women", "youth", "needs", "priority_needs",
           "interventions", "beneficiaries")
NAMES_SHOWN = 200  # organisation names listed per list on a commune page
MAP_BANDS = 5  # colour bands of a ratio on the map: 0-20 %, ..., 80-100 %
SHARED_VERSION = 1  # part of the shared cache keys: change it when a cached shape changes


# Who may see what -------------------------------------------------------------------------

def get_commune_for_reports(user, pcode: str) -> Commune:
    """The commune if the user may read its reports, else 404 (missing or not theirs alike)."""
    commune = (Commune.objects.defer("boundary").select_related("department__region")
               .filter(pcode=pcode).first())
    if commune is None or not can_read_commune_reports(user, commune.pk):
        raise Http404
    return commune


def reads_country(user) -> bool:
    """Admins and ministry analysts read the national reports."""
    return scope_of(user).reads_country


def recomputes_country(user) -> bool:
    """Only the national admin recomputes the whole country."""
    return scope_of(user).is_admin



# Which run a page shows -------------------------------------------------------------------

@dataclass
class RunState:
    """The run a page shows (None: not computed yet) and what happened since.

    `pending`: a queued or running run of the same scope and year; `failed`: a run that failed
    after the shown one finished; `changed`: the registry moved since the shown run (a pending
    run, organisations updated after it, or for the country a commune run queued after it).
    """

    kind: str
    year: int
    run: ReportRun | None
    pending: ReportRun | None = None
    failed: ReportRun | None = None
    changed: bool = False
    years: list[int] = field(default_factory=list)


def run_state(kind: str, *, commune: Commune | None = None, year: int | None = None) -> RunState:
    """The latest done run of a scope (of `year` when given) and its freshness.

    For a commune the run comes with its result; for the country the result is deferred
    (it is read through the per-run cache). A fixed number of queries.
    """
    if commune is not None:
        run = latest_done(kind, commune=commune, year=year)
    else:
        runs = ReportRun.objects.filter(kind=kind, scope=NATIONAL, status=ReportRun.Status.DONE)
        if year is not None:
            runs = runs.filter(year=year)
        run = runs.defer("result").order_by("-finished_at", "-id").first()
    shown_year = run.year if run else (year or timezone.localdate().year)
    scope_runs = ReportRun.objects.filter(kind=kind, scope=scope_key(commune))
    state = RunState(kind=kind, year=shown_year, run=run, years=list(
        scope_runs.filter(status=ReportRun.Status.DONE).order_by("-year")
        .values_list("year", flat=True).distinct()))
    others = list(scope_runs.filter(year=shown_year).exclude(status=ReportRun.Status.DONE)
                  .defer("result").order_by("-queued_at", "-id")[:5])
    state.pending = next((r for r in others if r.status in (ReportRun.Status.QUEUED,
                                                            ReportRun.Status.RUNNING)), None)
    state.failed = next((r for r in others if r.status == ReportRun.Status.FAILED and (
        run is None or (r.finished_at and r.finished_at > run.finished_at))), None)
    if run is not None:
        state.changed = state.pending is not None or _changed_since(kind, commune,
                                                                    run.finished_at)
    return state


def _changed_since(kind: str, commune: Commune | None, moment: datetime.datetime) -> bool:
    """Organisations created, edited or deleted after `moment` (their history rows, indexed
    by date, so no scan of the registry), or for the country a commune run queued after it
    (every edit queues its commune's runs: diagnostics.signals)."""
    history = Organisation.history.filter(history_date__gt=moment)
    if commune is not None:
        return history.filter(commune_id=commune.pk).exists()
    later = ReportRun.objects.filter(kind=kind, queued_at__gt=moment).exclude(scope=NATIONAL)
    return later.exists() or history.exists()


# Ratios -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Ratio:
    """A stored `{"num", "den"}` fraction, with its percentage for display."""

    num: int
    den: int

    @classmethod
    def of(cls, value) -> "Ratio | None":
        if not isinstance(value, dict) or not value.get("den"):
            return None
        return cls(int(value["num"]), int(value["den"]))

    @property
    def percent(self) -> float:
        return 100 * self.num / self.den

    def band(self) -> int:
        """0 to MAP_BANDS - 1: which fifth of 0-100 % the ratio falls in (100 % in the last)."""
        return min(int(self.percent * MAP_BANDS / 100), MAP_BANDS - 1)


# Commune convergence ----------------------------------------------------------------------

def convergence_page(result: dict) -> dict:
    """A commune's convergence result shaped for its page (two name lookups)."""
    ministries = _ministry_names()
    rows, absent = [], []
    for acronym, cell in sorted(result.get("ministries", {}).items()):
        if cell["state"] == "absent":
            absent.append(acronym)
            continue
        rows.append({"acronym": acronym, "name": ministries.get(acronym, acronym),
                     "state": cell["state"], "state_label": STATE_LABELS[cell["state"]],
                     "symbol": STATE_SYMBOLS[cell["state"]],
                     "figures": [cell.get(f, 0) for f in FIGURES]})
    rows.sort(key=lambda r: (STATES.index(r["state"]), r["acronym"]))
    chart = bar_columns(
        [(r["acronym"], (r["figures"][4], r["figures"][0], r["figures"][6])) for r in rows],
        [(_("Needs"), "c-needs"), (_("Organisations"), "c-orgs"),
         (_("Interventions"), "c-int")],
        label=_("Needs, organisations and interventions per ministry")) if rows else None
    return {
        "rows": rows, "absent": absent, "chart": chart,
        "score": Ratio.of(result.get("score")),
        "states": [(s, STATE_LABELS[s], STATE_SYMBOLS[s], result.get("states", {}).get(s, 0))
                   for s in STATES],
        "diagnostic": result.get("diagnostic"),
        "unmet_needs": _unmet_needs(result.get("unmet_needs") or []),
    }


def _ministry_names() -> dict[str, str]:
    return {m.acronym: m.name for m in Ministry.objects.only("acronym", "name_fr", "name_en")}


def _unmet_needs(unmet: list[dict]) -> list[dict]:
    codes = {u["sector"] for u in unmet}
    sectors = {s.code: s.name for s in Sector.objects.filter(code__in=codes)
               .only("code", "name_fr", "name_en")} if codes else {}
    return [dict(u, sector_name=sectors.get(u["sector"], u["sector"])) for u in unmet]


# Commune cooperation ----------------------------------------------------------------------

COOPERATION_FIGURES = ("active_organisations", "links", "linked_organisations", "pairs",
                       "components", "largest_component", "isolated", "cross_commune",
                       "cross_filiere")


def cooperation_page(result: dict) -> dict:
    """A commune's cooperation result shaped for its page (two name lookups)."""
    outside = sorted((result.get("outside_unions") or {}).items())
    opportunities = result.get("opportunities") or []
    isolated = result.get("isolated_organisations") or []
    wanted = set(isolated[:NAMES_SHOWN])
    for _code, group in outside:
        wanted.update(group["organisations"][:NAMES_SHOWN])
    names = _organisation_names(wanted)
    filieres = _filiere_names({code for code, _group in outside}
                              | {c for o in opportunities for c in o.get("filieres", [])})
    kinds = dict(LinkKind.choices)
    return {
        **{key: result.get(key, 0) for key in COOPERATION_FIGURES},
        "linked_share": Ratio.of(result.get("linked_share")),
        "density": Ratio.of(result.get("density")),
        "links_chart": links_chart(result.get("links_by_kind") or {}),
        "isolated_names": [names.get(i, f"#{i}") for i in isolated[:NAMES_SHOWN]],
        "isolated_more": max(len(isolated) - NAMES_SHOWN, 0),
        "opportunities": [{
            "names": o.get("names") or [f"#{i}" for i in o["organisations"]],
            "members": o.get("members", 0),
            "filieres": [filieres.get(c, c) for c in o.get("filieres", [])],
            "suggested_kind": kinds.get(o.get("suggested_kind"), o.get("suggested_kind")),
        } for o in opportunities],
        "outside_unions": sorted(({
            "filiere": filieres.get(code, code), "count": group["count"],
            "names": [names.get(i, f"#{i}") for i in group["organisations"][:NAMES_SHOWN]],
            "more": max(len(group["organisations"]) - NAMES_SHOWN, 0),
        } for code, group in outside), key=lambda row: _sort_key(row["filiere"])),
    }


def _sort_key(text: str) -> str:
    """Alphabetical order as readers expect it: "Élevage" between "Eau" and "Forêt"."""
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().casefold()


def links_chart(by_kind: dict[str, int]) -> SafeString:
    rows = [(str(label), (int(by_kind.get(kind, 0)),)) for kind, label in LinkKind.choices]
    return bar_columns(rows, [(_("Counted links"), "c-links")],
                       label=_("Counted links by kind"))


def _organisation_names(ids: Iterable[int]) -> dict[int, str]:
    ids = set(ids)
    if not ids:
        return {}
    return dict(Organisation.objects.filter(id__in=ids).order_by().values_list("id", "name"))


def _filiere_names(codes: set[str]) -> dict[str, str]:
    if not codes:
        return {}
    return {f.code: f.name for f in Filiere.objects.filter(code__in=codes)
            .only("code", "name_fr", "name_en")}


# Territory and its filters ----------------------------------------------------------------

class Place(NamedTuple):
    """A commune with its department and region, names in the active language."""

    pcode: str
    name: str
    department: str
    department_name: str
    region: str
    region_name: str


@dataclass
class Territory:
    """Every commune (no boundary) with its department and region, and the GET filter."""

    communes: list[Place]
    regions: list[tuple[str, str]]
    departments: list[tuple[str, str]]
    region: str = ""
    department: str = ""

    @property
    def selected(self) -> list[Place]:
        if self.department:
            return [c for c in self.communes if c.department == self.department]
        if self.region:
            return [c for c in self.communes if c.region == self.region]
        return self.communes


def _name(french: str, english: str, lang: str) -> str:
    """NamedPlace.name without instances: English when asked for and known, else French."""
    return english if lang == "en" and english else french


def territory(params=None) -> Territory:
    """The country's communes in one query, filtered by `region` / `department` GET values.

    Unknown values are ignored; a department outside the chosen region is dropped. Plain
    tuples rather than model instances: the national pages list every commune."""
    lang = get_language()
    rows = Commune.objects.order_by("department__region__pcode", "department__pcode",
                                    "pcode").values_list(
        "pcode", "name_fr", "name_en", "department__pcode", "department__name_fr",
        "department__name_en", "department__region__pcode", "department__region__name_fr",
        "department__region__name_en")
    communes = [Place(r[0], _name(r[1], r[2], lang), r[3], _name(r[4], r[5], lang), r[6],
                      _name(r[7], r[8], lang)) for r in rows]
    regions = {c.region: c.region_name for c in communes}
    params = params or {}
    region = params.get("region", "") if params.get("region") in regions else ""
    departments = {c.department: c.department_name for c in communes
                   if not region or c.region == region}
    department = params.get("department", "")
    if department not in departments:
        department = ""
    return Territory(communes=communes, regions=list(regions.items()),
                     departments=list(departments.items()), region=region,
                     department=department)


def _percent(ratio: "Ratio | None", decimals: int = 0) -> str:
    return f"{number_format(ratio.percent, decimals)} %" if ratio else "–"


def _table_rows(places: list[Place], cells: dict[str, str], href: str) -> SafeString:
    """`<tr>` rows: a commune link then its pre-rendered cells.

    Built in Python, not in the template: a national table has 360 rows of a dozen cells,
    which Django templates render ten times slower (P7: pages < 200 ms)."""
    return mark_safe("".join(  # noqa: S308 - names escaped, cells built from numbers
        f'<tr><th scope="row"><a href="{href}{p.pcode}/">{escape(p.name)}</a></th>'
        f"{cells[p.pcode]}</tr>" for p in places if p.pcode in cells))


def _num(value) -> str:
    return f'<td class="num">{int(value or 0)}</td>'


# National convergence ---------------------------------------------------------------------

def _shared(key: str, compute):
    """`compute()`, computed by one of the server's processes and read by the others from
    the cache (each worker parsing a national run itself costs a cold request of every worker
    a few hundred milliseconds). The value depends on its key only; the reference stamp keeps
    entries from outliving a restore (run ids may then come back with other results)."""
    return freshness.cached(f"reports:{SHARED_VERSION}:{key}", [], compute)


def _stored_result(run_id: int) -> dict:
    return ReportRun.objects.filter(pk=run_id).values_list("result", flat=True).get() or {}


@lru_cache(maxsize=4)
def _national_convergence(run_id: int) -> dict:
    """Scores, matrix cells (language-neutral) and totals of a national run, parsed once."""
    return _shared(f"national-convergence:{run_id}", lambda: _shape_convergence(run_id))


def _shape_convergence(run_id: int) -> dict:
    result = _stored_result(run_id)
    acronyms = list(result.get("ministries") or [])
    states, scores, unmet = {}, {}, {}
    for pcode, report in (result.get("communes") or {}).items():
        cells = report.get("ministries") or {}
        states[pcode] = "".join(
            f'<td class="st {s}">{STATE_SYMBOLS[s]}</td>'
            for s in (cells.get(a, {}).get("state", "absent") for a in acronyms))
        scores[pcode] = Ratio.of(report.get("score"))
        unmet[pcode] = len(report.get("unmet_needs") or [])
    return {"ministries": acronyms, "states": states, "scores": scores, "unmet": unmet,
            "departments": result.get("departments") or {},
            "regions": result.get("regions") or {}, "country": result.get("country") or {}}


@lru_cache(maxsize=8)
def _convergence_cells(run_id: int, lang: str) -> dict[str, str]:
    """Each commune's matrix cells, score and unmet needs as HTML, per language."""
    data = _national_convergence(run_id)
    return {pcode: f'{cells}<td class="num">{_percent(data["scores"][pcode])}</td>'
                   f'{_num(data["unmet"][pcode])}'
            for pcode, cells in data["states"].items()}


def national_convergence_page(run: ReportRun, place: Territory) -> dict:
    """The communes × ministries matrix of the selected communes and the matching totals."""
    data = _national_convergence(run.pk)
    selected = [p for p in place.selected if p.pcode in data["states"]]
    href = reverse("reports:convergence_commune", args=["PCODE"]).replace("PCODE/", "")
    totals = _total_rows(data, place)
    return {"ministries": data["ministries"], "count": len(selected),
            "rows": _table_rows(selected, _convergence_cells(run.pk, get_language()), href),
            "totals": totals, "focus": totals[0],
            "ministry_totals": _ministry_totals(totals[0]["data"], data)}


def _total_rows(data: dict, place: Territory) -> list[dict]:
    """The totals a filtered matrix needs: the chosen level first, then around it."""
    regions = {c.region: c.region_name for c in place.communes}
    departments = dict(place.departments)

    def row(level: str, pcode: str, name: str, totals: dict) -> dict:
        return {"level": level, "pcode": pcode, "name": name, "data": totals,
                "communes": totals.get("communes", 0), "score": Ratio.of(totals.get("score")),
                "states": [totals.get("states", {}).get(s, 0) for s in STATES],
                "unmet_needs": totals.get("unmet_needs", 0)}

    country = row("country", "", _("Cameroon"), data["country"])
    if place.department:
        region = place.department[:5]
        return [row("department", place.department, departments.get(place.department, ""),
                    data["departments"].get(place.department, {})),
                row("region", region, regions.get(region, region),
                    data["regions"].get(region, {})), country]
    if place.region:
        return [row("region", place.region, regions.get(place.region, ""),
                    data["regions"].get(place.region, {}))] + [
            row("department", p, n, data["departments"].get(p, {}))
            for p, n in place.departments] + [country]
    return [country] + [row("region", p, n, data["regions"].get(p, {}))
                        for p, n in place.regions]


def _ministry_totals(totals: dict, data: dict) -> list[dict]:
    ministries = _ministry_names()
    out = []
    for acronym in data["ministries"]:
        cell = (totals.get("ministries") or {}).get(acronym) or {}
        states = cell.get("states") or {}
        out.append({"acronym": acronym, "name": ministries.get(acronym, acronym),
                    "figures": [cell.get(f, 0) for f in FIGURES],
                    "states": [states.get(s, 0) for s in STATES]})
    return out


# National cooperation ---------------------------------------------------------------------

@lru_cache(maxsize=4)
def _national_cooperation(run_id: int) -> dict:
    """Per-commune figures and the national graph figures of a national run, parsed once."""
    return _shared(f"national-cooperation:{run_id}", lambda: _shape_cooperation(run_id))


def _shape_cooperation(run_id: int) -> dict:
    result = _stored_result(run_id)
    communes = {}
    for pcode, report in (result.get("communes") or {}).items():
        communes[pcode] = {key: report.get(key, 0) for key in COOPERATION_FIGURES}
        communes[pcode]["linked_share"] = Ratio.of(report.get("linked_share"))
        communes[pcode]["density"] = Ratio.of(report.get("density"))
    national = {key: result.get(key, 0) for key in (
        "active_organisations", "links", "pairs", "components", "largest_component",
        "isolated")}
    national["density"] = Ratio.of(result.get("density"))
    national["links_by_kind"] = result.get("links_by_kind") or {}
    return {"communes": communes, "national": national}


@lru_cache(maxsize=8)
def _cooperation_cells(run_id: int, lang: str) -> dict[str, str]:
    return {pcode: (f'{_num(r["active_organisations"])}'
                    f'<td class="num">{_percent(r["linked_share"])}</td>'
                    f'<td class="num">{_percent(r["density"], 1)}</td>'
                    + "".join(_num(r[key]) for key in (
                        "components", "largest_component", "isolated", "links",
                        "cross_commune", "cross_filiere")))
            for pcode, r in _national_cooperation(run_id)["communes"].items()}


def national_cooperation_page(run: ReportRun, place: Territory) -> dict:
    """Cooperation figures of the selected communes and the country's graph figures."""
    data = _national_cooperation(run.pk)
    selected = [p for p in place.selected if p.pcode in data["communes"]]
    href = reverse("reports:cooperation_commune", args=["PCODE"]).replace("PCODE/", "")
    return {"count": len(selected), "national": data["national"],
            "rows": _table_rows(selected, _cooperation_cells(run.pk, get_language()), href),
            "links_chart": links_chart(data["national"]["links_by_kind"])}


# The map ----------------------------------------------------------------------------------

def commune_shapes() -> Shapes:
    """Projected outlines of every commune with a boundary, projected once for all processes
    (shared cache) and kept in each.

    Boundaries are reference data: the cache is keyed on how many communes have one and the
    highest id, so an import of new communes is seen; a reimport that only redraws existing
    boundaries needs a restart (or `forget_cached`)."""
    key = Commune.objects.filter(boundary__isnull=False).aggregate(n=Count("id"), last=Max("id"))
    return _shapes(key["n"], key["last"])


@lru_cache(maxsize=2)
def _shapes(count: int, last_id: int | None) -> Shapes:
    return _shared(f"shapes:{count}:{last_id}", _project_shapes)


def _project_shapes() -> Shapes:
    boundaries = Commune.objects.filter(boundary__isnull=False).values_list("pcode", "boundary")
    return project_boundaries(dict(boundaries.iterator(chunk_size=100)))


def forget_cached() -> None:
    """Drop the per-process caches and retire the shared ones (tests; after a boundary
    reimport in a shell)."""
    freshness.renew_all()
    _shapes.cache_clear()
    for cached in (_national_convergence, _national_cooperation, _convergence_cells,
                   _cooperation_cells):
        cached.cache_clear()


def _map_ratios(kind: str, run: ReportRun | None) -> dict[str, Ratio | None]:
    if run is None:
        return {}
    if kind == ReportRun.Kind.CONVERGENCE:
        return _national_convergence(run.pk)["scores"]
    return {p: row["linked_share"] for p, row in _national_cooperation(run.pk)["communes"].items()}


def national_map(kind: str, run: ReportRun | None, place: Territory, *,
                 link_reports: bool) -> dict:
    """The choropleth of every commune by convergence score or linked share, with its legend.

    Bands: `b0`..`b4` (fifths of 0-100 %), `bx` no ratio (no needs or no active
    organisation), `bn` not in the run (not computed)."""
    ratios = _map_ratios(kind, run)
    shapes = commune_shapes()
    href = _href_pattern(kind, link_reports)
    counts = dict.fromkeys([f"b{i}" for i in range(MAP_BANDS)] + ["bx", "bn"], 0)
    areas = []
    for commune in place.communes:
        css, value = _band(commune.pcode, ratios)
        if commune.pcode in shapes.paths:
            counts[css] += 1
        areas.append(MapArea(commune.pcode, css, f"{commune.name}: {value}",
                             href.replace("PCODE", commune.pcode)))
    label = _("Communes by convergence score") if kind == ReportRun.Kind.CONVERGENCE else _(
        "Communes by share of linked organisations")
    return {"svg": choropleth(shapes, areas, label=label), "label": label,
            "legend": _legend(counts), "drawn": len(shapes.paths),
            "summary": _map_summary(kind, run)}


def _map_summary(kind: str, run: ReportRun | None) -> list[tuple[str, str]]:
    """The country's headline figures for the public map (aggregates only)."""
    if run is None:
        return []
    if kind == ReportRun.Kind.CONVERGENCE:
        country = _national_convergence(run.pk)["country"]
        score = Ratio.of(country.get("score"))
        return [
            (_("convergence score of the country"),
             f"{number_format(score.percent, 0)} %" if score else "–"),
            (_("communes"), number_format(country.get("communes", 0))),
            (_("unmet priority needs"), number_format(country.get("unmet_needs", 0))),
        ]
    national = _national_cooperation(run.pk)["national"]
    density = national["density"]
    return [
        (_("active organisations"), number_format(national["active_organisations"])),
        (_("counted links"), number_format(national["links"])),
        (_("density"), f"{number_format(density.percent, 3)} %" if density else "–"),
        (_("isolated organisations"), number_format(national["isolated"])),
    ]


def _band(pcode: str, ratios: dict) -> tuple[str, str]:
    if pcode not in ratios:
        return "bn", _("not computed yet")
    ratio = ratios[pcode]
    if ratio is None:
        return "bx", _("no ratio")
    return f"b{ratio.band()}", f"{number_format(ratio.percent, 0)} % ({ratio.num}/{ratio.den})"


def _href_pattern(kind: str, link_reports: bool) -> str:
    if link_reports:
        name = ("reports:convergence_commune" if kind == ReportRun.Kind.CONVERGENCE
                else "reports:cooperation_commune")
        return reverse(name, args=["PCODE"])
    return reverse("commune_public", args=["PCODE"])


def _legend(counts: dict[str, int]) -> list[tuple[str, str, int]]:
    step = 100 // MAP_BANDS
    legend = [(f"b{i}", f"{i * step}–{(i + 1) * step} %", counts[f"b{i}"])
              for i in range(MAP_BANDS)]
    legend.append(("bx", _("no ratio (nothing to divide by)"), counts["bx"]))
    legend.append(("bn", _("not computed yet"), counts["bn"]))
    return legend


def state_legend() -> list[tuple[str, str, str, str]]:
    return [(s, STATE_LABELS[s], STATE_SYMBOLS[s], STATE_HELP[s]) for s in STATES]
