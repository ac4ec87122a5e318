"""A hand-written SQL baseline for P4: the per-commune figures of both reports, computed
directly with grouped SQL over the same tables, and the graph components with scipy.

It is what an analyst would write by hand, with no framework in the way: one temporary table
of counted links (with both ends' commune, status and a shared-filière flag), then one GROUP
BY per figure; the components come from scipy's `connected_components` over the pairs of
active organisations. The benchmark times it beside the platform's national recompute and
compares every figure it computes with the stored run results.

Definitions as in PRODUCT.md ("The two reports"): a link counts when confirmed, started and
not ended on the report date; active is the status now (the baseline is the current year's);
the year selects the latest validated diagnostic with year <= Y and the interventions
overlapping Y.
"""

import time
from collections import defaultdict
from datetime import date

import numpy as np
from django.db import connection, transaction
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

KINDS = ("shared_equipment", "joint_purchase", "joint_sale", "shared_label", "shared_jobs",
         "training", "savings_credit", "other")
CONVERGENCE_FIGURES = ("organisations", "members", "women", "youth", "needs", "priority_needs",
                       "interventions", "beneficiaries", "programmes", "enrolled")
COOPERATION_FIGURES = ("active_organisations", "links", "linked_organisations", "pairs",
                       "isolated", "cross_commune", "cross_filiere", "components",
                       "largest_component")

# Batch SQL as one would run it by hand: enough memory for the hash joins to stay in memory.
COUNTED_LINKS = """
SET LOCAL work_mem = '64MB';
CREATE TEMPORARY TABLE bench_filieres ON COMMIT DROP AS
SELECT organisation_id AS id, array_agg(filiere_id) AS filieres
FROM cooperatives_organisationfiliere GROUP BY organisation_id;

CREATE TEMPORARY TABLE bench_links ON COMMIT DROP AS
SELECT l.id, l.kind, l.source_id, l.target_id,
       s.commune_id AS sc, t.commune_id AS tc,
       s.status = 'active' AS sa, t.status = 'active' AS ta,
       COALESCE(sf.filieres && tf.filieres, false) AS shares
FROM cooperatives_cooperationlink l
JOIN cooperatives_organisation s ON s.id = l.source_id
JOIN cooperatives_organisation t ON t.id = l.target_id
LEFT JOIN bench_filieres sf ON sf.id = l.source_id
LEFT JOIN bench_filieres tf ON tf.id = l.target_id
WHERE l.status = 'confirmed' AND (l.start_date IS NULL OR l.start_date <= %(on)s)
  AND (l.end_date IS NULL OR l.end_date > %(on)s);
ANALYZE bench_links;
"""

# Each counted link once per commune it touches (once when both ends are in one commune).
LINK_ENDS = """
SELECT sc AS commune_id, kind, sc <> tc AS cross_commune, NOT shares AS cross_filiere
FROM bench_links
UNION ALL
SELECT tc, kind, true, NOT shares FROM bench_links WHERE tc <> sc
"""

COOPERATION_QUERIES = {
    "links_by_kind": f"""
        SELECT commune_id, kind, count(*), count(*) FILTER (WHERE cross_commune),
               count(*) FILTER (WHERE cross_filiere)
        FROM ({LINK_ENDS}) e GROUP BY commune_id, kind""",
    "active": """
        SELECT commune_id, count(*) FROM cooperatives_organisation
        WHERE status = 'active' GROUP BY commune_id""",
    "linked": """
        SELECT o.commune_id, count(*)
        FROM cooperatives_organisation o
        JOIN (SELECT source_id AS id FROM bench_links UNION SELECT target_id FROM bench_links) e
          ON e.id = o.id
        WHERE o.status = 'active' GROUP BY o.commune_id""",
    "pairs": """
        SELECT sc, count(*) FROM (
            SELECT DISTINCT sc, least(source_id, target_id), greatest(source_id, target_id)
            FROM bench_links WHERE sc = tc AND sa AND ta) p
        GROUP BY sc""",
}

