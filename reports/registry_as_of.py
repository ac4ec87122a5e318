"""The registry at the end of a past day, rebuilt from the audit history (PRODUCT.md, "The
two reports"), as the same flat rows `reports.registry.RegistryNow` reads from the registry.

The day ends at midnight in the platform's time zone (settings.TIME_ZONE, Africa/Douala,
UTC+1 all year): a history record counts for day D when its `history_date` is before
00:00 of D+1 there (for 31 December 2025: before 2025-12-31 23:00 UTC).

- An organisation exists on D when it has a history record on or before D and its latest
  such record (by history date, then history id) is not a deletion; it then has that
  record's commune, status, members, women, youth, legal form, union and filière set.
- A link counts on D when its latest record on or before D is not a deletion, has status
  confirmed, a start date empty or on or before D and an end date empty or after D (those
  dates as that record holds them), and both its ends exist on D.

"The latest record of each object on or before D" is one window query per history table
(row_number over id, newest first), used as a subquery: no query per organisation or link.
"""

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from django.db import connections
from django.db.models import F, Max, Min, Q, QuerySet, Window
from django.db.models.functions import RowNumber
from django.utils import timezone

from cooperatives.history import historical_filieres_model
from cooperatives.models import CooperationLink, Organisation, OrganisationStatus, link_counted_on
from core.beside import read_beside
from sectors.models import Filiere

from .cooperation_rows import UNION_FORMS, flag, int_rows, kind_code, positions, unique_counts
from .registry import figures_of, presence_of

_CHUNK = 20_000  # ids per IN list
# The whole country's links (their latest records, the largest read of a past day: 0.73-0.92 s
# on the national dataset) are read in this many id ranges at once, each on a connection of
# its own where the database allows (core.beside).
_LINK_READS = 2


def day_end(day: datetime.date) -> datetime.datetime:
    """The first instant after `day` in the platform's time zone."""
    return timezone.make_aware(datetime.datetime.combine(day + datetime.timedelta(days=1),
                                                         datetime.time.min))


def latest_records(history_model, day: datetime.date, ids=None) -> QuerySet:
    """Each object's latest history record dated on or before `day` (by history date, then
    history id), deletions included; `ids` (a list or a query of ids) narrows it. Further
    annotations are computed on those records; conditions on the records' fields go in
    annotations, not filters (a filter would choose among the records before the latest is
    taken)."""
    records = history_model.objects.filter(history_date__lt=day_end(day))
    if ids is not None:
        records = records.filter(id__in=ids)
    if connections[records.db].features.can_distinct_on_fields:
        # PostgreSQL: DISTINCT ON walks the (id, history_date DESC, history_id DESC) index
        # once and keeps each id's first record, where the window numbered every record
        # and sorted them again (every link's latest record on a day of the national
        # dataset: 0.22 s against 0.47-0.54 s). The ordering is part of the answer: a
        # caller must not reorder these records before reading them.
        return records.order_by("id", "-history_date", "-history_id").distinct("id")
    return records.order_by().annotate(rank=Window(
        RowNumber(), partition_by=[F("id")],
        order_by=[F("history_date").desc(), F("history_id").desc()],
    )).filter(rank=1)


def registry_as_of(day: datetime.date) -> "RegistryAsOf":
    """The registry as it stood at the end of `day`, rebuilt from the audit history."""
    return RegistryAsOf(day)


