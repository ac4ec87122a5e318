"""A hand-written baseline for P4: both reports whole, as PRODUCT.md defines them ("The two
reports"), for every commune, department and region and the country, computed by the fastest
honest route we could write, beside the platform's national recompute; the benchmark
compares every value it computes with the stored runs.

What it computes, for the current year:

- convergence: each commune × ministry cell's ten figures and state, each commune's score
  and unmet needs (each priority need with no active organisation of its sector in the
  commune, with the three nearest communes that have one, their distance and how many they
  have), and the departments', regions' and country's totals (each ministry's figures and
  states, the states, the score, the unmet needs);
- cooperation: each commune's figures and links by kind, its opportunities (the first 20
  unlinked pairs sharing a filière in report order, with their combined members and shared
  filières) and its organisations outside unions per filière; the country's graph figures.

What the platform's runs hold that it leaves out: names (organisations', communes', the
needs' text), an opportunity's suggested kind, the ids of isolated organisations (their
count is computed), and writing the results: the baseline keeps them as numpy arrays,
turned into the runs' shape by `compare` after the clock has stopped.

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
  commune, once over the country); the opportunities are generated among each filière
  group's largest organisations only, as far as proves them the first (`_opportunities`);
  the nearest communes are one distance matrix ordered once.

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
STATES = ("converging", "unmet", "unsupported", "unplanned", "absent")
OPPORTUNITIES = 20
NEAREST = 3
PRIORITY_RANKS = 3
_FIRST_CUT = 4  # the opportunities' first round: pairs among a group's first four
THREADS = 2  # the platform's report worker runs two processes (`celery worker -c 2`)

_KIND_CASE = ("CASE kind " + " ".join(f"WHEN '{k}' THEN {i}" for i, k in enumerate(KINDS[:-1]))
              + f" ELSE {len(KINDS) - 1} END")
# The diagnostic each commune's report selects for the year.
_SELECTED = """
        WITH selected AS (
            SELECT DISTINCT ON (commune_id) id, commune_id
            FROM diagnostics_territorialdiagnostic
            WHERE status = 'validated' AND year <= %(year)s
            ORDER BY commune_id, year DESC, id DESC)"""
READS = {
    "organisations": """
        SELECT id, commune_id, (status = 'active')::int4, members_total, members_women,
               members_youth,
               (legal_form NOT IN ('union', 'federation') AND parent_union_id IS NULL)::int4
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
        SELECT f.id, s.ministry_id, f.sector_id FROM sectors_filiere f
        JOIN sectors_sector s ON s.id = f.sector_id""",
    "priorities": f"""
        {_SELECTED}
        SELECT e.id, d.commune_id, e.priority_rank, e.sector_id
        FROM selected d JOIN diagnostics_diagnosticentry e ON e.diagnostic_id = d.id
        WHERE e.priority_rank <= {PRIORITY_RANKS}""",
}

SMALL = {
    "needs": f"""
        {_SELECTED}
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
    "communes": """
        SELECT c.id, c.pcode, c.latitude, c.longitude, d.pcode, r.pcode
        FROM communes_commune c JOIN communes_department d ON d.id = c.department_id
        JOIN communes_region r ON r.id = d.region_id""",
    "ministries": "SELECT id, acronym FROM sectors_ministry",
    "sectors": "SELECT id, code, ministry_id FROM sectors_sector",
    "filiere_codes": "SELECT id, code FROM sectors_filiere",
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
    """Both reports' arrays (and the reference rows they are keyed by) and the wall time in
    seconds."""
    started = time.perf_counter()
    params = {"year": year, "year_start": date(year, 1, 1), "next_year": date(year + 1, 1, 1)}
    with ThreadPoolExecutor(THREADS) as pool:
        links = pool.submit(_in_thread, _int_rows, READS["links"], {"on": on}, 3)
        orgs = pool.submit(_in_thread, _int_rows, READS["organisations"], {}, 7)
        memberships = pool.submit(_in_thread, _int_rows, READS["memberships"], {}, 2)
        small = pool.submit(_in_thread, lambda: {
            name: _small(sql, params) for name, sql in SMALL.items()}
            | {"filieres": _int_rows(READS["filieres"], {}, 3),
               "priorities": _int_rows(READS["priorities"], params, 4)})
        data = _Data(orgs.result(), memberships.result(), small.result())
        convergence = pool.submit(_convergence, data)
        cooperation = _cooperation(data, links.result())
        result = {"convergence": convergence.result(), "cooperation": cooperation,
                  "reference": data.small}
    return result, time.perf_counter() - started