NATIONAL_PAIRS = """
SELECT count(*) FROM (SELECT DISTINCT least(source_id, target_id), greatest(source_id, target_id)
                      FROM bench_links WHERE sa AND ta) p"""

CONVERGENCE_QUERIES = {
    "organisations": """
        SELECT o.commune_id, m.ministry_id, count(*), sum(o.members_total),
               sum(o.members_women), sum(o.members_youth)
        FROM (SELECT DISTINCT of.organisation_id, s.ministry_id
              FROM cooperatives_organisationfiliere of
              JOIN sectors_filiere f ON f.id = of.filiere_id
              JOIN sectors_sector s ON s.id = f.sector_id) m
        JOIN cooperatives_organisation o ON o.id = m.organisation_id
        WHERE o.status = 'active'
        GROUP BY o.commune_id, m.ministry_id""",
    "needs": """
        WITH selected AS (
            SELECT DISTINCT ON (commune_id) id, commune_id
            FROM diagnostics_territorialdiagnostic
            WHERE status = 'validated' AND year <= %(year)s
            ORDER BY commune_id, year DESC, id DESC)
        SELECT d.commune_id, s.ministry_id, count(*),
               count(*) FILTER (WHERE e.priority_rank <= 3)
        FROM selected d
        JOIN diagnostics_diagnosticentry e ON e.diagnostic_id = d.id
        JOIN sectors_sector s ON s.id = e.sector_id
        GROUP BY d.commune_id, s.ministry_id""",
    "interventions": """
        SELECT commune_id, ministry_id, count(*)
        FROM diagnostics_intervention
        WHERE start_date < %(next_year)s AND (end_date IS NULL OR end_date >= %(year_start)s)
        GROUP BY commune_id, ministry_id""",
    "beneficiaries": """
        SELECT i.commune_id, i.ministry_id, count(DISTINCT b.organisation_id)
        FROM diagnostics_intervention i
        JOIN diagnostics_intervention_beneficiaries b ON b.intervention_id = i.id
        WHERE i.start_date < %(next_year)s
          AND (i.end_date IS NULL OR i.end_date >= %(year_start)s)
        GROUP BY i.commune_id, i.ministry_id""",
    "programmes": """
        SELECT pc.commune_id, p.ministry_id, count(DISTINCT p.id)
        FROM support_programme p
        JOIN support_programme_communes pc ON pc.programme_id = p.id
        WHERE p.owner_type = 'ministry' AND p.start_date < %(next_year)s
          AND (p.end_date IS NULL OR p.end_date >= %(year_start)s)
        GROUP BY pc.commune_id, p.ministry_id""",
    "enrolled": """
        SELECT o.commune_id, p.ministry_id, count(DISTINCT e.organisation_id)
        FROM support_enrolment e
        JOIN support_programme p ON p.id = e.programme_id
        JOIN cooperatives_organisation o ON o.id = e.organisation_id
        WHERE p.owner_type = 'ministry' AND p.start_date < %(next_year)s
          AND (p.end_date IS NULL OR p.end_date >= %(year_start)s)
          AND e.start_date < %(next_year)s
          AND (e.end_date IS NULL OR e.end_date >= %(year_start)s)
        GROUP BY o.commune_id, p.ministry_id""",
}


def _rows(cursor, sql: str, params: dict) -> list[tuple]:
    cursor.execute(sql, params)
    return cursor.fetchall()


