"""The cooperation report shaped for its pages: a commune's figures, names and opportunities,
and the national table per commune with the country's graph figures."""

import unicodedata
from collections.abc import Iterable, Iterator
from functools import lru_cache

from django.urls import reverse
from django.utils.safestring import SafeString
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from cooperatives.models import LinkKind, Organisation
from sectors.models import Filiere

from .charts import bar_columns
from .models import ReportRun
from .reads import shared, stored_result
from .shaping import Ratio, Sort, num_cell, percent_text, split_by_data, table_rows
from .territory import Territory

NAMES_SHOWN = 200  # organisation names listed per list on a commune page


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

    def named(ids: Iterable[int]) -> list[dict]:
        return [{"id": i, "name": names.get(i, f"#{i}")} for i in ids]

    return {
        **{key: result.get(key, 0) for key in COOPERATION_FIGURES},
        "linked_share": Ratio.of(result.get("linked_share")),
        "density": Ratio.of(result.get("density")),
        "links_chart": links_chart(result.get("links_by_kind") or {}),
        "isolated_list": named(isolated[:NAMES_SHOWN]),
        "isolated_more": max(len(isolated) - NAMES_SHOWN, 0),
        "opportunities": [{
            "organisations": [
                {"id": i, "name": name} for i, name in zip(
                    o["organisations"],
                    o.get("names") or [f"#{i}" for i in o["organisations"]], strict=False)],
            "members": o.get("members", 0),
            "filieres": [filieres.get(c, c) for c in o.get("filieres", [])],
            "kind": o.get("suggested_kind"),
            "suggested_kind": kinds.get(o.get("suggested_kind"), o.get("suggested_kind")),
        } for o in opportunities],
        "outside_unions": sorted(({
            "filiere": filieres.get(code, code), "count": group["count"],
            "organisations": named(group["organisations"][:NAMES_SHOWN]),
            "more": max(len(group["organisations"]) - NAMES_SHOWN, 0),
        } for code, group in outside), key=lambda row: _sort_key(row["filiere"])),
    }


def named_organisations(page: dict) -> Iterator[dict]:
    """Every `{"id", "name"}` a shaped commune page shows, in page order (repeats kept)."""
    yield from page["isolated_list"]
    for pair in page["opportunities"]:
        yield from pair["organisations"]
    for row in page["outside_unions"]:
        yield from row["organisations"]


def organisation_ids_on_page(page: dict) -> set[int]:
    """Every organisation a shaped commune page names (for one permission query)."""
    return {o["id"] for o in named_organisations(page)}


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


# National cooperation ---------------------------------------------------------------------

@lru_cache(maxsize=4)
def national_cooperation(run_id: int) -> dict:
    """Per-commune figures and the national graph figures of a national run, parsed once."""
    return shared(f"national-cooperation:{run_id}", lambda: _shape_cooperation(run_id))


def _shape_cooperation(run_id: int) -> dict:
    result = stored_result(run_id)
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
    return {pcode: (f'{num_cell(r["active_organisations"])}'
                    f'<td class="num">{percent_text(r["linked_share"])}</td>'
                    f'<td class="num">{percent_text(r["density"], 1)}</td>'
                    + "".join(num_cell(r[key]) for key in (
                        "components", "largest_component", "isolated", "links",
                        "cross_commune", "cross_filiere")))
            for pcode, r in national_cooperation(run_id)["communes"].items()}


SORTS = ("linked_share", "density")


def national_cooperation_page(run: ReportRun, place: Territory, sort: Sort | None) -> dict:
    """Cooperation figures of the selected communes and the country's graph figures.

    Communes with data (an active organisation or a counted link) come first, in the
    territory's order or by `sort` (linked share or density); the others after."""
    data = national_cooperation(run.pk)
    communes = data["communes"]
    selected = [p for p in place.selected if p.pcode in communes]
    href = reverse("reports:cooperation_commune", args=["PCODE"]).replace("PCODE/", "")
    cells = _cooperation_cells(run.pk, get_language())
    present, absent = split_by_data(selected, {
        pcode for pcode, r in communes.items() if r["active_organisations"] or r["links"]})
    if sort:
        present = sort.order(present, {p: r[sort.column] for p, r in communes.items()})
    return {"count": len(selected), "national": data["national"],
            "count_with": len(present), "count_without": len(absent),
            "rows": table_rows(present, cells, href),
            "rows_without": table_rows(absent, cells, href),
            "links_chart": links_chart(data["national"]["links_by_kind"])}


def forget_in_process() -> None:
    """Drop the national runs this process has shaped (the shared cache keeps them)."""
    for cached in (national_cooperation, _cooperation_cells):
        cached.cache_clear()
