"""How P4's hand-written baseline (`baseline_sql`) computes both reports from its flat
reads: arrays by commune and ministry id, one grouped numpy pass per figure, no Python loop
over organisations, links or pairs. What it computes and why it is fast: `baseline_sql`."""

import numpy as np
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
FIRST_ROUND = 4  # the opportunities' first round: pairs among a group's first four


def distinct(values: np.ndarray) -> np.ndarray:
    """Sorted distinct values by one sort: numpy 2's np.unique hashes int64 keys, 0.12 s for
    the national dataset's 643k pair keys and 1.4 s at three times its size."""
    ordered = np.sort(values)
    return ordered[np.concatenate(([True], ordered[1:] != ordered[:-1]))] if len(ordered) \
        else ordered


def fraction(num: int, den: int) -> dict | None:
    return {"num": int(num), "den": int(den)} if den else None


class Data:
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


def convergence(data: Data) -> dict:
    """Arrays by commune id and ministry id: `figures` (figure, commune, ministry), `states`
    (commune, ministry; positions in STATES), the unmet needs and the totals."""
    k, n_min = data.n_communes, data.n_ministries
    size = k * n_min
    # Each active organisation once per ministry of its filières.
    keys = distinct(data.active_org * n_min + data.ministry_of[data.active_fil])
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
    keys = distinct(data.active_org * n_sec + data.sector_of[data.active_fil])
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


def _unmet_needs(data: Data, presence: np.ndarray) -> dict:
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


def _totals(data: Data, figures: np.ndarray, states: np.ndarray, unmet: dict) -> dict:
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


def cooperation(data: Data, links: np.ndarray) -> dict:
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
    national_keys = distinct(lo * n + hi)
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
        "density": fraction(len(national_keys), total * (total - 1) // 2),
        "components": len(country), "largest_component": int(country.max(initial=0)),
        "links": len(links),
        "links_by_kind": dict(zip(KINDS, map(int, np.bincount(kind, minlength=n_kinds)),
                                  strict=True)),
        "isolated": int((active & ~touched).sum()),
    }
    return {"communes": figures, "national": national,
            "opportunities": _opportunities(data, groups, national_keys, masks),
            "outside_unions": _outside_unions(data, groups)}


def _filiere_groups(data: Data) -> dict:
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


def _opportunities(data: Data, groups: dict, linked_keys: np.ndarray, masks: np.ndarray
                   ) -> dict:
    """Each commune's first `OPPORTUNITIES` pairs sharing a filière with no counted link, by
    combined members descending, then lower id, then higher id: arrays by commune, in order
    (`commune`, `low`, `high`, `members`, `shared`: the filière words the two share).

    Exact without listing every pair, in two rounds. First, the pairs among each group's
    first `FIRST_ROUND` organisations (a group is sorted by members): a pair left out of a
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
    first = np.flatnonzero(at < FIRST_ROUND)
    room = np.minimum(size, FIRST_ROUND)[row_group[first]] - at[first]
    pairs = [(first[room > d], first[room > d] + d) for d in range(1, FIRST_ROUND)]
    one = ranked(np.concatenate([p[0] for p in pairs]), np.concatenate([p[1] for p in pairs]))
    k = data.n_communes
    cut = np.flatnonzero(size > FIRST_ROUND)
    bound = np.full(k, -1, dtype=np.int64)
    np.maximum.at(bound, commune[cut], members[org[start[cut]]]
                  + members[org[start[cut] + FIRST_ROUND]])
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

    def __init__(self, data: Data, groups: dict, linked_keys: np.ndarray):
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


def _outside_unions(data: Data, groups: dict) -> dict:
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
