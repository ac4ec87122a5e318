"""The convergence report shaped for its pages: a commune's ministries and states, the
national communes × ministries matrix with its totals, and the state legend."""

from functools import lru_cache

from django.urls import reverse
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from sectors.models import Ministry, Sector

from .charts import bar_columns
from .models import ReportRun
from .reads import shared, stored_result
from .shaping import Ratio, Sort, num_cell, percent_text, split_by_data, table_rows
from .territory import Territory

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
# What a CTD agent can do about a ministry in each state (the commune page's cards).
STATE_ACTIONS = {
    "converging": "",
    "unmet": gettext_lazy("No organisation works in these sectors: the unmet needs below name "
                          "the nearest communes that have one."),
    "unsupported": gettext_lazy("Organisations are there but no intervention: point the "
                                "ministry to them."),
    "unplanned": gettext_lazy("Activity without a need in the diagnostic: check whether the "
                              "diagnostic misses one."),
    "absent": "",
}
# One line on what each figure of a ministry row counts (commune and national pages).
FIGURE_MEANINGS = (
    (gettext_lazy("Organisations"), gettext_lazy("active organisations with a filière of "
                                                 "the ministry's sectors")),
    (gettext_lazy("Members"), gettext_lazy("their members; women and under 35 among them")),
    (gettext_lazy("Needs"), gettext_lazy("needs of the diagnostic in the ministry's sectors; "
                                         "priority needs are those ranked 1 to 3")),
    (gettext_lazy("Interventions"), gettext_lazy("the ministry's interventions running in the "
                                                 "year")),
    (gettext_lazy("Beneficiaries"), gettext_lazy("distinct organisations these interventions "
                                                 "reach")),
    (gettext_lazy("Programmes"), gettext_lazy("the ministry's support programmes running in "
                                              "the year that cover the commune")),
    (gettext_lazy("Enrolled"), gettext_lazy("distinct organisations of the commune enrolled "
                                            "in them during the year")),
)
# Colour is never the only cue: each state also has a symbol (legend on every page).
STATE_SYMBOLS = {"converging": "●", "unmet": "✕", "unsupported": "◐", "unplanned": "○",
                 "absent": ""}
FIGURES = ("organisations", "members", "women", "youth", "needs", "priority_needs",
           "interventions", "beneficiaries", "programmes", "enrolled")


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
        "states": [{"code": s, "label": STATE_LABELS[s], "symbol": STATE_SYMBOLS[s],
                    "count": result.get("states", {}).get(s, 0), "help": STATE_HELP[s],
                    "action": STATE_ACTIONS[s]} for s in STATES],
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


# National convergence ---------------------------------------------------------------------

@lru_cache(maxsize=4)
def national_convergence(run_id: int) -> dict:
    """Scores, matrix cells (language-neutral) and totals of a national run, parsed once."""
    return shared(f"national-convergence:{run_id}", lambda: _shape_convergence(run_id))


def _shape_convergence(run_id: int) -> dict:
    result = stored_result(run_id)
    acronyms = list(result.get("ministries") or [])
    states, scores, unmet, with_data = {}, {}, {}, []
    by_ministry = {a: {} for a in acronyms}  # acronym -> state -> communes, for ?ministry=
    for pcode, report in (result.get("communes") or {}).items():
        cells = report.get("ministries") or {}
        codes = [cells.get(a, {}).get("state", "absent") for a in acronyms]
        for acronym, code in zip(acronyms, codes, strict=True):
            by_ministry[acronym].setdefault(code, []).append(pcode)
        states[pcode] = "".join(f'<td class="st {s}">{STATE_SYMBOLS[s]}</td>' for s in codes)
        scores[pcode] = Ratio.of(report.get("score"))
        unmet[pcode] = len(report.get("unmet_needs") or [])
        if any(s != "absent" for s in codes):
            with_data.append(pcode)
    return {"ministries": acronyms, "states": states, "scores": scores, "unmet": unmet,
            "with_data": with_data, "by_ministry": by_ministry,
            "departments": result.get("departments") or {},
            "regions": result.get("regions") or {}, "country": result.get("country") or {}}


@lru_cache(maxsize=8)
def _convergence_cells(run_id: int, lang: str) -> dict[str, str]:
    """Each commune's matrix cells, score and unmet needs as HTML, per language."""
    data = national_convergence(run_id)
    return {pcode: f'{cells}<td class="num">{percent_text(data["scores"][pcode])}</td>'
                   f'{num_cell(data["unmet"][pcode])}'
            for pcode, cells in data["states"].items()}


SORTS = ("score",)


def national_convergence_page(run: ReportRun, place: Territory, sort: Sort | None,
                              ministry: str = "") -> dict:
    """The communes × ministries matrix of the selected communes and the matching totals.

    Communes with data (a ministry with needs, organisations or interventions) come first,
    in the territory's order or by `sort`; the others (`rows_without`) after, in the
    territory's order. `ministry` (an acronym of the report; anything else is ignored) adds
    that ministry's own view: its figures and the selected communes where it is unsupported
    (needs and organisations, no intervention) or unmet (needs, no organisation)."""
    data = national_convergence(run.pk)
    selected = [p for p in place.selected if p.pcode in data["states"]]
    href = reverse("reports:convergence_commune", args=["PCODE"]).replace("PCODE/", "")
    totals = _total_rows(data, place)
    cells = _convergence_cells(run.pk, get_language())
    present, absent = split_by_data(selected, set(data["with_data"]))
    if sort:
        present = sort.order(present, data["scores"])
    return {"ministries": data["ministries"], "count": len(selected),
            "count_with": len(present), "count_without": len(absent),
            "rows": table_rows(present, cells, href),
            "rows_without": table_rows(absent, cells, href),
            "totals": totals, "focus": totals[0],
            "ministry_totals": _ministry_totals(totals[0]["data"], data, ministry),
            "ministry_focus": _ministry_focus(data, selected, ministry)}


def _ministry_focus(data: dict, selected: list, ministry: str) -> dict | None:
    if ministry not in data["ministries"]:
        return None
    names = {c.pcode: c.name for c in selected}
    cells = data["by_ministry"][ministry]

    def communes(state: str) -> list[dict]:
        return sorted(({"pcode": p, "name": names[p]} for p in cells.get(state, ())
                       if p in names), key=lambda c: c["name"])

    return {"acronym": ministry, "name": _ministry_names().get(ministry, ministry),
            "unsupported": communes("unsupported"), "unmet": communes("unmet"),
            "converging": len([p for p in cells.get("converging", ()) if p in names])}


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


def _ministry_totals(totals: dict, data: dict, selected: str = "") -> list[dict]:
    ministries = _ministry_names()
    out = []
    for acronym in data["ministries"]:
        cell = (totals.get("ministries") or {}).get(acronym) or {}
        states = cell.get("states") or {}
        out.append({"acronym": acronym, "name": ministries.get(acronym, acronym),
                    "figures": [cell.get(f, 0) for f in FIGURES],
                    "states": [states.get(s, 0) for s in STATES],
                    "selected": acronym == selected})
    return out


def state_legend() -> list[tuple[str, str, str, str]]:
    return [(s, STATE_LABELS[s], STATE_SYMBOLS[s], STATE_HELP[s]) for s in STATES]


def forget_in_process() -> None:
    """Drop the national runs this process has shaped (the shared cache keeps them)."""
    for cached in (national_convergence, _convergence_cells):
        cached.cache_clear()
