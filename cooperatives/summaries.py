"""Summary rows behind the national aggregates: cold national figures without a national scan.

`selectors.organisation_aggregates` counts organisations per unit and group in one grouped
query; over the whole country that query reads every organisation (about a second at national
size), and any write retires the cached answer. Here each commune's rows of that same
computation are kept in `AggregateSummary`, and a national, regional or departmental answer
sums them (a few thousand rows).

Kept current in three steps, without a lost update:

1. Every write that renews the figures' freshness stamps (cooperatives.freshness.renew, called
   by the signals on organisations, their filières and bulk writes, inside the writing
   transaction) marks its communes dirty: `AggregateDirty` version + 1, committed or rolled
   back with the write itself. A change of the reference data (a filière moving to another
   sector) and `renew_all` (generator, restore) mark every commune.
2. A reader first refreshes the dirty communes it needs: it locks their marks (skipping the
   ones a writing transaction holds), recomputes those communes with
   `organisation_aggregates` itself (one query per grouping for all of them), replaces their
   rows and deletes the marks, in one transaction. A writer that committed after the
   recomputation's read re-marks the commune (its upsert waited for the lock).
3. A dirty commune the reader could not lock (a write in progress, or another reader
   refreshing it) is counted live for this answer (the same function, on that commune only).

After one edit, the next national answer recomputes one commune and sums the rest.

Two more groupings are kept for the reports, not offered by the API: the active
organisations' figures per ministry and per sector (`ACTIVE`), what convergence counts in a
commune's cells and where it looks for a sector's organisations (`commune_figures`).
"""

from collections.abc import Iterable

from django.db import connection, transaction
from django.db.models import Sum
from django.utils.translation import get_language

from communes.models import Commune, Department, Region
from core.replica import primary_reads
from sectors.models import Filiere, Ministry, Sector

from .models import AggregateDirty, AggregateSummary, Organisation, OrganisationStatus
from .selectors import (
    _CHOICES,
    _TAXONOMY_PATH,
    _UNIT_PATH,
    FIGURES,
    GROUPINGS,
    _sort_key,
    organisation_aggregates,
)

_UPSERT = ("INSERT INTO {dirty} (commune_id, version) SELECT id, 1 FROM {commune} WHERE {where} "
           "ON CONFLICT (commune_id) DO UPDATE SET version = {dirty}.version + 1")


# Summary groupings of the active organisations only (read by the reports): name -> grouping.
ACTIVE = {"active_ministry": "ministry", "active_sector": "sector"}
SUMMARY_GROUPINGS = (*GROUPINGS, *ACTIVE)


def _mark(where: str, params: list) -> None:
    sql = _UPSERT.format(dirty=AggregateDirty._meta.db_table,
                         commune=Commune._meta.db_table, where=where)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def mark_pcodes(pcodes: Iterable[str]) -> None:
    """Mark these communes' summaries out of date, in the current transaction."""
    pcodes = sorted(set(pcodes))
    if pcodes:
        _mark(f"pcode IN ({', '.join(['%s'] * len(pcodes))})", pcodes)


def mark_all() -> None:
    """Mark every commune out of date (reference data changed, bulk load, restore)."""
    _mark("1 = 1", [])


def refresh(commune_ids: Iterable[int] | None = None) -> set[int]:
    """Recompute the dirty communes among `commune_ids` (every dirty one for None); returns
    the dirty communes left to count live (their marks were locked by another transaction)."""
    dirty = AggregateDirty.objects.all()
    if commune_ids is not None:
        dirty = dirty.filter(commune_id__in=list(commune_ids))
    wanted = set(dirty.values_list("commune_id", flat=True))
    if not wanted:
        return set()
    with transaction.atomic():
        claimed = set(dirty.filter(commune_id__in=wanted).select_for_update(skip_locked=True)
                      .values_list("commune_id", flat=True))
        if claimed:
            _recompute(claimed)
            AggregateDirty.objects.filter(commune_id__in=claimed).delete()
    return wanted - claimed


def _recompute(commune_ids: set[int]) -> None:
    ids = {pcode: pk for pk, pcode in
           Commune.objects.filter(pk__in=commune_ids).values_list("pk", "pcode")}
    organisations = Organisation.objects.filter(commune_id__in=commune_ids)
    rows = [AggregateSummary(commune_id=ids[row["pcode"]], by=by, group=row["group"],
                             **{figure: row[figure] for figure in FIGURES})
            for by in SUMMARY_GROUPINGS for row in _counted(organisations, by)]
    AggregateSummary.objects.filter(commune_id__in=commune_ids).delete()
    AggregateSummary.objects.bulk_create(rows, batch_size=2000)


def _counted(organisations, by: str) -> list[dict]:
    """A summary grouping's rows per commune, as the selector counts them."""
    if by in ACTIVE:
        organisations, by = organisations.filter(status=OrganisationStatus.ACTIVE), ACTIVE[by]
    return organisation_aggregates(organisations, level="commune", by=by)


