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
`organisation_figures(ids)` and `sector_presence(sectors, ids)` for convergence. `ids` None:
the whole country.
"""

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

import numpy as np

from cooperatives.models import Organisation, OrganisationFiliere, OrganisationStatus
from core.beside import read_beside
from sectors.models import Filiere

from .cooperation_rows import (
    fetch_links,
    fetch_memberships,
    fetch_organisations,
    int_rows,
    positions,
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
    # The active organisations' memberships per requested communes (convergence reads them
    # for its figures and for where each sector is present).
    _memberships: dict = field(default_factory=dict, compare=False, hash=False, repr=False)

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
        """(commune, ministry) -> [organisations, members, women, youth] over active orgs
        (`figures_of`)."""
        return figures_of(self._active_memberships(ids))

    def sector_presence(self, sector_ids: set[int], ids: list[int] | None
                        ) -> dict[int, dict[int, int]]:
        """sector -> {commune: active organisations matching it} in the communes (None: all)
        (`presence_of`)."""
        if not sector_ids:
            return {}
        return presence_of(self._active_memberships(ids), sector_ids)

    def _active_memberships(self, ids: list[int] | None) -> np.ndarray:
        """(organisation, commune, sector, ministry, members, women, youth) per filière of
        the active organisations of the communes (None: all), read once per registry."""
        key = None if ids is None else tuple(ids)
        if key not in self._memberships and ids is None:
            self._memberships[key] = _every_active_membership()
        if key not in self._memberships:
            self._memberships[key] = int_rows(in_communes(
                OrganisationFiliere.objects.filter(
                    organisation__status=OrganisationStatus.ACTIVE),
                "organisation__commune_id", ids,
            ).order_by().values_list(
                "organisation_id", "organisation__commune_id", "filiere__sector_id",
                "filiere__sector__ministry_id", "organisation__members_total",
                "organisation__members_women", "organisation__members_youth"), 7)
        return self._memberships[key]


def _every_active_membership() -> np.ndarray:
    """`RegistryNow._active_memberships` for the whole country from three plain reads (the
    active organisations, every membership, the filières' sector and ministry) joined here
    by position: the database's join of the two large tables cost 0.28-0.33 s on the
    national dataset, the plain reads 0.13 s."""
    organisations = int_rows(Organisation.objects.order_by().filter(
        status=OrganisationStatus.ACTIVE).values_list(
        "id", "commune_id", "members_total", "members_women", "members_youth"), 5)
    memberships = int_rows(OrganisationFiliere.objects.order_by().values_list(
        "organisation_id", "filiere_id"), 2)
    filieres = np.array(list(Filiere.objects.order_by("id").values_list(
        "id", "sector_id", "sector__ministry_id")), dtype=np.int64).reshape(-1, 3)
    organisations = organisations[np.argsort(organisations[:, 0])]  # distinct ids
    org = positions(np.ascontiguousarray(organisations[:, 0]),
                    np.ascontiguousarray(memberships[:, 0]))
    fil = positions(np.ascontiguousarray(filieres[:, 0]),
                    np.ascontiguousarray(memberships[:, 1]))
    # Rows written between two of the reads (a membership of an organisation not read) are
    # dropped, as the join would not have seen them.
    keep = (org >= 0) & (fil >= 0)
    org, fil = org[keep], fil[keep]
    return np.column_stack((memberships[keep, 0], organisations[org, 1], filieres[fil, 1],
                            filieres[fil, 2], organisations[org, 2], organisations[org, 3],
                            organisations[org, 4]))


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
