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
from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np
from django.db.models import F, Q, QuerySet, Window
from django.db.models.functions import RowNumber
from django.utils import timezone

from cooperatives.history import historical_filieres_model
from cooperatives.models import CooperationLink, Organisation, OrganisationStatus, link_counted_on
from sectors.models import Filiere

from .cooperation_rows import UNION_FORMS, flag, int_rows, kind_code
from .registry import ministry_figures

_CHUNK = 20_000  # ids per IN list


def day_end(day: datetime.date) -> datetime.datetime:
    """The first instant after `day` in the platform's time zone."""
    return timezone.make_aware(datetime.datetime.combine(day + datetime.timedelta(days=1),
                                                         datetime.time.min))


def latest_records(history_model, day: datetime.date, ids=None) -> QuerySet:
    """`history_id` of each object's latest record dated on or before `day` (by history date,
    then history id), deletions included; `ids` (a list or a query of ids) narrows it."""
    records = history_model.objects.filter(history_date__lt=day_end(day))
    if ids is not None:
        records = records.filter(id__in=ids)
    return records.order_by().annotate(rank=Window(
        RowNumber(), partition_by=[F("id")],
        order_by=[F("history_date").desc(), F("history_id").desc()],
    )).filter(rank=1).values("history_id")


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

    def memberships(self, ids: list[int] | None) -> np.ndarray:
        return self._cooperation(ids)[2]

    def _cooperation(self, ids: list[int] | None) -> tuple:
        key = ("cooperation", None if ids is None else tuple(ids))
        if key not in self._cache:
            self._cache[key] = self._whole() if ids is None else self._around(ids)
        return self._cache[key]

    def _whole(self) -> tuple:
        return self._every_organisation(), self._link_rows(None), self._every_membership()

    def _every_organisation(self) -> np.ndarray:
        if "organisations" not in self._cache:
            self._cache["organisations"] = self._organisation_rows(None)
        return self._cache["organisations"]

    def _every_membership(self) -> np.ndarray:
        """(organisation, filière) of every organisation's latest record on the day."""
        if "memberships" not in self._cache:
            existing = latest_records(Organisation.history.model, self.day)
            self._cache["memberships"] = int_rows(historical_filieres_model().objects.filter(
                history_id__in=existing, filiere_id__isnull=False).order_by()
                .values_list("organisation_id", "filiere_id"), 2)
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
        model = Organisation.history.model
        if isinstance(ids, list) and len(ids) > _CHUNK:
            return np.concatenate([self._organisation_rows(part) for part in _chunks(ids)])
        records = model.objects.filter(
            history_id__in=latest_records(model, self.day, ids)).exclude(history_type="-")
        return int_rows(records.order_by().annotate(
            is_active=flag(Q(status=OrganisationStatus.ACTIVE)),
            no_union=flag(~Q(legal_form__in=UNION_FORMS) & Q(parent_union__isnull=True)),
        ).values_list("id", "commune_id", "members_total", "members_women", "members_youth",
                      "is_active", "no_union", "history_id"), 8)

    def _link_rows(self, ids: list[int] | None) -> np.ndarray:
        """(id, source, target, kind index) of the links counted on the day."""
        model = CooperationLink.history.model
        if ids is not None and len(ids) > _CHUNK:
            return np.concatenate([self._link_rows(part) for part in _chunks(ids)])
        records = (model.objects.filter(history_id__in=latest_records(model, self.day, ids))
                   .exclude(history_type="-").filter(link_counted_on(self.day)))
        return int_rows(records.order_by().annotate(kind_code=kind_code())
                        .values_list("id", "source_id", "target_id", "kind_code"), 4)

    def _memberships_of(self, history_ids: list[int]) -> np.ndarray:
        """(organisation, filière) kept by these organisation history records."""
        model = historical_filieres_model()
        parts = [int_rows(model.objects.filter(history_id__in=part, filiere_id__isnull=False)
                          .order_by().values_list("organisation_id", "filiere_id"), 2)
                 for part in _chunks(history_ids)]
        return np.concatenate(parts) if parts else _empty(2)

    # Convergence -------------------------------------------------------------------------

    def organisation_figures(self, ids: list[int] | None) -> dict[tuple, list[int]]:
        """As `RegistryNow.organisation_figures`, on the day."""
        ministry_of = dict(Filiere.objects.values_list("id", "sector__ministry_id"))
        rows = {(org, commune, ministry_of[filiere], members, women, youth)
                for org, commune, filiere, members, women, youth in self._active(ids)}
        return ministry_figures(rows)

    def sector_presence(self, sector_ids: set[int], ids: list[int] | None
                        ) -> dict[int, dict[int, int]]:
        """As `RegistryNow.sector_presence`, on the day."""
        if not sector_ids:
            return {}
        sector_of = dict(Filiere.objects.filter(sector_id__in=sector_ids)
                         .values_list("id", "sector_id"))
        found: dict[int, dict[int, set]] = defaultdict(lambda: defaultdict(set))
        for org, commune, filiere, *_ in self._active(ids):
            if filiere in sector_of:
                found[sector_of[filiere]][commune].add(org)
        return {s: {c: len(orgs) for c, orgs in communes.items()}
                for s, communes in found.items()}

    def _active(self, ids: list[int] | None) -> list[tuple]:
        """(organisation, commune, filière, members, women, youth) of the active
        organisations of the communes (None: all) on the day, one row per filière."""
        key = ("active", None if ids is None else tuple(ids))
        if key not in self._cache:
            rows = self._every_organisation() if ids is None else self._in_communes(ids)
            rows = rows[rows[:, 5] == 1]
            memberships = (self._every_membership() if ids is None
                           else self._memberships_of(rows[:, 7].tolist()))
            by_org = {r[0]: (r[1], r[2], r[3], r[4]) for r in rows.tolist()}
            self._cache[key] = [(org, *by_org[org][:1], filiere, *by_org[org][1:])
                                for org, filiere in memberships.tolist() if org in by_org]
        return self._cache[key]


def _chunks(ids: list[int]) -> list[list[int]]:
    return [ids[start:start + _CHUNK] for start in range(0, len(ids), _CHUNK)]


def _empty(width: int) -> np.ndarray:
    return np.empty((0, width), dtype=np.int64)