@dataclass
class RegistryAsOf:
    """The rows of `reports.registry.RegistryNow`, as the registry stood at the end of `day`
    (organisation rows carry their history id too, for their filières)."""

    day: datetime.date
    _cache: dict = field(default_factory=dict, repr=False)

    # Cooperation -------------------------------------------------------------------------

    def organisations(self, ids: list[int] | None) -> np.ndarray:
        return self._cooperation(ids)[0][:, [0, 1, 2, 5, 6]]

    def links(self, ids: list[int] | None) -> np.ndarray:
        return self._cooperation(ids)[1]

    def counted_links(self, ids: list[int] | None) -> np.ndarray:
        return self._cooperation(ids)[1][:, 1:]

    def counted_links_later(self, ids: list[int] | None) -> Callable[[], np.ndarray]:
        """`counted_links` as a callable. Its reads fill one cache together, so never from
        another thread: the whole country's reads put the links beside the others
        themselves (`_whole`)."""
        return lambda: self.counted_links(ids)

    def memberships(self, ids: list[int] | None) -> np.ndarray:
        return self._cooperation(ids)[2]

    def _cooperation(self, ids: list[int] | None) -> tuple:
        key = ("cooperation", None if ids is None else tuple(ids))
        if key not in self._cache:
            self._cache[key] = self._whole() if ids is None else self._around(ids)
        return self._cache[key]

    def _whole(self) -> tuple:
        """Every organisation, counted link and membership on the day; the links (their
        latest history records, the largest read) read beside the other two, in
        `_LINK_READS` id ranges at once."""
        links = [read_beside(self._link_rows, None, bounds) for bounds in _id_ranges(
            CooperationLink.history.model, _LINK_READS)]
        organisations, memberships = self._every_organisation(), self._every_membership()
        return organisations, np.concatenate([part() for part in links]), memberships

    def _every_organisation(self) -> np.ndarray:
        """Every organisation existing on the day, and (cached beside it) the memberships
        its latest record keeps: every filière record is read beside the organisations'
        latest records, which then pick theirs (on the national dataset the two reads took
        0.34 and 0.28 s one after the other; the filière records' read needs no history id
        first, so they now overlap)."""
        if "organisations" not in self._cache:
            records = read_beside(self._membership_records, None)
            organisations = self._organisation_rows(None)
            self._cache["memberships"] = _kept_by(records(), organisations[:, 7])
            self._cache["organisations"] = organisations
        return self._cache["organisations"]

    def _every_membership(self) -> np.ndarray:
        """(organisation, filière) kept by the latest record of every organisation existing
        on the day."""
        self._every_organisation()
        return self._cache["memberships"]

    def _around(self, ids: list[int]) -> tuple:
        """The communes' organisations on the day, the counted links with an end among them
        and the organisations at their far ends."""
        inside = self._in_communes(ids)
        inside_ids = inside[:, 0].tolist()
        touching = set()
        for part in _chunks(inside_ids):
            touching.update(CooperationLink.history.filter(
                Q(source_id__in=part) | Q(target_id__in=part)).values_list("id", flat=True))
        links = self._link_rows(sorted(touching)) if touching else _empty(4)
        links = links[np.isin(links[:, 1], inside_ids) | np.isin(links[:, 2], inside_ids)]
        far = sorted(set(links[:, 1:3].ravel().tolist()) - set(inside_ids))
        organisations = np.concatenate([inside, self._organisation_rows(far) if far
                                        else _empty(8)])
        return organisations, links, self._memberships_of(organisations[:, 7].tolist())

    def _in_communes(self, ids: list[int]) -> np.ndarray:
        """Rows of the organisations whose seat is in the communes on the day (among those
        ever recorded there)."""
        ever = Organisation.history.filter(commune_id__in=ids).values("id")
        rows = self._organisation_rows(ever)
        return rows[np.isin(rows[:, 1], ids)]

    def _organisation_rows(self, ids) -> np.ndarray:
        """(id, commune, members, women, youth, active?, outside any union?, history id) of
        the organisations existing on the day (`ids`: a list or a query; None: all)."""
        if isinstance(ids, list) and len(ids) > _CHUNK:
            return np.concatenate([self._organisation_rows(part) for part in _chunks(ids)])
        rows = int_rows(latest_records(Organisation.history.model, self.day, ids).annotate(
            is_active=flag(Q(status=OrganisationStatus.ACTIVE)),
            no_union=flag(~Q(legal_form__in=UNION_FORMS) & Q(parent_union__isnull=True)),
            exists=flag(~Q(history_type="-")),
        ).values_list("id", "commune_id", "members_total", "members_women", "members_youth",
                      "is_active", "no_union", "history_id", "exists"), 9)
        return np.ascontiguousarray(rows[rows[:, 8] == 1][:, :8])

    def _link_rows(self, ids: list[int] | None, between: tuple[int, int] | None = None
                   ) -> np.ndarray:
        """(id, source, target, kind index) of the links counted on the day (`between`: of
        the link ids in this half-open range)."""
        if ids is not None and len(ids) > _CHUNK:
            return np.concatenate([self._link_rows(part) for part in _chunks(ids)])
        records = latest_records(CooperationLink.history.model, self.day, ids)
        if between is not None:
            records = records.filter(id__gte=between[0], id__lt=between[1])
        rows = int_rows(records.annotate(
            kind_code=kind_code(),
            counted=flag(link_counted_on(self.day) & ~Q(history_type="-")),
        ).values_list("id", "source_id", "target_id", "kind_code", "counted"), 5)
        return np.ascontiguousarray(rows[rows[:, 4] == 1][:, :4])

    def _memberships_of(self, history_ids: list[int]) -> np.ndarray:
        """(organisation, filière) kept by these organisation history records (many: the
        rows of their history id range, picked in numpy rather than a long IN list)."""
        if not history_ids:
            return _empty(2)
        # (A sort: np.unique hashes, 0.13 s on the national 200k ids.)
        wanted = unique_counts(np.array(history_ids, dtype=np.int64))[0]
        if len(wanted) <= _CHUNK:  # a few communes: their records only
            return _kept_by(self._membership_records(wanted.tolist()), wanted)
        return _kept_by(self._membership_records((int(wanted[0]), int(wanted[-1]))), wanted)

    @staticmethod
    def _membership_records(wanted: list[int] | tuple[int, int] | None) -> np.ndarray:
        """(history id, organisation, filière) of the organisations' filière records: those
        of the history ids in a list, of a (first, last) range of them, or (None) all."""
        records = historical_filieres_model().objects.filter(filiere_id__isnull=False)
        if isinstance(wanted, list):
            records = records.filter(history_id__in=wanted)
        elif wanted is not None:
            records = records.filter(history_id__gte=wanted[0], history_id__lte=wanted[1])
        return int_rows(records.order_by().values_list(
            "history_id", "organisation_id", "filiere_id"), 3)

    # Convergence -------------------------------------------------------------------------

    def organisation_figures(self, ids: list[int] | None) -> dict[tuple, list[int]]:
        """As `RegistryNow.organisation_figures`, on the day."""
        return figures_of(self._active(ids))

    def sector_presence(self, sector_ids: set[int], ids: list[int] | None
                        ) -> dict[int, dict[int, int]]:
        """As `RegistryNow.sector_presence`, on the day."""
        if not sector_ids:
            return {}
        return presence_of(self._active(ids), sector_ids)

    def _active(self, ids: list[int] | None) -> np.ndarray:
        """The rows of `RegistryNow._active_memberships` on the day: (organisation, commune,
        sector, ministry, members, women, youth) of the active organisations of the communes
        (None: all), one row per filière."""
        key = ("active", None if ids is None else tuple(ids))
        if key not in self._cache:
            rows = self._every_organisation() if ids is None else self._in_communes(ids)
            rows = rows[rows[:, 5] == 1]
            rows = rows[np.argsort(rows[:, 0])]  # distinct ids: any sort gives this order
            memberships = (self._every_membership() if ids is None
                           else self._memberships_of(rows[:, 7].tolist()))
            at = positions(np.ascontiguousarray(rows[:, 0]),
                           np.ascontiguousarray(memberships[:, 0]))
            memberships, at = memberships[at >= 0], at[at >= 0]
            filieres = Filiere.objects.values_list("id", "sector_id", "sector__ministry_id")
            sector = _lookup({f: s for f, s, _ in filieres}, memberships[:, 1])
            ministry = _lookup({f: m for f, _, m in filieres}, memberships[:, 1])
            known = sector >= 0  # a filière since deleted belongs to no ministry
            memberships, at = memberships[known], at[known]
            self._cache[key] = np.column_stack((memberships[:, 0], rows[at, 1], sector[known],
                                                ministry[known], rows[at, 2], rows[at, 3],
                                                rows[at, 4]))
        return self._cache[key]


