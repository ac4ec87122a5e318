"""A hand-written baseline for P4: the per-commune figures of both reports and the national
graph figures, computed by the fastest honest route we could write, beside the platform's
national recompute; the benchmark compares every figure it computes with the stored runs.

How it is fast (docs/performance.md, "P4's baseline"):

- Flat reads, no temporary tables: each table is read once, its integer columns packed by
  the database into one binary value per read (`int4send`, `string_agg`) that numpy reads
  in place: no text parsing, no Python object per row (COPY sends a message per row, and
  reading 643k of them costs more in Python than the query). Plain SELECTs over whole
  tables, which PostgreSQL may scan in parallel; the small grouped figures (needs,
  interventions, beneficiaries) stay SQL.
- As many connections as the platform uses processes (its worker runs two): the reads go
  out on two threads, each with its own connection, while the other thread computes.
- One grouped pass per figure in numpy: every per-commune count is one `bincount` over an
  int key; distinct pairs are one sort of int64 keys; a link's "shared filière" test is an
  AND of two per-organisation 64-bit filière masks; the components are scipy's
  `connected_components` (once over the internal links, whose components never leave a
  commune, once over the country).

Definitions as in PRODUCT.md ("The two reports"): a link counts when confirmed, started and
not ended on the report date; active is the status now (the baseline is the current year's);
the year selects the latest validated diagnostic with year <= Y and the interventions
overlapping Y.
"""

import time
from concurrent.futures import ThreadPoolExecutor
from datetime import date

import numpy as np
from django.db import connection
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

KINDS = ("shared_equipment", "joint_purchase", "joint_sale", "shared_label", "shared_jobs",
         "training", "savings_credit", "other")
CONVERGENCE_FIGURES = ("organisations", "members", "women", "youth", "needs", "priority_needs",
                       "interventions", "beneficiaries", "programmes", "enrolled")
COOPERATION_FIGURES = ("active_organisations", "links", "linked_organisations", "pairs",
                       "isolated", "cross_commune", "cross_filiere", "components",
                       "largest_component")
THREADS = 2  # the platform's report worker runs two processes (`celery worker -c 2`)

_KIND_CASE = ("CASE kind " + " ".join(f"WHEN '{k}' THEN {i}" for i, k in enumerate(KINDS[:-1]))
              + f" ELSE {len(KINDS) - 1} END")
READS = {
    "organisations": """
        SELECT id, commune_id, (status = 'active')::int4, members_total, members_women,
               members_youth
        FROM cooperatives_organisation""",
    "memberships": """
        SELECT organisation_id, filiere_id FROM cooperatives_organisationfiliere""",
    # The kind as its position in KINDS (any other kind is "other").
    "links": f"""
        SELECT source_id, target_id, {_KIND_CASE}
        FROM cooperatives_cooperationlink
        WHERE status = 'confirmed' AND (start_date IS NULL OR start_date <= %(on)s)
          AND (end_date IS NULL OR end_date > %(on)s)""",
    "filieres": """
        SELECT f.id, s.ministry_id FROM sectors_filiere f
        JOIN sectors_sector s ON s.id = f.sector_id""",
}

SMALL = {
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
    "communes": "SELECT id, pcode FROM communes_commune",
    "ministries": "SELECT id, acronym FROM sectors_ministry",
}


def _int_rows(sql: str, params: dict, width: int) -> np.ndarray:
    """The rows of an all-integer query as an (n, width) int64 array, in one value: the
    database packs every row's int4 columns into one bytea (big-endian), which numpy reads
    in place: no text parsing, no Python object or message per row. Columns go two at a
    time as one `int8send` (high half, low half: the bytes of two `int4send`), half the
    calls and concatenations."""
    columns = [f"c{i}" for i in range(width)]
    pairs = [f"int8send(({a}::int4::int8 << 32) | ({b}::int4::int8 & 4294967295))"
             for a, b in zip(columns[::2], columns[1::2], strict=False)]
    packed = " || ".join(pairs + ([f"int4send({columns[-1]}::int4)"] if width % 2 else []))
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT string_agg({packed}, ''::bytea) "
                       f"FROM ({sql}) AS r({', '.join(columns)})", params)
        data = cursor.fetchone()[0]
    if data is None:
        return np.empty((0, width), dtype=np.int64)
    return np.frombuffer(bytes(data), dtype=">i4").astype(np.int64).reshape(-1, width)


