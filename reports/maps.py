"""The public map: every commune coloured by convergence score or linked share, its legend
and the country's headline figures. Projected outlines are kept like national results."""

from functools import lru_cache

from django.db.models import Count, Max
from django.urls import reverse
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from communes.models import Commune
from cooperatives import freshness

from . import convergence_presenter, cooperation_presenter
from .charts import MapArea, Shapes, choropleth, project_boundaries
from .models import ReportRun
from .reads import shared
from .shaping import MAP_BANDS, Ratio
from .territory import Territory


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
    return shared(f"shapes:{count}:{last_id}", _project_shapes)


def _project_shapes() -> Shapes:
    boundaries = Commune.objects.filter(boundary__isnull=False).values_list("pcode", "boundary")
    return project_boundaries(dict(boundaries.iterator(chunk_size=100)))


def forget_cached() -> None:
    """Drop the per-process caches and retire the shared ones (tests; after a boundary
    reimport in a shell)."""
    freshness.renew_all()
    forget_in_process()


def forget_in_process() -> None:
    """Drop what this process keeps (outlines, shaped national runs); the shared cache stays,
    as for a newly started process."""
    _shapes.cache_clear()
    convergence_presenter.forget_in_process()
    cooperation_presenter.forget_in_process()


def _map_ratios(kind: str, run: ReportRun | None) -> dict[str, Ratio | None]:
    if run is None:
        return {}
    if kind == ReportRun.Kind.CONVERGENCE:
        return convergence_presenter.national_convergence(run.pk)["scores"]
    communes = cooperation_presenter.national_cooperation(run.pk)["communes"]
    return {p: row["linked_share"] for p, row in communes.items()}


def map_page(kind: str, run: ReportRun | None, place: Territory, *,
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
        css, value = _band(commune.pcode, ratios, kind)
        if commune.pcode in shapes.paths:
            counts[css] += 1
        areas.append(MapArea(commune.pcode, css, f"{commune.name}: {value}",
                             href.replace("PCODE", commune.pcode)))
    label = _("Communes by convergence score") if kind == ReportRun.Kind.CONVERGENCE else _(
        "Communes by share of linked organisations")
    return {"svg": choropleth(shapes, areas, label=label), "label": label,
            "legend": _legend(counts, kind), "drawn": len(shapes.paths),
            "summary": _map_summary(kind, run)}


def _map_summary(kind: str, run: ReportRun | None) -> list[tuple[str, str]]:
    """The country's headline figures for the public map (aggregates only)."""
    if run is None:
        return []
    if kind == ReportRun.Kind.CONVERGENCE:
        country = convergence_presenter.national_convergence(run.pk)["country"]
        score = Ratio.of(country.get("score"))
        return [
            (_("convergence score of the country"),
             f"{number_format(score.percent, 0)} %" if score else "–"),
            (_("communes"), number_format(country.get("communes", 0))),
            (_("unmet priority needs"), number_format(country.get("unmet_needs", 0))),
        ]
    national = cooperation_presenter.national_cooperation(run.pk)["national"]
    density = national["density"]
    return [
        (_("active organisations"), number_format(national["active_organisations"])),
        (_("counted links"), number_format(national["links"])),
        (_("density"), f"{number_format(density.percent, 3)} %" if density else "–"),
        (_("isolated organisations"), number_format(national["isolated"])),
    ]


def _no_ratio(kind: str) -> str:
    """Why a commune has no ratio, in the words of its report."""
    if kind == ReportRun.Kind.CONVERGENCE:
        return _("no ministry concerned by a need yet (no validated diagnostic, or one "
                 "without needs)")
    return _("no active organisation yet")


def _band(pcode: str, ratios: dict, kind: str) -> tuple[str, str]:
    if pcode not in ratios:
        return "bn", _("report not computed yet")
    ratio = ratios[pcode]
    if ratio is None:
        return "bx", _no_ratio(kind)
    return f"b{ratio.band()}", f"{number_format(ratio.percent, 0)} % ({ratio.num}/{ratio.den})"


def _href_pattern(kind: str, link_reports: bool) -> str:
    if link_reports:
        name = ("reports:convergence_commune" if kind == ReportRun.Kind.CONVERGENCE
                else "reports:cooperation_commune")
        return reverse(name, args=["PCODE"])
    return reverse("commune_public", args=["PCODE"])


def _legend(counts: dict[str, int], kind: str) -> list[tuple[str, str, int]]:
    """(CSS class, plain words, communes drawn) per colour: the bands say what share of what
    they are, then the communes without a ratio and those not computed."""
    step = 100 // MAP_BANDS
    if kind == ReportRun.Kind.CONVERGENCE:
        band = _("%(low)s to %(high)s %% of the ministries with needs converge")
    else:
        band = _("%(low)s to %(high)s %% of the active organisations have a link")
    legend = [(f"b{i}", band % {"low": i * step, "high": (i + 1) * step}, counts[f"b{i}"])
              for i in range(MAP_BANDS)]
    legend.append(("bx", _no_ratio(kind), counts["bx"]))
    legend.append(("bn", _("report not computed yet for this commune"), counts["bn"]))
    return legend