def _kept_by(records: np.ndarray, history_ids: np.ndarray) -> np.ndarray:
    """(organisation, filière) of the filière records (history id, organisation, filière)
    that belong to one of the organisation history records `history_ids`."""
    wanted = np.sort(history_ids)  # distinct: one latest record per organisation
    rows = records[positions(wanted, np.ascontiguousarray(records[:, 0])) >= 0]
    return np.ascontiguousarray(rows[:, 1:])


def _lookup(mapping: dict[int, int], keys: np.ndarray) -> np.ndarray:
    """mapping[key] for each key, -1 where absent."""
    if not mapping:
        return np.full(len(keys), -1, dtype=np.int64)
    known = np.array(sorted(mapping), dtype=np.int64)
    values = np.array([mapping[k] for k in known.tolist()], dtype=np.int64)
    at = positions(known, np.ascontiguousarray(keys))
    return np.where(at >= 0, values[np.maximum(at, 0)], -1)


def _id_ranges(history_model, parts: int) -> list[tuple[int, int]]:
    """`parts` half-open ranges of about as many object ids each, covering every id of the
    history table (one range when it is empty)."""
    bounds = history_model.objects.aggregate(low=Min("id"), high=Max("id"))
    low, high = bounds["low"] or 0, (bounds["high"] or 0) + 1
    cuts = [low + (high - low) * part // parts for part in range(parts + 1)]
    return [(start, end) for start, end in zip(cuts, cuts[1:], strict=False) if end > start
            ] or [(low, high)]


def _chunks(ids: list[int]) -> list[list[int]]:
    return [ids[start:start + _CHUNK] for start in range(0, len(ids), _CHUNK)]


def _empty(width: int) -> np.ndarray:
    return np.empty((0, width), dtype=np.int64)