def _distinct(values: np.ndarray) -> np.ndarray:
    """Sorted distinct values by one sort: numpy 2's np.unique hashes int64 keys, 0.12 s for
    the national dataset's 643k pair keys and 1.4 s at three times its size."""
    ordered = np.sort(values)
    return ordered[np.concatenate(([True], ordered[1:] != ordered[:-1]))] if len(ordered) \
        else ordered


def _small(sql: str, params: dict) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _in_thread(function, *args):
    """Run on a pool thread with the thread's own connection, closed afterwards."""
    try:
        return function(*args)
    finally:
        connection.close()


def _fraction(num: int, den: int) -> dict | None:
    return {"num": int(num), "den": int(den)} if den else None


def run_baseline(*, year: int, on: date) -> tuple[dict, float]:
    """Both baselines and their wall time in seconds."""
    started = time.perf_counter()
    params = {"year": year, "year_start": date(year, 1, 1), "next_year": date(year + 1, 1, 1)}
    with ThreadPoolExecutor(THREADS) as pool:
        links = pool.submit(_in_thread, _int_rows, READS["links"], {"on": on}, 3)
        orgs = pool.submit(_in_thread, _int_rows, READS["organisations"], {}, 6)
        memberships = pool.submit(_in_thread, _int_rows, READS["memberships"], {}, 2)
        small = pool.submit(_in_thread, lambda: {
            name: _small(sql, params) for name, sql in SMALL.items()}
            | {"filieres": _int_rows(READS["filieres"], {}, 2)})
        data = _Data(orgs.result(), memberships.result(), small.result())
        convergence = pool.submit(_convergence, data)
        cooperation = _cooperation(data, links.result())
        result = {"convergence": convergence.result(), "cooperation": cooperation}
    return result, time.perf_counter() - started