def convergence_baseline(year: int) -> dict[str, dict[str, dict[str, int]]]:
    """pcode -> ministry acronym -> the ten figures, for every commune and ministry."""
    params = {"year": year, "year_start": date(year, 1, 1), "next_year": date(year + 1, 1, 1)}
    with connection.cursor() as cursor:
        pcodes = dict(_rows(cursor, "SELECT id, pcode FROM communes_commune", {}))
        acronyms = dict(_rows(cursor, "SELECT id, acronym FROM sectors_ministry", {}))
        cells: dict = {p: {a: dict.fromkeys(CONVERGENCE_FIGURES, 0) for a in acronyms.values()}
                       for p in pcodes.values()}
        for c, m, n, members, women, youth in _rows(cursor, CONVERGENCE_QUERIES[
                "organisations"], params):
            cells[pcodes[c]][acronyms[m]].update(organisations=n, members=int(members),
                                                 women=int(women), youth=int(youth))
        for c, m, needs, priority in _rows(cursor, CONVERGENCE_QUERIES["needs"], params):
            cells[pcodes[c]][acronyms[m]].update(needs=needs, priority_needs=priority)
        for c, m, n in _rows(cursor, CONVERGENCE_QUERIES["interventions"], params):
            cells[pcodes[c]][acronyms[m]]["interventions"] = n
        for c, m, n in _rows(cursor, CONVERGENCE_QUERIES["beneficiaries"], params):
            cells[pcodes[c]][acronyms[m]]["beneficiaries"] = n
        for figure in ("programmes", "enrolled"):
            for c, m, n in _rows(cursor, CONVERGENCE_QUERIES[figure], params):
                cells[pcodes[c]][acronyms[m]][figure] = n
    for ministries in cells.values():
        for cell in ministries.values():
            cell["state"] = _state(cell)
    return cells


def score(ministries: dict[str, dict]) -> dict | None:
    """Converging ministries ÷ ministries with needs, as the reports' exact fraction."""
    with_needs = [cell for cell in ministries.values() if cell["needs"]]
    return _fraction(sum(cell["state"] == "converging" for cell in with_needs), len(with_needs))


def _state(cell: dict) -> str:
    needs, orgs, interventions = cell["needs"], cell["organisations"], cell["interventions"]
    if needs and orgs and interventions:
        return "converging"
    if needs and not orgs:
        return "unmet"
    if needs:
        return "unsupported"
    return "unplanned" if orgs or interventions else "absent"