class _Data:
    """The organisations by position (a dense id -> position table), their memberships and
    the small reference reads, everything indexed by database id where ids are small."""

    def __init__(self, orgs: np.ndarray, memberships: np.ndarray, small: dict):
        self.small = small
        self.ids = orgs[:, 0]
        self.commune, self.active = orgs[:, 1], orgs[:, 2].astype(bool)
        self.members = orgs[:, 3:6]
        self.outside = orgs[:, 6].astype(bool)  # no parent union, not a union itself
        self.position = np.full(int(self.ids.max(initial=0)) + 1, -1, dtype=np.int64)
        self.position[self.ids] = np.arange(len(self.ids))
        self.communes = {row[0]: row[1] for row in small["communes"]}
        self.n_communes = max(self.communes, default=0) + 1
        # Filières by position (in id order), so that their masks stay as narrow as can be.
        filieres = small["filieres"][np.argsort(small["filieres"][:, 0])]  # id, ministry, sector
        self.n_filieres = len(filieres)
        fil_position = np.full(int(filieres[:, 0].max(initial=0)) + 1, -1, dtype=np.int64)
        fil_position[filieres[:, 0]] = np.arange(self.n_filieres)
        self.memb_org = self.position[memberships[:, 0]]
        self.memb_fil = fil_position[memberships[:, 1]]
        self.ministry_of, self.sector_of = filieres[:, 1], filieres[:, 2]
        self.n_ministries = max(dict(small["ministries"]), default=0) + 1
        self.n_sectors = max((row[0] for row in small["sectors"]), default=0) + 1
        active = self.active[self.memb_org]
        self.active_org, self.active_fil = self.memb_org[active], self.memb_fil[active]

    def masks(self) -> np.ndarray:
        """The filières of each organisation as bits (by filière position), in 64-bit words."""
        masks = np.zeros((len(self.ids), max(1, -(-self.n_filieres // 64))), dtype=np.uint64)
        fil = self.memb_fil
        np.bitwise_or.at(masks, (self.memb_org, fil // 64),
                         np.left_shift(np.uint64(1), (fil % 64).astype(np.uint64)))
        return masks

    def per_commune(self, communes: np.ndarray, weights=None) -> np.ndarray:
        return np.bincount(communes, weights=weights, minlength=self.n_communes)


# -- Convergence -----------------------------------------------------------------------------


def _convergence(data: _Data) -> dict:
    """Arrays by commune id and ministry id: `figures` (figure, commune, ministry), `states`
    (commune, ministry; positions in STATES), the unmet needs and the totals."""
    k, n_min = data.n_communes, data.n_ministries
    size = k * n_min
    # Each active organisation once per ministry of its filières.
    keys = _distinct(data.active_org * n_min + data.ministry_of[data.active_fil])
    org, ministry = keys // n_min, keys % n_min
    cell = data.commune[org] * n_min + ministry
    figures = np.zeros((len(CONVERGENCE_FIGURES), size), dtype=np.int64)
    figures[0] = np.bincount(cell, minlength=size)
    for i in range(3):
        figures[1 + i] = np.bincount(cell, weights=data.members[org, i], minlength=size)
    for c, m, needs, priority in data.small["needs"]:
        figures[4, c * n_min + m], figures[5, c * n_min + m] = needs, priority
    for row, name in enumerate(("interventions", "beneficiaries", "programmes", "enrolled"), 6):
        for c, m, n in data.small[name]:
            figures[row, c * n_min + m] = n
    figures = figures.reshape(len(CONVERGENCE_FIGURES), k, n_min)
    states = _states(figures)
    # Where each sector has active organisations: each organisation once per sector.
    n_sec = data.n_sectors
    keys = _distinct(data.active_org * n_sec + data.sector_of[data.active_fil])
    org, sector = keys // n_sec, keys % n_sec
    presence = np.bincount(data.commune[org] * n_sec + sector, minlength=k * n_sec
                           ).reshape(k, n_sec)
    unmet = _unmet_needs(data, presence)
    return {"figures": figures, "states": states, "unmet": unmet,
            "totals": _totals(data, figures, states, unmet)}


def _states(figures: np.ndarray) -> np.ndarray:
    """Each cell's state (its position in STATES), by the definitions' precedence."""
    organisations, needs, interventions = figures[0], figures[4], figures[6]
    states = np.full(needs.shape, STATES.index("absent"), dtype=np.int64)
    states[(organisations > 0) | (interventions > 0)] = STATES.index("unplanned")
    states[needs > 0] = STATES.index("unsupported")
    states[(needs > 0) & (organisations == 0)] = STATES.index("unmet")
    states[(needs > 0) & (organisations > 0) & (interventions > 0)] = STATES.index("converging")
    return states


def _unmet_needs(data: _Data, presence: np.ndarray) -> dict:
    """Each priority need of the selected diagnostics with no active organisation of its
    sector in its commune, by commune, rank, sector code and entry id, with the `NEAREST`
    nearest communes (with a point) that have one: ids, distances (km), their counts."""
    entries = data.small["priorities"]  # entry id, commune, rank, sector
    unmet = entries[presence[entries[:, 1], entries[:, 3]] == 0]
    code_rank = np.zeros(data.n_sectors, dtype=np.int64)
    sectors = sorted(data.small["sectors"], key=lambda row: row[1])
    code_rank[[row[0] for row in sectors]] = np.arange(len(sectors))
    unmet = unmet[np.lexsort((unmet[:, 0], code_rank[unmet[:, 3]], unmet[:, 2], unmet[:, 1]))]
    located = sorted((row[1], row[0], row[2], row[3]) for row in data.small["communes"]
                     if row[2] is not None and row[3] is not None)  # by P-code
    ids = np.array([row[1] for row in located], dtype=np.int64)
    lat = np.radians(np.array([row[2] for row in located], dtype=float))
    lon = np.array([row[3] for row in located], dtype=float)
    # Great-circle distances between every two located communes, each row ordered by
    # distance (stable: P-code order on ties).
    p1, dl = lat[:, None], np.radians(lon[None, :] - lon[:, None])
    a = np.sin((lat[None, :] - p1) / 2) ** 2 + np.cos(p1) * np.cos(lat[None, :]) * np.sin(
        dl / 2) ** 2
    distance = 2 * 6371.0 * np.arcsin(np.sqrt(a))
    order = np.argsort(distance, axis=1, kind="stable")
    where = np.full(data.n_communes, -1, dtype=np.int64)
    where[ids] = np.arange(len(ids))
    here = where[unmet[:, 1]]
    nearest = np.full((len(unmet), NEAREST), -1, dtype=np.int64)
    km = np.zeros((len(unmet), NEAREST))
    rows = np.flatnonzero(here >= 0)
    if len(rows) and len(ids):
        candidates = ids[order[here[rows]]]  # (needs, located communes), nearest first
        has = ((presence[candidates, unmet[rows, 3][:, None]] > 0)
               & (candidates != unmet[rows, 1][:, None]))
        rank = np.cumsum(has, axis=1)
        r, col = np.nonzero(has & (rank <= NEAREST))
        nearest[rows[r], rank[r, col] - 1] = candidates[r, col]
        km[rows[r], rank[r, col] - 1] = distance[here[rows[r]], order[here[rows[r]], col]]
    counts = np.where(nearest >= 0, presence[np.maximum(nearest, 0), unmet[:, 3][:, None]], 0)
    return {"entries": unmet, "nearest": nearest, "km": km, "counts": counts}


def _totals(data: _Data, figures: np.ndarray, states: np.ndarray, unmet: dict) -> dict:
    """Per department, region and the country (P-code order): the communes, each ministry's
    figures summed and its cells per state, the cells per state, the score's two terms and
    the unmet needs."""
    communes = np.array([row[0] for row in data.small["communes"]], dtype=np.int64)
    unmet_per = data.per_commune(unmet["entries"][:, 1])
    n_min, n_states = data.n_ministries, len(STATES)
    ministries = np.array(sorted(dict(data.small["ministries"])), dtype=np.int64)
    totals = {}
    for level, column in (("departments", 4), ("regions", 5), ("country", None)):
        places = (sorted({row[column] for row in data.small["communes"]}) if column
                  else [""])
        index = {p: i for i, p in enumerate(places)}
        group = np.array([index[row[column]] if column else 0
                          for row in data.small["communes"]], dtype=np.int64)
        g = len(places)
        cell = (group[:, None] * n_min + np.arange(n_min)[None, :]).ravel()
        sums = np.stack([np.bincount(cell, weights=figure[communes].ravel(),
                                     minlength=g * n_min).astype(np.int64)
                         for figure in figures]).reshape(len(figures), g, n_min)
        by_state = np.bincount(cell * n_states + states[communes].ravel(),
                               minlength=g * n_min * n_states).reshape(g, n_min, n_states)
        overall = by_state[:, ministries].sum(axis=1)
        totals[level] = {
            "places": places, "communes": np.bincount(group, minlength=g), "sums": sums,
            "by_state": by_state, "states": overall,
            "score": (overall[:, 0], overall[:, :3].sum(axis=1)),
            "unmet_needs": np.bincount(group, weights=unmet_per[communes], minlength=g
                                       ).astype(np.int64),
        }
    return totals


# -- Cooperation -----------------------------------------------------------------------------


def _cooperation(data: _Data, links: np.ndarray) -> dict:
    """{"communes": per-commune figure arrays, "opportunities", "outside_unions",
    "national": figures}."""
    src, dst, kind = data.position[links[:, 0]], data.position[links[:, 1]], links[:, 2]
    sc, tc = data.commune[src], data.commune[dst]
    masks = data.masks()
    shares = np.zeros(len(src), dtype=bool)
    for word in range(masks.shape[1]):
        column = np.ascontiguousarray(masks[:, word])
        shares |= (column[src] & column[dst]) != 0
    cross = sc != tc
    k, n_kinds = data.n_communes, len(KINDS)
    # Each counted link once per commune it touches.
    by_kind = (np.bincount(sc * n_kinds + kind, minlength=k * n_kinds)
               + np.bincount(tc[cross] * n_kinds + kind[cross], minlength=k * n_kinds)
               ).reshape(k, n_kinds)
    touched = np.zeros(len(data.ids), dtype=bool)
    touched[src] = True
    touched[dst] = True
    active = data.active
    both = active[src] & active[dst]
    n = np.int64(len(data.ids))
    lo, hi = np.minimum(src[both], dst[both]), np.maximum(src[both], dst[both])
    national_keys = _distinct(lo * n + hi)
    # The pairs inside a commune, a subset of the country's: no second sort.
    commune_keys = national_keys[data.commune[national_keys // n]
                                 == data.commune[national_keys % n]]
    # Components per commune: the internal links' components never leave their commune.
    labels = _labels(commune_keys, n)
    active_nodes = np.flatnonzero(active)
    sizes = np.bincount(labels[active_nodes])
    label_commune = np.zeros(len(sizes), dtype=np.int64)
    label_commune[labels[active_nodes]] = data.commune[active_nodes]
    present = np.flatnonzero(sizes)
    largest = np.zeros(k, dtype=np.int64)
    np.maximum.at(largest, label_commune[present], sizes[present])
    active_count = data.per_commune(data.commune[active])
    linked = data.per_commune(data.commune[active & touched])
    figures = {
        "active_organisations": active_count, "links": by_kind.sum(axis=1),
        "linked_organisations": linked, "pairs": data.per_commune(
            data.commune[commune_keys // n]),
        "isolated": active_count - linked,
        "cross_commune": data.per_commune(sc[cross]) + data.per_commune(tc[cross]),
        "cross_filiere": data.per_commune(sc[~shares]) + data.per_commune(tc[cross & ~shares]),
        "components": data.per_commune(label_commune[present]), "largest_component": largest,
        "links_by_kind": by_kind,
    }
    groups = _filiere_groups(data)
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
    return {"communes": figures, "national": national,
            "opportunities": _opportunities(data, groups, national_keys, masks),
            "outside_unions": _outside_unions(data, groups)}


def _filiere_groups(data: _Data) -> dict:
    """The active memberships as (commune, filière) groups: `org` by group, then members
    descending and id (report order); each group's `start`, `size` and `key` (commune *
    filières + filière). One sort of one int64 key per row."""
    n = len(data.ids)
    members = data.members[:, 0]
    top = int(members.max(initial=0))
    by_size = np.argsort((top - members) * (int(data.ids.max(initial=0)) + 1) + data.ids)
    rank = np.empty(n, dtype=np.int64)
    rank[by_size] = np.arange(n)
    org, fil = data.active_org, data.active_fil
    key = np.sort((data.commune[org] * data.n_filieres + fil) * n + rank[org])
    group = key // max(n, 1)
    start = np.flatnonzero(np.concatenate(([True], group[1:] != group[:-1]))) if len(key) \
        else np.zeros(0, dtype=np.int64)
    return {"org": by_size[key % max(n, 1)], "start": start,
            "size": np.diff(np.append(start, len(key))), "key": group[start]}


def _opportunities(data: _Data, groups: dict, linked_keys: np.ndarray, masks: np.ndarray
                   ) -> dict:
    """Each commune's first `OPPORTUNITIES` pairs sharing a filière with no counted link, by
    combined members descending, then lower id, then higher id: arrays by commune, in order
    (`commune`, `low`, `high`, `members`, `shared`: the filière words the two share).

    Exact without listing every pair, in two rounds. First, the pairs among each group's
    first `_FIRST_CUT` organisations (a group is sorted by members): a pair left out of a
    group has an organisation ranked after those, so its combined members are at most the
    group's first's plus the next one's; a commune whose 20th pair beats every such bound
    of its cut groups (or that has no cut group) is settled. For the other communes the
    20th pair found is a floor: every pair of the true first 20 has at least its combined
    members, so the second round lists, in each of their groups, every pair reaching the
    floor (for each organisation, its partners are a run of the sorted group) and ranks
    them."""
    members, org, start, size = data.members[:, 0], groups["org"], groups["start"], groups["size"]
    commune = groups["key"] // data.n_filieres
    ranked = _Ranked(data, groups, linked_keys)
    row_group = np.repeat(np.arange(len(start)), size)
    at = np.arange(len(org)) - np.repeat(start, size)  # each row's place in its group
    # Round one: every pair (i, i + d) of each group's first rows.
    first = np.flatnonzero(at < _FIRST_CUT)
    room = np.minimum(size, _FIRST_CUT)[row_group[first]] - at[first]
    pairs = [(first[room > d], first[room > d] + d) for d in range(1, _FIRST_CUT)]
    one = ranked(np.concatenate([p[0] for p in pairs]), np.concatenate([p[1] for p in pairs]))
    k = data.n_communes
    cut = np.flatnonzero(size > _FIRST_CUT)
    bound = np.full(k, -1, dtype=np.int64)
    np.maximum.at(bound, commune[cut], members[org[start[cut]]]
                  + members[org[start[cut] + _FIRST_CUT]])
    floor = np.zeros(k, dtype=np.int64)
    twentieth = one["place"] == OPPORTUNITIES - 1
    floor[one["commune"][twentieth]] = one["combined"][twentieth]
    settled = (bound < 0) | (floor > bound)
    # Round two, the unsettled communes: each row's partners after it in its group with
    # members >= floor - its members, found by binary search over (group, members
    # descending) keys.
    rows = np.flatnonzero(~settled[commune[row_group]])
    top = int(members.max(initial=0))
    key = row_group * (top + 1) + (top - members[org])  # non-decreasing along the rows
    need = floor[commune[row_group[rows]]] - members[org[rows]]
    end = np.searchsorted(key, row_group[rows] * (top + 1) + np.minimum(top - need, top),
                          side="right")
    count = np.maximum(end - rows - 1, 0)
    a = np.repeat(rows, count)
    b = a + 1 + np.arange(len(a)) - np.repeat(np.cumsum(count) - count, count)
    two = ranked(a, b)
    keep_one = settled[one["commune"]] & (one["place"] < OPPORTUNITIES)
    keep_two = two["place"] < OPPORTUNITIES
    parts = {name: np.concatenate([one[name][keep_one], two[name][keep_two]])
             for name in ("commune", "low", "high", "combined", "a", "b")}
    order = np.argsort(parts["commune"], kind="stable")
    parts = {name: values[order] for name, values in parts.items()}
    return {"commune": parts["commune"], "low": parts["low"], "high": parts["high"],
            "members": parts["combined"], "shared": masks[parts["a"]] & masks[parts["b"]]}


class _Ranked:
    """Candidate pairs (two rows of the filière groups) ranked per commune in report order:
    linked pairs dropped, a pair found in several groups kept once, each pair's `place`."""

    def __init__(self, data: _Data, groups: dict, linked_keys: np.ndarray):
        self.members, self.ids, self.org = data.members[:, 0], data.ids, groups["org"]
        self.commune = np.repeat(groups["key"] // data.n_filieres, groups["size"])
        self.linked, self.n = linked_keys, np.int64(len(data.ids))
        self.top_members = int(self.members.max(initial=0)) * 2 + 1
        self.top_id = int(self.ids.max(initial=0)) + 1
        self.fits = data.n_communes * self.top_members * self.top_id ** 2 < 2 ** 62

    def __call__(self, row_a: np.ndarray, row_b: np.ndarray) -> dict:
        a, b = self.org[row_a], self.org[row_b]
        pair = np.minimum(a, b) * self.n + np.maximum(a, b)
        if len(self.linked):
            at = np.minimum(np.searchsorted(self.linked, pair), len(self.linked) - 1)
            unlinked = self.linked[at] != pair
            row_a, a, b = row_a[unlinked], a[unlinked], b[unlinked]
        c, combined = self.commune[row_a], self.members[a] + self.members[b]
        low, high = np.minimum(self.ids[a], self.ids[b]), np.maximum(self.ids[a], self.ids[b])
        if self.fits:  # one int64 key: (commune, members descending, low id, high id)
            order = np.argsort(((c * self.top_members + (self.top_members - 1 - combined))
                                * self.top_id + low) * self.top_id + high)
        else:
            order = np.lexsort((high, low, -combined, c))
        c, combined, low, high, a, b = (x[order] for x in (c, combined, low, high, a, b))
        fresh = np.ones(len(c), dtype=bool)
        fresh[1:] = (c[1:] != c[:-1]) | (low[1:] != low[:-1]) | (high[1:] != high[:-1])
        c, combined, low, high, a, b = (x[fresh] for x in (c, combined, low, high, a, b))
        starts = np.flatnonzero(np.concatenate(([True], c[1:] != c[:-1]))) if len(c) else \
            np.zeros(0, dtype=np.int64)
        place = np.arange(len(c)) - np.repeat(starts, np.diff(np.append(starts, len(c))))
        return {"commune": c, "combined": combined, "low": low, "high": high, "a": a, "b": b,
                "place": place}


def _outside_unions(data: _Data, groups: dict) -> dict:
    """Per (commune, filière) group (`key`): how many of its organisations are outside any
    union and their ids ascending (`ids`, group after group)."""
    org, start = groups["org"], groups["start"]
    group = np.repeat(np.arange(len(start)), groups["size"])
    lone = np.flatnonzero(data.outside[org])
    top_id = int(data.ids.max(initial=0)) + 1
    ordered = np.sort(group[lone] * top_id + data.ids[org[lone]])
    return {"key": groups["key"], "count": np.bincount(group[lone], minlength=len(start)),
            "ids": ordered % top_id}


def _labels(pair_keys: np.ndarray, n: np.int64) -> np.ndarray:
    graph = coo_matrix((np.ones(len(pair_keys), dtype=np.int8),
                        (pair_keys // n, pair_keys % n)), shape=(int(n), int(n)))
    return connected_components(graph, directed=False)[1]


# -- Comparison with the platform's stored runs ------------------------------------------------


def compare(baseline: dict, stored: dict, limit: int = 20) -> dict:
    """Every value the baseline computes against the runs' results. `stored`: "convergence"
    and "cooperation" (P-code -> a commune run's result), "national_convergence" and
    "national_cooperation" (the national runs' results, or None).

    Returns {"checked": n values, "mismatches": count, "examples": first `limit`}."""
    mismatches: list[str] = []
    checked = 0

    def check(where: str, expected, found) -> None:
        nonlocal checked
        checked += 1
        if expected != found:
            mismatches.append(f"{where}: baseline {expected!r}, platform {found!r}")

    def check_list(where: str, expected: list, found: list) -> None:
        check(f"{where} length", len(expected), len(found))
        for i, (one, other) in enumerate(zip(expected, found, strict=False)):
            check(f"{where} [{i}]", one, other)

    ref = _Reference(baseline["reference"])
    convergence = baseline["convergence"]
    figures, states = convergence["figures"], convergence["states"]
    unmet = _unmet_lists(convergence["unmet"], ref)
    for cid, pcode in ref.communes.items():
        result = stored["convergence"].get(pcode)
        if result is None:
            mismatches.append(f"convergence {pcode}: no platform run")
            continue
        for m, acronym in ref.ministries:
            found = result["ministries"].get(acronym, {})
            for f, name in enumerate(CONVERGENCE_FIGURES):
                check(f"convergence {pcode} {acronym} {name}", int(figures[f, cid, m]),
                      found.get(name))
            check(f"convergence {pcode} {acronym} state", STATES[states[cid, m]],
                  found.get("state"))
        row = [states[cid, m] for m, _ in ref.ministries]
        counts = {state: row.count(i) for i, state in enumerate(STATES)}
        check(f"convergence {pcode} states", counts, result.get("states"))
        check(f"convergence {pcode} score", _fraction(
            counts["converging"], counts["converging"] + counts["unmet"] + counts["unsupported"]),
            result.get("score"))
        check_list(f"convergence {pcode} unmet_needs", unmet.get(cid, []), [
            (u["entry"], u["sector"], u["ministry"], u["priority_rank"],
             [(n["commune"], n["distance_km"], n["organisations"]) for n in u["nearest"]])
            for u in result.get("unmet_needs", [])])
    national = stored.get("national_convergence")
    if national is not None:
        for level, totals in convergence["totals"].items():
            for place, expected in _totals_dicts(totals, ref).items():
                found = national[level] if level == "country" else national[level].get(place)
                check(f"convergence {level} {place}", expected, found)
    cooperation = baseline["cooperation"]
    figures = cooperation["communes"]
    opportunities = _opportunity_lists(cooperation["opportunities"], ref)
    outside = _outside_dicts(cooperation["outside_unions"], ref)
    for cid, pcode in ref.communes.items():
        result = stored["cooperation"].get(pcode)
        active = int(figures["active_organisations"][cid])
        if result is None:
            if active or figures["links"][cid]:
                mismatches.append(f"cooperation {pcode}: no platform run")
            continue
        for name in COOPERATION_FIGURES:
            check(f"cooperation {pcode} {name}", int(figures[name][cid]), result.get(name))
        check(f"cooperation {pcode} links_by_kind",
              dict(zip(KINDS, figures["links_by_kind"][cid].tolist(), strict=True)),
              result.get("links_by_kind"))
        check(f"cooperation {pcode} linked_share",
              _fraction(int(figures["linked_organisations"][cid]), active),
              result.get("linked_share"))
        check(f"cooperation {pcode} density",
              _fraction(int(figures["pairs"][cid]), active * (active - 1) // 2),
              result.get("density"))
        check_list(f"cooperation {pcode} opportunities", opportunities.get(cid, []), [
            (*o["organisations"], o["members"], o["filieres"])
            for o in result.get("opportunities", [])])
        mine, theirs = outside.get(cid, {}), result.get("outside_unions", {})
        check(f"cooperation {pcode} outside_unions filières", sorted(mine), sorted(theirs))
        for code, expected in mine.items():
            check(f"cooperation {pcode} outside_unions {code}", expected, theirs.get(code))
    national = stored.get("national_cooperation")
    if national is not None:
        for name, value in cooperation["national"].items():
            check(f"cooperation national {name}", value, national.get(name))
    return {"checked": checked, "mismatches": len(mismatches), "examples": mismatches[:limit]}


class _Reference:
    """The small reference rows read by the baseline, as look-ups."""

    def __init__(self, small: dict):
        self.communes = {row[0]: row[1] for row in small["communes"]}
        self.ministries = sorted(small["ministries"], key=lambda row: row[1])
        self.acronyms = dict(small["ministries"])
        self.sectors = {row[0]: (row[1], row[2]) for row in small["sectors"]}
        # Codes by filière position, as `_Data` numbers them (id order).
        self.filieres = [code for _, code in sorted(small["filiere_codes"])]
        self.n_filieres = len(self.filieres)


def _unmet_lists(unmet: dict, ref: _Reference) -> dict[int, list[tuple]]:
    lists: dict[int, list[tuple]] = {}
    for entry, nearest, km, counts in zip(unmet["entries"].tolist(), unmet["nearest"].tolist(),
                                         unmet["km"].tolist(), unmet["counts"].tolist(),
                                         strict=True):
        entry_id, commune, rank, sector = entry
        code, ministry = ref.sectors[sector]
        lists.setdefault(commune, []).append((
            entry_id, code, ref.acronyms[ministry], rank,
            [(ref.communes[c], round(d, 1), n)
             for c, d, n in zip(nearest, km, counts, strict=True) if c >= 0]))
    return lists


def _totals_dicts(totals: dict, ref: _Reference) -> dict[str, dict]:
    """The totals of one level in the national run's shape, by P-code ("" for the country)."""
    dicts = {}
    for g, place in enumerate(totals["places"]):
        ministries = {}
        for m, acronym in ref.ministries:
            row = dict(zip(CONVERGENCE_FIGURES, totals["sums"][:, g, m].tolist(), strict=True))
            row["states"] = dict(zip(STATES, totals["by_state"][g, m].tolist(), strict=True))
            ministries[acronym] = row
        converging, with_needs = (int(part[g]) for part in totals["score"])
        dicts[place] = {
            "communes": int(totals["communes"][g]), "ministries": ministries,
            "states": dict(zip(STATES, totals["states"][g].tolist(), strict=True)),
            "score": _fraction(converging, with_needs),
            "unmet_needs": int(totals["unmet_needs"][g]),
        }
    return dicts


def _opportunity_lists(found: dict, ref: _Reference) -> dict[int, list[tuple]]:
    lists: dict[int, list[tuple]] = {}
    for commune, low, high, members, shared in zip(
            found["commune"].tolist(), found["low"].tolist(), found["high"].tolist(),
            found["members"].tolist(), found["shared"].tolist(), strict=True):
        codes = sorted(ref.filieres[word * 64 + bit] for word, bits in enumerate(shared)
                       for bit in range(64) if bits >> bit & 1)
        lists.setdefault(commune, []).append((low, high, members, codes))
    return lists


def _outside_dicts(outside: dict, ref: _Reference) -> dict[int, dict]:
    dicts: dict[int, dict] = {}
    ids, at = outside["ids"].tolist(), 0
    for key, count in zip(outside["key"].tolist(), outside["count"].tolist(), strict=True):
        commune, filiere = divmod(key, ref.n_filieres)
        dicts.setdefault(commune, {})[ref.filieres[filiere]] = {
            "count": count, "organisations": ids[at:at + count]}
        at += count
    return dicts