class _Data:
    """The organisations by position (a dense id -> position table), their filière masks."""

    def __init__(self, orgs: np.ndarray, memberships: np.ndarray, small: dict):
        self.small = small
        self.ids = orgs[:, 0]
        self.commune, self.active = orgs[:, 1], orgs[:, 2].astype(bool)
        self.members = orgs[:, 3:6]
        self.position = np.full(int(self.ids.max(initial=0)) + 1, -1, dtype=np.int64)
        self.position[self.ids] = np.arange(len(self.ids))
        self.communes = dict(small["communes"])
        self.n_communes = max(self.communes, default=0) + 1
        self.memb_org = self.position[memberships[:, 0]]
        self.memb_fil = memberships[:, 1]

    def masks(self) -> np.ndarray:
        """Two 64-bit words of filière bits per organisation (filière ids below 128)."""
        masks = np.zeros((len(self.ids), 2), dtype=np.uint64)
        fil = self.memb_fil
        if len(fil) and fil.max() >= 128:
            raise ValueError("filière ids above 127: widen the masks")
        np.bitwise_or.at(masks, (self.memb_org, fil // 64),
                         np.left_shift(np.uint64(1), (fil % 64).astype(np.uint64)))
        return masks

    def per_commune(self, communes: np.ndarray, weights=None) -> np.ndarray:
        return np.bincount(communes, weights=weights, minlength=self.n_communes)


def _convergence(data: _Data) -> dict:
    """pcode -> ministry acronym -> the ten figures and the state, every commune and
    ministry."""
    small, ministries = data.small, dict(data.small["ministries"])
    n_min = max(ministries, default=0) + 1
    ministry_of = np.zeros(int(data.small["filieres"][:, 0].max(initial=0)) + 1, dtype=np.int64)
    ministry_of[data.small["filieres"][:, 0]] = data.small["filieres"][:, 1]
    # Each active organisation once per ministry of its filières.
    keep = data.active[data.memb_org]
    keys = _distinct(data.memb_org[keep] * n_min + ministry_of[data.memb_fil[keep]])
    org, ministry = keys // n_min, keys % n_min
    cell = data.commune[org] * n_min + ministry
    size = data.n_communes * n_min
    counts = np.bincount(cell, minlength=size)
    sums = [np.bincount(cell, weights=data.members[org, i], minlength=size).astype(np.int64)
            for i in range(3)]
    cells = {pcode: {acronym: dict.fromkeys(CONVERGENCE_FIGURES, 0)
                     for acronym in ministries.values()} for pcode in data.communes.values()}
    for key in np.flatnonzero(counts).tolist():
        c, m = divmod(key, n_min)
        cells[data.communes[c]][ministries[m]].update(
            organisations=int(counts[key]), members=int(sums[0][key]),
            women=int(sums[1][key]), youth=int(sums[2][key]))
    for c, m, needs, priority in small["needs"]:
        cells[data.communes[c]][ministries[m]].update(needs=needs, priority_needs=priority)
    for name in ("interventions", "beneficiaries", "programmes", "enrolled"):
        for c, m, n in small[name]:
            cells[data.communes[c]][ministries[m]][name] = n
    for by_ministry in cells.values():
        for figures in by_ministry.values():
            figures["state"] = _state(figures)
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


def _cooperation(data: _Data, links: np.ndarray) -> dict:
    """{"communes": pcode -> figures, "national": figures}."""
    src, dst, kind = data.position[links[:, 0]], data.position[links[:, 1]], links[:, 2]
    sc, tc = data.commune[src], data.commune[dst]
    masks = data.masks()
    shares = ((masks[src] & masks[dst]) != 0).any(axis=1)
    cross = sc != tc
    k, n_kinds = data.n_communes, len(KINDS)
    # Each counted link once per commune it touches.
    by_kind = (np.bincount(sc * n_kinds + kind, minlength=k * n_kinds)
               + np.bincount(tc[cross] * n_kinds + kind[cross], minlength=k * n_kinds)
               ).reshape(k, n_kinds)
    cross_commune = data.per_commune(sc[cross]) + data.per_commune(tc[cross])
    cross_filiere = data.per_commune(sc[~shares]) + data.per_commune(tc[cross & ~shares])
    touched = np.zeros(len(data.ids), dtype=bool)
    touched[src] = True
    touched[dst] = True
    active = data.active
    active_count = data.per_commune(data.commune[active])
    linked = data.per_commune(data.commune[active & touched])
    both = active[src] & active[dst]
    n = np.int64(len(data.ids))
    lo, hi = np.minimum(src[both], dst[both]), np.maximum(src[both], dst[both])
    national_keys = _distinct(lo * n + hi)
    # The pairs inside a commune, a subset of the country's: no second sort.
    commune_keys = national_keys[data.commune[national_keys // n]
                                 == data.commune[national_keys % n]]
    pairs = data.per_commune(data.commune[commune_keys // n])
    # Components per commune: the internal links' components never leave their commune.
    labels = _labels(commune_keys, n)
    active_nodes = np.flatnonzero(active)
    sizes = np.bincount(labels[active_nodes])
    label_commune = np.zeros(len(sizes), dtype=np.int64)
    label_commune[labels[active_nodes]] = data.commune[active_nodes]
    present = np.flatnonzero(sizes)
    components = data.per_commune(label_commune[present])
    largest = np.zeros(k, dtype=np.int64)
    np.maximum.at(largest, label_commune[present], sizes[present])
    figures = {}
    for c, pcode in data.communes.items():
        a = int(active_count[c])
        row = {
            "active_organisations": a,
            "links": int(by_kind[c].sum()),
            "linked_organisations": int(linked[c]),
            "pairs": int(pairs[c]),
            "isolated": a - int(linked[c]),
            "cross_commune": int(cross_commune[c]),
            "cross_filiere": int(cross_filiere[c]),
            "components": int(components[c]),
            "largest_component": int(largest[c]),
            "links_by_kind": dict(zip(KINDS, map(int, by_kind[c]), strict=True)),
            "linked_share": _fraction(int(linked[c]), a),
            "density": _fraction(int(pairs[c]), a * (a - 1) // 2),
        }
        figures[pcode] = row
    country = np.bincount(_labels(national_keys, n)[active_nodes])
    country = country[country > 0]
    total = len(active_nodes)
    national = {
        "active_organisations": total, "pairs": len(national_keys),
        "density": _fraction(len(national_keys), total * (total - 1) // 2),
        "components": len(country), "largest_component": int(country.max(initial=0)),
        "links": len(links),
        "links_by_kind": dict(zip(KINDS, map(int, np.bincount(kind, minlength=n_kinds)),
                                  strict=True)),
        "isolated": int((active & ~touched).sum()),
    }
    return {"communes": figures, "national": national}


def _labels(pair_keys: np.ndarray, n: np.int64) -> np.ndarray:
    graph = coo_matrix((np.ones(len(pair_keys), dtype=np.int8),
                        (pair_keys // n, pair_keys % n)), shape=(int(n), int(n)))
    return connected_components(graph, directed=False)[1]


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