def cooperation_baseline(on: date) -> dict:
    """{"communes": pcode -> figures, "national": figures} on date `on`."""
    with transaction.atomic(), connection.cursor() as cursor:
        for statement in filter(str.strip, COUNTED_LINKS.split(";")):
            cursor.execute(statement, {"on": on})
        pcodes = dict(_rows(cursor, "SELECT id, pcode FROM communes_commune", {}))
        figures = {c: dict.fromkeys(COOPERATION_FIGURES, 0) | {
            "links_by_kind": dict.fromkeys(KINDS, 0)} for c in pcodes}
        for c, kind, n, cross, cross_filiere in _rows(cursor, COOPERATION_QUERIES[
                "links_by_kind"], {}):
            row = figures[c]
            row["links_by_kind"][kind if kind in KINDS else "other"] += n
            row["links"] += n
            row["cross_commune"] += cross
            row["cross_filiere"] += cross_filiere
        for c, n in _rows(cursor, COOPERATION_QUERIES["active"], {}):
            figures[c]["active_organisations"] = n
        for c, n in _rows(cursor, COOPERATION_QUERIES["linked"], {}):
            figures[c]["linked_organisations"] = n
        for c, n in _rows(cursor, COOPERATION_QUERIES["pairs"], {}):
            figures[c]["pairs"] = n
        nodes = _copy_ints(cursor, "SELECT id, commune_id FROM cooperatives_organisation "
                                   "WHERE status = 'active' ORDER BY id", 2)
        edges = _copy_ints(cursor, "SELECT source_id, target_id, (sc = tc)::int "
                                   "FROM bench_links WHERE sa AND ta", 3)
        national_pairs = _rows(cursor, NATIONAL_PAIRS, {})[0][0]
        by_kind = dict(_rows(cursor, "SELECT kind, count(*) FROM bench_links GROUP BY kind", {}))
    national = _graph_figures(figures, nodes, edges, national_pairs)
    national["links"] = sum(by_kind.values())
    national["links_by_kind"] = {kind: by_kind.get(kind, 0) for kind in KINDS}
    for row in figures.values():
        row["isolated"] = row["active_organisations"] - row["linked_organisations"]
        row["linked_share"] = _fraction(row["linked_organisations"], row["active_organisations"])
        n = row["active_organisations"]
        row["density"] = _fraction(row["pairs"], n * (n - 1) // 2)
    national["isolated"] = sum(row["isolated"] for row in figures.values())
    return {"communes": {pcodes[c]: row for c, row in figures.items()}, "national": national}


def _copy_ints(cursor, sql: str, width: int) -> np.ndarray:
    """The rows of an all-integer query as an (n, width) array, through COPY (text)."""
    with cursor.cursor.copy(f"COPY ({sql}) TO STDOUT") as copy:
        data = b"".join(bytes(block) for block in copy)
    if not data.strip():
        return np.empty((0, width), dtype=np.int64)
    return np.fromstring(data.decode(), dtype=np.int64, sep=" ").reshape(-1, width)


def _fraction(num: int, den: int) -> dict | None:
    return {"num": int(num), "den": int(den)} if den else None


def _graph_figures(figures: dict, nodes: np.ndarray, edges: np.ndarray, pairs: int) -> dict:
    """Components per commune (internal edges) and over the country (all active edges)."""
    ids, communes = nodes[:, 0], nodes[:, 1]
    n = len(ids)
    src, dst = np.searchsorted(ids, edges[:, 0]), np.searchsorted(ids, edges[:, 1])
    internal = edges[:, 2].astype(bool)

    def labels(mask: np.ndarray) -> np.ndarray:
        graph = coo_matrix((np.ones(int(mask.sum()), dtype=np.int8), (src[mask], dst[mask])),
                           shape=(n, n))
        return connected_components(graph, directed=False)[1]

    per_commune = defaultdict(lambda: defaultdict(int))
    for commune, label in zip(communes.tolist(), labels(internal).tolist(), strict=True):
        per_commune[commune][label] += 1
    for commune, sizes in per_commune.items():
        figures[commune]["components"] = len(sizes)
        figures[commune]["largest_component"] = max(sizes.values())
    sizes = np.bincount(labels(np.ones(len(edges), dtype=bool))) if n else np.array([0])
    return {"active_organisations": n, "pairs": pairs,
            "density": _fraction(pairs, n * (n - 1) // 2),
            "components": int((sizes > 0).sum()), "largest_component": int(sizes.max())}


def run_baseline(*, year: int, on: date) -> tuple[dict, float]:
    """Both baselines and their wall time in seconds."""
    started = time.perf_counter()
    result = {"convergence": convergence_baseline(year), "cooperation": cooperation_baseline(on)}
    return result, time.perf_counter() - started


# -- Comparison with the platform's stored runs ------------------------------------------------


def compare(baseline: dict, convergence: dict[str, dict], cooperation: dict[str, dict],
            national_cooperation: dict | None, limit: int = 20) -> dict:
    """Every figure the baseline computes against the runs' results (pcode -> result).

    Returns {"checked": n figures, "mismatches": count, "examples": first `limit`}."""
    mismatches: list[str] = []
    checked = 0

    def check(where: str, expected, found) -> None:
        nonlocal checked
        checked += 1
        if expected != found:
            mismatches.append(f"{where}: baseline {expected!r}, platform {found!r}")

    for pcode, ministries in baseline["convergence"].items():
        result = convergence.get(pcode)
        if result is None:
            if any(any(v for k, v in cell.items() if k != "state") for cell in
                   ministries.values()):
                mismatches.append(f"convergence {pcode}: no platform run")
            continue
        for acronym, cell in ministries.items():
            found = result["ministries"].get(acronym, {})
            for name, value in cell.items():
                check(f"convergence {pcode} {acronym} {name}", value, found.get(name))
        check(f"convergence {pcode} score", score(ministries), result.get("score"))
    for pcode, row in baseline["cooperation"]["communes"].items():
        result = cooperation.get(pcode)
        if result is None:
            if row["active_organisations"] or row["links"]:
                mismatches.append(f"cooperation {pcode}: no platform run")
            continue
        for name, value in row.items():
            check(f"cooperation {pcode} {name}", value, result.get(name))
    if national_cooperation is not None:
        for name, value in baseline["cooperation"]["national"].items():
            check(f"cooperation national {name}", value, national_cooperation.get(name))
    return {"checked": checked, "mismatches": len(mismatches), "examples": mismatches[:limit]}
