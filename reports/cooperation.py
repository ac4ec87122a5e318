"""The cooperation report: which organisations of a commune work together, and which could.

Definitions (PRODUCT.md, "The two reports"). A link *counts* when it is confirmed, started
(start date null or on or before the report date `on`) and not ended (end date null or after
`on`); "active" is an organisation's status in the registry the report reads (a snapshot:
reports.registry, the registry now for the current year, as of 31 December for a past
year). Ratios are exact
fractions `{"num": int, "den": int}` (not reduced, so the counts behind them stay readable),
or null when the denominator would be zero. Lists of organisations are sorted ids, so the
same registry always gives the same JSON.

The figures are computed from three flat fetches (counted links, the organisations at their
ends or in the communes, their filières) held in numpy arrays: the batch and national
functions cost the same handful of queries whatever the number of communes, organisations
or links, and the graph work runs in scipy (1M links, 200k organisations in a few seconds).
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from functools import cached_property

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from communes.models import Commune
from cooperatives.models import Organisation
from core.beside import read_beside
from core.ids import id_list
from sectors.models import Filiere

from .cooperation_pairs import FiliereGroups, first_pairs
from .cooperation_rows import KINDS, positions, unique_counts
from .registry import RegistryNow
from .suggestions import kind_of_sector, suggested_kinds

OPPORTUNITY_LIMIT = 20
# A batch of 1/32 of the communes or more reads the whole country: measured on the national
# dataset, one commune's filtered read costs about 1/8 of the whole read, and grows with it.
_WHOLE_COUNTRY_FROM = 32


def fraction(num: int, den: int) -> dict | None:
    """An exact ratio as JSON, or None when the denominator is zero."""
    return {"num": int(num), "den": int(den)} if den else None


def cooperation_for_commune(commune: Commune, *, on: date, registry=None) -> dict:
    """The cooperation report of one commune on date `on` (see `cooperation_for_communes`)."""
    return cooperation_for_communes([commune.pk], on=on, registry=registry)[commune.pk]


def cooperation_for_communes(commune_ids: Iterable[int], *, on: date, registry=None
                             ) -> dict[int, dict]:
    """The cooperation report of each commune (by id) on date `on`, in a fixed number of queries.

    `registry`: the rows the report reads (reports.registry); None: the registry now, links
    counted on `on`.

    Each report has these keys (counts are ints, lists hold organisation ids in ascending
    order unless said otherwise):

    - `commune` (P-code), `on` (ISO date);
    - `active_organisations`: active organisations whose seat is in the commune;
    - `links`: counted links with at least one end in the commune, whatever the status of
      the organisations at the ends; `links_by_kind`: the same per kind, all 8 kinds;
    - `linked_organisations`: active organisations of the commune with at least one counted
      link (to anyone); `linked_share`: fraction of `active_organisations`;
    - `pairs`: distinct pairs of the commune's active organisations joined by at least one
      counted link (links of several kinds between one pair are one pair); `density`:
      `pairs` ÷ n(n-1)/2, null when n < 2;
    - `components`, `largest_component`: over the graph of the commune's active
      organisations and the counted links between them (a lone organisation is a component);
    - `isolated`, `isolated_organisations`: active organisations with no counted link at all;
    - `cross_commune`: counted links between an organisation of the commune and one of
      another commune; `cross_filiere`: counted links with an end in the commune whose ends
      share no filière;
    - `opportunities`: at most 20 pairs of active organisations sharing a filière with no
      counted link between them, by combined members (descending) then ids: each
      `{"organisations": [id, id], "names": [str, str], "members": int,
      "filieres": [codes], "suggested_kind": kind}`, the kind from the pair's shared
      filières and the kinds of counted links each already has (reports.suggestions);
    - `outside_unions`: for every filière of the commune's active organisations,
      `{"count": int, "organisations": [ids]}` of those (other than unions and federations)
      with no parent union.
    """
    ids = sorted(set(commune_ids))
    if not ids:
        return {}
    snapshot = _Snapshot.load(on, ids, registry or RegistryNow(on))
    return dict(zip(snapshot.commune_ids.tolist(), snapshot.commune_reports(), strict=True))


def cooperation_national(*, on: date, registry=None, kept: dict | None = None) -> dict:
    """The country's cooperation report on date `on` (`registry` as `cooperation_for_communes`).

    `communes`: every commune's report (as `cooperation_for_communes`) keyed by P-code. Over
    the graph of every active organisation of the country and the counted links between two
    of them: `active_organisations`, `pairs`, `density` (pairs ÷ n(n-1)/2), `components`,
    `largest_component`; `isolated`: active organisations with no counted link at all (so
    the sum of the communes' `isolated`). `links` and `links_by_kind` count every counted
    link once. `on` is the ISO date. `kept`: P-code -> a commune report to show instead of
    the computed one (a closed year's frozen copy).
    """
    snapshot = _Snapshot.load(on, None, registry or RegistryNow(on))
    communes = dict(zip(snapshot.pcodes, snapshot.commune_reports(), strict=True))
    communes.update((pcode, report) for pcode, report in (kept or {}).items()
                    if pcode in communes)
    return {"on": on.isoformat(), "communes": communes, **snapshot.national_figures()}


def cooperation_for_group(commune_ids: Iterable[int], *, on: date, registry=None) -> dict:
    """The cooperation report of a group of communes taken as one place (a project territory:
    docs/project-territories.md), with the keys of `cooperation_for_communes` read for the
    group: its active organisations are those of its communes, a link between two of them is
    internal even across commune lines (pairs, density, components, opportunities), and
    `cross_commune` counts the counted links with an end in the group whose two ends lie in
    two different communes (inside the group or not). Two more keys: `external`, counted
    links with exactly one end in the group; `cross_commune_inside`, counted links between
    organisations of two different communes of the group. `commune` is left out."""
    # No member: an id no commune has, so that the fetches stay valid (and empty).
    ids = sorted(set(commune_ids)) or [0]
    snapshot = _Snapshot.load(on, ids, registry or RegistryNow(on))
    inside = snapshot.cpos >= 0
    snapshot.cpos = np.where(inside, 0, -1)
    snapshot.commune_ids, snapshot.pcodes = np.zeros(1, dtype=np.int64), [""]
    report = snapshot.commune_reports()[0]
    del report["commune"]
    src_in, dst_in = inside[snapshot.src], inside[snapshot.dst]
    other_commune = snapshot.org_commune[snapshot.src] != snapshot.org_commune[snapshot.dst]
    report["external"] = int((src_in != dst_in).sum())
    report["cross_commune_inside"] = int((src_in & dst_in & other_commune).sum())
    return report


@dataclass
class _Snapshot:
    """Counted links and the organisations they join, as arrays indexed by position.

    Organisations are sorted by id, so position order is id order. `cpos` is the position of
    an organisation's commune in `commune_ids` (-1 outside the requested communes). The
    links (`src`, `dst`, `kind`) come from `pending_links` on first use: where the registry
    reads them beside the other reads, the work that needs no link is done meanwhile.
    """

    on: date
    commune_ids: np.ndarray
    pcodes: list[str]
    org_ids: np.ndarray
    org_commune: np.ndarray
    cpos: np.ndarray
    active: np.ndarray
    members: np.ndarray
    outside: np.ndarray
    masks: np.ndarray
    memb_org: np.ndarray
    memb_fil: np.ndarray
    filiere_codes: list[str]
    filiere_sectors: list[str]
    pending_links: Callable[[], np.ndarray]

    @classmethod
    def load(cls, on: date, commune_ids: list[int] | None, registry) -> "_Snapshot":
        every = list(Commune.objects.order_by("id").values_list("id", "pcode"))
        wanted = None if commune_ids is None else set(commune_ids)
        communes = every if wanted is None else [c for c in every if c[0] in wanted]
        cids = np.array([c[0] for c in communes], dtype=np.int64)
        # A filtered fetch pays per commune; past 1/32 of the country, reading everything
        # once is cheaper, and the communes not asked for are simply not reported.
        if commune_ids is not None and len(communes) * _WHOLE_COUNTRY_FROM >= len(every):
            commune_ids = None
        # The links, the largest read, go on beside the others where the registry allows it.
        links = registry.counted_links_later(commune_ids)
        org_rows = registry.organisations(commune_ids)
        # Columns as contiguous arrays: strided views make every later lookup copy them.
        # (Ids are distinct: any sort gives the same order; numpy's default is the fastest.)
        org_rows = np.ascontiguousarray(org_rows[np.argsort(org_rows[:, 0])].T)
        org_ids = org_rows[0]
        codes = list(Filiere.objects.order_by("code").values_list("id", "code", "sector__code"))
        memb_org, memb_fil = cls._memberships(registry.memberships(commune_ids), org_ids, codes)
        return cls(
            on=on, commune_ids=cids, pcodes=[c[1] for c in communes], org_ids=org_ids,
            org_commune=org_rows[1], cpos=positions(cids, org_rows[1]),
            members=org_rows[2], active=org_rows[3].astype(bool), outside=org_rows[4].astype(bool),
            masks=_filiere_masks(len(org_ids), len(codes), memb_org, memb_fil),
            memb_org=memb_org, memb_fil=memb_fil, filiere_codes=[c[1] for c in codes],
            filiere_sectors=[c[2] for c in codes], pending_links=links,
        )

    @cached_property
    def _links(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(source position, target position, kind index) of the counted links; rows written
        between two of the reads are dropped rather than half-counted."""
        link_rows = np.ascontiguousarray(self.pending_links().T)
        src, dst = positions(self.org_ids, link_rows[0]), positions(self.org_ids, link_rows[1])
        known = (src >= 0) & (dst >= 0)
        return src[known], dst[known], link_rows[2][known]

    @property
    def src(self) -> np.ndarray:
        return self._links[0]

    @property
    def dst(self) -> np.ndarray:
        return self._links[1]

    @property
    def kind(self) -> np.ndarray:
        return self._links[2]

    @staticmethod
    def _memberships(rows: np.ndarray, org_ids: np.ndarray, codes: list) -> tuple:
        """(organisation position, filière position) of every membership, by organisation."""
        filiere_ids = np.array([c[0] for c in codes], dtype=np.int64)
        fil_order = np.argsort(filiere_ids)
        fil = positions(filiere_ids[fil_order], np.ascontiguousarray(rows[:, 1]))
        fil = np.where(fil >= 0, fil_order[np.maximum(fil, 0)], -1)
        org = positions(org_ids, np.ascontiguousarray(rows[:, 0]))
        keep = (org >= 0) & (fil >= 0)
        # Sorted as one int64 key (organisation, filière): a sort of values takes a
        # millisecond where np.lexsort of the two columns took 16 ms.
        n_fil = max(len(codes), 1)
        pairs = np.sort(org[keep] * n_fil + fil[keep])
        return pairs // n_fil, pairs % n_fil

    # Per-commune figures -------------------------------------------------------------------

    def _per_commune(self, mask: np.ndarray, kinds: int = 1) -> np.ndarray:
        """How many of the masked links have an end in each commune (a link inside counts
        once); with `kinds`, a (communes, kinds) table of them by kind."""
        cs, ct = self._link_communes
        ends = np.concatenate([cs[mask & (cs >= 0)], ct[mask & (ct >= 0) & (ct != cs)]])
        if kinds == 1:
            return np.bincount(ends, minlength=len(self.commune_ids))
        kind = np.concatenate([self.kind[mask & (cs >= 0)],
                               self.kind[mask & (ct >= 0) & (ct != cs)]])
        return np.bincount(ends * kinds + kind, minlength=len(self.commune_ids) * kinds
                           ).reshape(-1, kinds)

    @cached_property
    def _link_communes(self) -> tuple[np.ndarray, np.ndarray]:
        """Each link's source and target commune, as positions in `commune_ids` (-1
        outside)."""
        return self.cpos[self.src], self.cpos[self.dst]

    def _count_orgs(self, mask: np.ndarray) -> np.ndarray:
        return np.bincount(self.cpos[mask & (self.cpos >= 0)], minlength=len(self.commune_ids))

    @cached_property
    def _touched(self) -> np.ndarray:
        """Whether each organisation has a counted link (commune and national figures)."""
        touched = np.zeros(len(self.org_ids), dtype=bool)
        touched[self.src] = True
        touched[self.dst] = True
        return touched

    def _shares_filiere(self) -> np.ndarray:
        """Whether each link's two organisations share a filière, one 64-bit word of their
        masks at a time: on the national links a gather of whole mask rows and `any(axis=1)`
        over them took 32-33 ms, word by word as flat arrays 4.5-5 ms."""
        shared = np.zeros(len(self.src), dtype=bool)
        for word in range(self.masks.shape[1]):
            masks = np.ascontiguousarray(self.masks[:, word])
            shared |= (masks[self.src] & masks[self.dst]) != 0
        return shared

    def _pair_keys(self, mask: np.ndarray) -> np.ndarray:
        """Sorted distinct undirected pairs of the masked links, as low * n + high."""
        low = np.minimum(self.src[mask], self.dst[mask])
        high = np.maximum(self.src[mask], self.dst[mask])
        return unique_counts(low * len(self.org_ids) + high)[0]

    def _labels(self, pair_keys: np.ndarray) -> np.ndarray:
        """The connected-component label of every organisation over the given pairs."""
        n = len(self.org_ids)
        if not n:
            return np.empty(0, dtype=np.int64)
        low, high = pair_keys // n, pair_keys % n
        graph = coo_matrix((np.ones(len(low), dtype=np.int8), (low, high)), shape=(n, n))
        return connected_components(graph.tocsr(), directed=False)[1]

    def commune_reports(self) -> list[dict]:
        """One report per requested commune, in `commune_ids` order."""
        k = len(self.commune_ids)
        inside_active = (self.cpos >= 0) & self.active
        groups = self._filiere_groups(inside_active)  # before any link is needed
        outside = self._outside_unions(groups)
        pair_keys = self._internal_pair_keys()
        opportunities = self._opportunities_of(groups, pair_keys)
        names = read_beside(self._names, opportunities)  # read while the figures are counted
        touched = self._touched
        pairs = np.bincount(self.cpos[pair_keys // max(len(self.org_ids), 1)], minlength=k)
        components, largest = self._commune_components(pair_keys, inside_active)
        by_kind = self._per_commune(np.ones(len(self.src), dtype=bool), len(KINDS))
        figures = {
            "active_organisations": self._count_orgs(inside_active),
            "links": by_kind.sum(axis=1),
            "linked_organisations": self._count_orgs(inside_active & touched),
            "pairs": pairs, "components": components, "largest_component": largest,
            "isolated": self._count_orgs(inside_active & ~touched),
            "cross_commune": self._per_commune(
                self.org_commune[self.src] != self.org_commune[self.dst]),
            "cross_filiere": self._per_commune(~self._shares_filiere()),
        }
        isolated = _group_by_commune(self, inside_active & ~touched)
        names = names()
        reports = []
        for c in range(k):
            report = {"commune": self.pcodes[c], "on": self.on.isoformat()}
            report.update({key: int(values[c]) for key, values in figures.items()})
            n = report["active_organisations"]
            report["links_by_kind"] = dict(zip(KINDS, by_kind[c].tolist(), strict=True))
            report["linked_share"] = fraction(report["linked_organisations"], n)
            report["density"] = fraction(report["pairs"], n * (n - 1) // 2)
            report["isolated_organisations"] = isolated[c]
            report["opportunities"] = [dict(o, names=[names.get(i, "") for i in o["organisations"]])
                                       for o in opportunities[c]]
            report["outside_unions"] = outside[c]
            reports.append(report)
        return reports

    @cached_property
    def _active_pair_keys(self) -> np.ndarray:
        """Sorted distinct pairs (`_pair_keys`) of the links between two active
        organisations: the national graph's, and a superset of every commune's."""
        return self._pair_keys(self.active[self.src] & self.active[self.dst])

    def _internal_pair_keys(self) -> np.ndarray:
        """Sorted distinct pairs of active organisations of the same requested commune
        with a counted link (taken from `_active_pair_keys`, sorted once)."""
        n = max(len(self.org_ids), 1)
        keys = self._active_pair_keys
        low_commune = self.cpos[keys // n]
        return keys[(low_commune >= 0) & (low_commune == self.cpos[keys % n])]

    def _commune_components(self, pair_keys: np.ndarray, nodes_mask: np.ndarray) -> tuple:
        """(components, largest component) per commune over its internal pairs."""
        k = len(self.commune_ids)
        nodes = np.flatnonzero(nodes_mask)
        labels = self._labels(pair_keys)[nodes]
        comp_labels, comp_sizes = unique_counts(labels)
        # Internal edges never leave a commune, so each component lies in one commune.
        label_cpos = np.zeros(labels.max() + 1 if len(labels) else 1, dtype=np.int64)
        label_cpos[labels] = self.cpos[nodes]
        comp_cpos = label_cpos[comp_labels]
        largest = np.zeros(k, dtype=np.int64)
        np.maximum.at(largest, comp_cpos, comp_sizes)
        return np.bincount(comp_cpos, minlength=k), largest

    def _names(self, opportunities: list[list[dict]]) -> dict[int, str]:
        wanted = {i for per in opportunities for o in per for i in o["organisations"]}
        if not wanted:
            return {}
        return dict(Organisation.objects.order_by().filter(id__in=id_list(wanted))
                    .values_list("id", "name"))

    # Filière groups: opportunities and organisations outside unions --------------------------

    def _filiere_groups(self, inside_active: np.ndarray) -> FiliereGroups:
        """The active organisations of the requested communes by (commune, filière) group,
        each group by members descending then id: one sort of one int64 key per membership
        (commune, filière, the organisation's rank by members and id)."""
        keep = inside_active[self.memb_org]
        org, fil = self.memb_org[keep], self.memb_fil[keep]
        n, n_fil = len(self.org_ids), max(len(self.filiere_codes), 1)
        by_size = np.argsort((int(self.members.max(initial=0)) - self.members) * n
                             + np.arange(n))  # positions are in id order; keys distinct
        rank = np.empty(n, dtype=np.int64)
        rank[by_size] = np.arange(n)
        key = np.sort((self.cpos[org] * n_fil + fil) * n + rank[org])
        group = key // max(n, 1)
        start = np.flatnonzero(np.diff(group, prepend=-1))
        return FiliereGroups(org=by_size[key % max(n, 1)], start=start,
                             size=np.diff(np.append(start, len(key))),
                             place=group[start] // n_fil, filiere=group[start] % n_fil)

    def _outside_unions(self, groups: FiliereGroups) -> list[dict]:
        """Per commune, for each filière of its active organisations: those outside any
        union (ids ascending) and how many."""
        row_group, n = groups.row_group, max(len(self.org_ids), 1)
        lone = np.flatnonzero(self.outside[groups.org])
        # By group, then position (id order), as one sorted int64 key.
        lone_keys = np.sort(row_group[lone] * n + groups.org[lone])
        lone_ids = self.org_ids[lone_keys % n].tolist()
        counts = np.bincount(row_group[lone], minlength=len(groups.start)).tolist()
        ends = np.cumsum(counts).tolist()
        outside: list[dict] = [{} for _ in self.commune_ids]
        for c, f, count, end in zip(groups.place.tolist(), groups.filiere.tolist(), counts,
                                    ends, strict=True):
            outside[c][self.filiere_codes[f]] = {"count": count,
                                                 "organisations": lone_ids[end - count:end]}
        return outside

    def _opportunities_of(self, groups: FiliereGroups, pair_keys: np.ndarray
                          ) -> list[list[dict]]:
        """Per commune: its opportunities, from its filière groups and the linked pairs."""
        place, low, high = first_pairs(groups, self.members, pair_keys, len(self.commune_ids),
                                       OPPORTUNITY_LIMIT)
        found = self._opportunities(low, high)
        ends = [0, *np.cumsum(np.bincount(place, minlength=len(self.commune_ids))).tolist()]
        return [found[ends[c]:ends[c + 1]] for c in range(len(self.commune_ids))]

    def _opportunities(self, a: np.ndarray, b: np.ndarray) -> list[dict]:
        """The opportunity of each pair (positions a, b; a's id the lower), for every commune
        at once: shared filières from the filière masks, the suggested kind over arrays."""
        if not len(a):
            return []
        shared = self._shared_filieres(a, b)
        votes = shared.astype(np.int64) @ self._filiere_kinds
        kinds = suggested_kinds(votes, self._kind_counts[a], self._kind_counts[b])
        rows, filieres = np.nonzero(shared)  # by pair, then filière position (code order)
        bounds = [0, *np.cumsum(np.bincount(rows, minlength=len(a))).tolist()]
        codes = [self.filiere_codes[f] for f in filieres.tolist()]
        members = (self.members[a] + self.members[b]).tolist()
        return [{"organisations": [low, high], "members": members[i],
                 "filieres": codes[bounds[i]:bounds[i + 1]], "suggested_kind": kinds[i]}
                for i, (low, high) in enumerate(zip(self.org_ids[a].tolist(),
                                                    self.org_ids[b].tolist(), strict=True))]

    def _shared_filieres(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """(pairs, filières) booleans: the filières both organisations of each pair hold."""
        common = self.masks[a] & self.masks[b]
        bits = (common[:, :, None] >> np.arange(64, dtype=np.uint64)) & np.uint64(1)
        return bits.astype(bool).reshape(len(a), -1)[:, :len(self.filiere_codes)]

    @cached_property
    def _filiere_kinds(self) -> np.ndarray:
        """(filières, kinds) one-hot: the kind each filière's sector calls for."""
        kinds = np.zeros((len(self.filiere_codes), len(KINDS)), dtype=np.int64)
        kinds[np.arange(len(self.filiere_codes)),
              [kind_of_sector(sector) for sector in self.filiere_sectors]] = 1
        return kinds

    @cached_property
    def _kind_counts(self) -> np.ndarray:
        """Counted links per organisation (position) and kind (index in KINDS), with anyone:
        every counted link of a requested commune's organisation is loaded."""
        n, k = len(self.org_ids), len(KINDS)
        ends = np.concatenate([self.src * k + self.kind, self.dst * k + self.kind])
        return np.bincount(ends, minlength=n * k).reshape(n, k)

    # National graph ------------------------------------------------------------------------

    def national_figures(self) -> dict:
        """Figures over the country's graph of active organisations (all communes loaded)."""
        nodes = np.flatnonzero(self.active)
        pair_keys = self._active_pair_keys
        sizes = unique_counts(self._labels(pair_keys)[nodes])[1]
        n = len(nodes)
        return {
            "active_organisations": n,
            "links": len(self.src),
            "links_by_kind": dict(zip(KINDS, np.bincount(self.kind, minlength=len(KINDS))
                                      .tolist(), strict=True)),
            "pairs": len(pair_keys),
            "density": fraction(len(pair_keys), n * (n - 1) // 2),
            "components": len(sizes),
            "largest_component": int(sizes.max()) if len(sizes) else 0,
            "isolated": int((self.active & ~self._touched).sum()),
        }


def _filiere_masks(n: int, n_filieres: int, org: np.ndarray, fil: np.ndarray) -> np.ndarray:
    """One bit per filière for each organisation, in 64-bit words: shared = any(a & b)."""
    masks = np.zeros((n, max(1, -(-n_filieres // 64))), dtype=np.uint64)
    bits = np.left_shift(np.uint64(1), (fil % 64).astype(np.uint64))
    np.bitwise_or.at(masks, (org, fil // 64), bits)
    return masks


def _group_by_commune(snapshot: _Snapshot, mask: np.ndarray) -> list[list[int]]:
    """Ids of the masked organisations of each requested commune, ascending."""
    positions = np.flatnonzero(mask & (snapshot.cpos >= 0))
    cpos = snapshot.cpos[positions]
    order = np.argsort(cpos, kind="stable")  # stable: keeps id order within a commune
    counts = np.bincount(cpos, minlength=len(snapshot.commune_ids))
    ids = snapshot.org_ids[positions[order]]
    return [part.tolist() for part in np.split(ids, np.cumsum(counts)[:-1])]
