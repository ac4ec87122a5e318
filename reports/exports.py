"""Report exports: the latest done run of a report flattened into a table with its provenance
block, written by the registry's CSV and XLSX writers (cooperatives.exports)."""

from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from cooperatives.exports import Table, provenance
from cooperatives.permissions import get_commune_for_user

from .models import ReportRun
from .reads import reads_country
from .runs import latest_done


def report_table(user, kind: str, *, pcode: str | None = None, year: int | None = None) -> Table:
    """The latest done run of a report (a commune's, or the national one) as a table.
    Out of scope or unknown: Http404.

    Convergence: one row per ministry (per commune and ministry for the national run), with
    the figures and the state. Cooperation: for a commune, one row per figure; nationally,
    one row per commune and one for the country. Ratios are decimals; lists of ids are
    joined with spaces; lists of objects (opportunities, unmet needs) give their count."""
    if kind not in ReportRun.Kind.values:
        raise Http404
    commune = None
    if pcode:
        commune = get_commune_for_user(user, pcode, need="reports")
    elif not reads_country(user):
        raise Http404
    run = latest_done(kind, commune=commune, year=year)
    label = ReportRun.Kind(kind).label
    place = f"{commune.name} ({commune.pcode})" if commune else _("national")
    filters = {"kind": kind, "commune": pcode or "national", **({"year": year} if year else {})}
    if run is None:
        return Table(title=str(label), columns=[], rows=[], provenance=provenance(
            user, dataset=f"{label} · {place}", filters=filters,
            extra=[(_("Run"), _("No report has been computed yet."))]))
    columns, rows = _flatten_run(kind, run.result or {}, national=commune is None)
    extra = [(_("Year"), str(run.year)),
             (_("Computed at"), timezone.localtime(run.finished_at).strftime("%Y-%m-%d %H:%M")),
             (_("Run"), f"#{run.pk}")]
    return Table(title=str(label), columns=columns, rows=rows, provenance=provenance(
        user, dataset=f"{label} · {place}", filters=filters, extra=extra))


def flatten(data: dict, prefix: str = "") -> dict:
    """Nested JSON as one level of dotted keys."""
    out = {}
    for key, value in data.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and set(value) == {"num", "den"}:
            out[name] = round(value["num"] / value["den"], 4) if value["den"] else None
        elif isinstance(value, dict):
            out.update(flatten(value, f"{name}."))
        elif isinstance(value, list):
            scalars = all(not isinstance(v, dict | list) for v in value)
            out[name] = " ".join(str(v) for v in value) if scalars else len(value)
        else:
            out[name] = value
    return out


def _flatten_run(kind: str, result: dict, *, national: bool) -> tuple[list[str], list[list]]:
    if kind == ReportRun.Kind.CONVERGENCE:
        communes = result.get("communes", {}) if national else {result.get("commune"): result}
        records = [{"commune": pcode, "ministry": acronym, **flatten(cell)}
                   for pcode, report in communes.items()
                   for acronym, cell in report.get("ministries", {}).items()]
        return _as_rows(records)
    if not national:
        return [_("Figure"), _("Value")], [[k, v] for k, v in flatten(result).items()]
    country = {k: v for k, v in result.items() if k != "communes"}
    records = [{"commune": "national", **flatten(country)}]
    records += [{"commune": pcode, **flatten(report)}
                for pcode, report in result.get("communes", {}).items()]
    return _as_rows(records)


def _as_rows(records: list[dict]) -> tuple[list[str], list[list]]:
    columns: dict[str, None] = {}
    for record in records:
        columns.update(dict.fromkeys(record))
    return list(columns), [[record.get(c) for c in columns] for record in records]
