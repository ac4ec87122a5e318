"""The registry a report is computed on, as the flat rows both reports read.

A report reads the registry through one of two row sources with the same methods:
`RegistryNow` (the registry as it is, links counted on the report's day) and
`registry_as_of.RegistryAsOf` (the registry at the end of a past day, rebuilt from the audit
history). `compute.registry_for_year` picks one; the report functions compute the same way
on either.

Rows: `organisations(ids)` (n, 5) id, commune, members, active?, outside any union?, of the
communes' organisations and those at the far end of their counted links; `links(ids)` (n, 4)
id, source, target, kind index of the counted links with an end in the communes
(`counted_links(ids)`: the same without the id, what the reports read;
`counted_links_later(ids)`: a callable giving them, read beside where the source allows);
`memberships(ids)` (n, 2) organisation, filière of the same organisations;
`organisation_figures(ids)` and `sector_presence(sectors, ids)` for convergence (the registry
now reads them from the communes' summary rows, the registry of a past day counts them over
its rebuilt rows with `figures_of` and `presence_of`). `ids` None: the whole country.
"""

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

import numpy as np

from cooperatives.summaries import ACTIVE, commune_figures
from core.beside import read_beside
from sectors.models import Ministry, Sector

from .cooperation_rows import (
    fetch_links,
    fetch_memberships,
    fetch_organisations,
    int_rows,
    unique_counts,
)


def in_communes(queryset, field_name: str, commune_ids: list[int] | None):
    if commune_ids is None:
        return queryset
    return queryset.filter(**{f"{field_name}__in": commune_ids})


@dataclass(frozen=True)
class RegistryNow:
    """The registry as it is; links counted on `day` (today for the current year)."""

    day: date
    # The active organisations' summary figures per requested communes (convergence reads
    # them for its cells and for where each sector is present).
    _active: dict = field(default_factory=dict, compare=False, hash=False, repr=False)
    # The ministries' ids by acronym and the sectors' by code (the summary rows' groups).
    _groups: list = field(default_factory=list, compare=False, hash=False, repr=False)

    def organisations(self, ids: list[int] | None) -> np.ndarray:
        return int_rows(fetch_organisations(self.day, ids), 5)

    def links(self, ids: list[int] | None) -> np.ndarray:
        return int_rows(fetch_links(self.day, ids), 4)

    def counted_links(self, ids: list[int] | None) -> np.ndarray:
        """`links` without the id column (the whole country's read without it)."""
        if ids is None:
            return int_rows(fetch_links(self.day, None, with_id=False), 3)
        return self.links(ids)[:, 1:]

    def counted_links_later(self, ids: list[int] | None) -> Callable[[], np.ndarray]:
        """`counted_links`, read on a connection of its own while the caller goes on (its
        reads hold no state; core.beside): a callable giving the rows."""
        return read_beside(self.counted_links, ids)

    def memberships(self, ids: list[int] | None) -> np.ndarray:
        return int_rows(fetch_memberships(self.day, ids), 2)

    def organisation_figures(self, ids: list[int] | None) -> dict[tuple, list[int]]:
        """(commune, ministry) -> [organisations, members, women, youth] over active orgs,
        as `figures_of` counts them: from the communes' summary rows (cooperatives.summaries,
        kept current by every write), not from every membership of the communes."""
        by_ministry, _by_sector = self._active_figures(ids)
        return {key: list(figures) for key, figures in by_ministry.items()}

    def sector_presence(self, sector_ids: set[int], ids: list[int] | None
                        ) -> dict[int, dict[int, int]]:
        """sector -> {commune: active organisations matching it} in the communes (None: all),
        as `presence_of` counts them, from the same summary rows."""
        if not sector_ids:
            return {}
        presence: dict[int, dict[int, int]] = defaultdict(dict)
        for (commune, sector), figures in self._active_figures(ids)[1].items():
            if sector in sector_ids and figures[0]:
                presence[sector][commune] = figures[0]
        return dict(presence)

    def _active_figures(self, ids: list[int] | None) -> tuple[dict, dict]:
        """The active organisations' figures of the communes (None: all) by (commune,
        ministry id) and by (commune, sector id), read once per registry and communes."""
        key = None if ids is None else tuple(sorted(ids))
        if not self._groups:
            self._groups.extend((dict(Ministry.objects.values_list("acronym", "pk")),
                                 dict(Sector.objects.values_list("code", "pk"))))
        if key not in self._active:
            found = commune_figures(ACTIVE, ids)
            ministries, sectors = self._groups
            self._active[key] = (
                {(c, ministries[g]): f for (c, g), f in found["active_ministry"].items()},
                {(c, sectors[g]): f for (c, g), f in found["active_sector"].items()})
        return self._active[key]


def figures_of(rows: np.ndarray) -> dict[tuple, list[int]]:
    """(commune, ministry) -> [organisations, members, women, youth] from active
    memberships' rows (organisation, commune, sector, ministry, members, women, youth: the
    rows both registries build). An organisation with two filières of one ministry is
    counted, and its members summed, once."""
    org, commune, ministry = rows[:, 0], rows[:, 1], rows[:, 3]
    radix = int(ministry.max(initial=0)) + 1
    _, first = np.unique(org * radix + ministry, return_index=True)
    figures: dict[tuple, list[int]] = {}
    if not len(first):
        return figures
    # One integer per (commune, ministry): a sort of int64, where np.unique(axis=0)
    # sorts rows as opaque bytes (ten times slower on 200k rows).
    keys, inverse = np.unique(commune[first] * radix + ministry[first], return_inverse=True)
    counts = np.bincount(inverse, minlength=len(keys))
    sums = [np.bincount(inverse, weights=rows[first, col], minlength=len(keys))
            for col in (4, 5, 6)]
    for i, key in enumerate(keys.tolist()):
        figures[divmod(key, radix)] = [int(counts[i]), int(sums[0][i]), int(sums[1][i]),
                                       int(sums[2][i])]
    return figures


def presence_of(rows: np.ndarray, sector_ids: set[int]) -> dict[int, dict[int, int]]:
    """sector -> {commune: active organisations matching it}, for the sectors asked, from
    the rows of `figures_of`."""
    if not sector_ids:
        return {}
    rows = rows[np.isin(rows[:, 2], list(sector_ids))]
    if not len(rows):
        return {}
    # Each (organisation, sector) once, then counted per (sector, commune): one int64 key
    # per row (sector, commune, organisation in mixed radix), sorted once.
    communes, organisations = int(rows[:, 1].max()) + 1, int(rows[:, 0].max()) + 1
    # (unique_counts sorts: np.unique hashes, 0.11 s on the national 222k rows.)
    triples = unique_counts((rows[:, 2] * communes + rows[:, 1]) * organisations + rows[:, 0])[0]
    keys, counts = unique_counts(triples // organisations)
    presence: dict[int, dict[int, int]] = defaultdict(dict)
    for key, n in zip(keys.tolist(), counts.tolist(), strict=True):
        sector, commune = divmod(key, communes)
        presence[sector][commune] = n
    return dict(presence)