def commune_figures(bys: Iterable[str], commune_ids: Iterable[int] | None = None
                    ) -> dict[str, dict[tuple[int, str], tuple[int, int, int, int]]]:
    """For each summary grouping of `bys` (`SUMMARY_GROUPINGS`): (commune id, group) ->
    (organisations, members, women, youth), for these communes (None: every one), current:
    the dirty communes are refreshed first, and those a writing transaction holds counted
    live. Two queries when no commune is dirty."""
    bys = tuple(bys)
    ids = None if commune_ids is None else sorted(set(commune_ids))
    figures: dict[str, dict] = {by: {} for by in bys}
    with primary_reads():
        live = refresh(ids)
        summary = AggregateSummary.objects.filter(by__in=bys)
        if ids is not None:
            summary = summary.filter(commune_id__in=ids)
        if live:
            summary = summary.exclude(commune_id__in=live)
        for by, commune, group, *counts in summary.order_by().values_list(
                "by", "commune_id", "group", "organisations", "members", "women", "youth"):
            figures[by][(commune, group)] = tuple(counts)
        if live:
            pks = dict(Commune.objects.filter(pk__in=live).values_list("pcode", "pk"))
            for by in bys:
                for row in _counted(Organisation.objects.filter(commune_id__in=live), by):
                    figures[by][(pks[row["pcode"]], row["group"])] = (
                        row["organisations"], row["members"], row["women"], row["youth"])
    return figures


def summed_aggregates(*, commune_ids: set[int] | None, level: str, by: str) -> list[dict]:
    """What `organisation_aggregates(<the organisations of these communes>, level, by)` answers
    (every commune for None), from the summary rows: the same rows, names and order."""
    with primary_reads():  # the marks are locked and the rows rewritten on the primary
        live = refresh(commune_ids)
    summary = AggregateSummary.objects.filter(by=by)
    if commune_ids is not None:
        summary = summary.filter(commune_id__in=list(commune_ids))
    if live:
        summary = summary.exclude(commune_id__in=live)
    totals, names = _summed(summary, level)
    if live:  # counted as the selector counts them, then added to the summed rows
        for row in organisation_aggregates(Organisation.objects.filter(commune_id__in=live),
                                           level=level, by=by):
            found = totals.setdefault((row["pcode"], row["group"]), dict.fromkeys(FIGURES, 0))
            names.setdefault(row["pcode"], None)
            for figure in FIGURES:
                found[figure] += row[figure]
    missing = {pcode for pcode, found in names.items() if found is None}
    if missing:  # units only the live count found
        names.update(_unit_names(level, missing))
    return _shaped(totals, names, by)


def _summed(summary, level: str) -> tuple[dict[tuple, dict], dict[str, tuple[str, str]]]:
    """The summary rows' figures per (unit P-code, group), and the units' names. At the
    commune level each row is already a unit's: read as they are, without the join and the
    grouping that sum them per department or region (the national answer by commune, 6,786
    rows: 36 -> 7 ms)."""
    totals: dict[tuple, dict] = {}
    names: dict[str, tuple[str, str]] = {}
    unit = _UNIT_PATH[level]
    if level == "commune":
        for pcode, name_fr, name_en, group, *figures in summary.order_by().values_list(
                f"{unit}__pcode", f"{unit}__name_fr", f"{unit}__name_en", "group", *FIGURES):
            names[pcode] = (name_fr, name_en)
            totals[(pcode, group)] = dict(zip(FIGURES, figures, strict=True))
        return totals, names
    for row in (summary.values(f"{unit}__pcode", f"{unit}__name_fr", f"{unit}__name_en", "group")
                .annotate(**{figure: Sum(figure) for figure in FIGURES}).order_by()):
        pcode = row[f"{unit}__pcode"]
        names[pcode] = (row[f"{unit}__name_fr"], row[f"{unit}__name_en"])
        totals[(pcode, row["group"])] = {f: row[f] for f in FIGURES}
    return totals, names


def _shaped(totals: dict[tuple, dict], units: dict[str, tuple[str, str]], by: str) -> list[dict]:
    english = get_language() == "en"
    groups = _group_names(by)
    rows = []
    for (pcode, group), figures in totals.items():
        name_fr, name_en = units[pcode]
        rows.append({"pcode": pcode, "name": name_en if english and name_en else name_fr,
                     "group": group, "group_name": groups(group, english),
                     **{f: figures[f] or 0 for f in FIGURES}})
    return sorted(rows, key=_sort_key(by))


def _unit_names(level: str, pcodes: set[str]) -> dict[str, tuple[str, str]]:
    model = {"region": Region, "department": Department, "commune": Commune}[level]
    return {pcode: (fr, en) for pcode, fr, en in
            model.objects.filter(pcode__in=pcodes).values_list("pcode", "name_fr", "name_en")}


def _group_names(by: str):
    if by in _CHOICES:
        return lambda group, english: str(_CHOICES[by](group).label)
    model, code = {"ministry": (Ministry, "acronym"), "sector": (Sector, "code"),
                   "filiere": (Filiere, "code")}[by]
    assert _TAXONOMY_PATH[by][1] == code
    names = {c: (fr, en) for c, fr, en in model.objects.values_list(code, "name_fr", "name_en")}
    return lambda group, english: (names[group][1] if english and names[group][1]
                                   else names[group][0])
