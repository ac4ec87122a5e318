"""The cooperation report's three flat fetches (counted links, the organisations at their
ends or in the communes, their filières) as integer arrays, and the array helpers the
report's graph work uses (reports.cooperation)."""

from datetime import date
from itertools import chain

import numpy as np
from django.db import DataError, connections, transaction
from django.db.models import Case, IntegerField, Q, QuerySet, Value, When

from cooperatives.models import (
    CooperationLink,
    LegalForm,
    LinkKind,
    Organisation,
    OrganisationFiliere,
    OrganisationStatus,
)

KINDS: tuple[str, ...] = tuple(LinkKind.values)
UNION_FORMS = (LegalForm.UNION, LegalForm.FEDERATION)
_CHUNK = 50_000


def flag(condition: Q) -> Case:
    return Case(When(condition, then=Value(1)), default=Value(0), output_field=IntegerField())


def int_rows(queryset: QuerySet, width: int) -> np.ndarray:
    """The rows of a values_list of integers as an (n, width) array.

    On PostgreSQL the database packs every row's columns into one binary value (`int4send`,
    `string_agg`; `int8send` when a value needs 64 bits) that numpy reads in place: no Python
    object per row or per value (on a million rows Django's per-row converters, and even a
    plain cursor's tuples, cost more than the query itself). Elsewhere (SQLite) a plain
    cursor's rows, read in chunks.
    """
    sql, params = queryset.query.get_compiler(using=queryset.db).as_sql()
    connection = connections[queryset.db]
    if connection.vendor == "postgresql":
        return _packed_rows(connection, sql, params, width)
    chunks = []
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        while rows := cursor.fetchmany(_CHUNK):
            flat = np.fromiter(chain.from_iterable(rows), dtype=np.int64, count=len(rows) * width)
            chunks.append(flat.reshape(-1, width))
    return np.concatenate(chunks) if chunks else np.empty((0, width), dtype=np.int64)


def _packed_rows(connection, sql: str, params, width: int) -> np.ndarray:
    """32-bit values when every value fits (half the bytes to pack, send and read), else the
    same read in 64-bit values: PostgreSQL refuses the narrowing (inside a transaction, a
    savepoint keeps it usable). Checking the values first costs as much as the gain."""
    try:
        if not connection.in_atomic_block:  # a refused statement leaves nothing to undo
            return _packed(connection, sql, params, width, "int4", ">i4")
        with transaction.atomic(using=connection.alias):
            return _packed(connection, sql, params, width, "int4", ">i4")
    except DataError:  # a value past 32 bits
        return _packed(connection, sql, params, width, "int8", ">i8")


def _packed(connection, sql: str, params, width: int, sql_type: str, dtype: str) -> np.ndarray:
    columns = [f"c{i}" for i in range(width)]
    packed = " || ".join(_sends(columns, sql_type))
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*), string_agg({packed}, ''::bytea) "
                       f"FROM ({sql}) AS r({', '.join(columns)})", params)
        count, data = cursor.fetchone()
    rows = np.frombuffer(data or b"", dtype=dtype).astype(np.int64).reshape(-1, width)
    if len(rows) != count:  # a NULL makes its row's value NULL, which string_agg skips
        raise ValueError("int_rows: a NULL in an integer column")
    return rows


def _sends(columns: list[str], sql_type: str) -> list[str]:
    """The SQL writing each column's value in big-endian binary. 32-bit values go two at a
    time, as one 64-bit value (the high half the first, the low half the second): the same
    bytes as two `int4send`, for half the function calls and concatenations (on the
    national dataset the links' read fell from 195-207 to about 170 ms). Each value is
    still cast to int4 first, so a value past 32 bits is refused as before."""
    if sql_type != "int4":
        return [f"{sql_type}send({column}::{sql_type})" for column in columns]
    sends = [f"int8send(({high}::int4::int8 << 32) | ({low}::int4::int8 & 4294967295))"
             for high, low in zip(columns[::2], columns[1::2], strict=False)]
    if len(columns) % 2:
        sends.append(f"int4send({columns[-1]}::int4)")
    return sends


def unique_counts(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sorted distinct values and their counts (np.unique's hashing is slow on 1M keys)."""
    ordered = np.sort(values)
    if not len(ordered):
        return ordered, ordered.copy()
    starts = np.flatnonzero(np.concatenate(([True], ordered[1:] != ordered[:-1])))
    return ordered[starts], np.diff(np.append(starts, len(ordered)))


def positions(sorted_ids: np.ndarray, wanted: np.ndarray) -> np.ndarray:
    """Index of each wanted id in sorted_ids (ascending, distinct), -1 where absent.

    Ids are dense (database keys): a lookup table as long as the largest id answers each in
    one step; sparse ids (a table far longer than the ids) are searched instead."""
    if not len(sorted_ids):
        return np.full(len(wanted), -1, dtype=np.int64)
    top = int(sorted_ids[-1])
    if 0 <= int(sorted_ids[0]) and top <= 4 * len(sorted_ids) + 1024:
        table = np.full(top + 2, -1, dtype=np.int64)  # the last cell answers out-of-range ids
        table[sorted_ids] = np.arange(len(sorted_ids), dtype=np.int64)
        return table[np.clip(wanted, -1, top + 1)]
    pos = np.searchsorted(sorted_ids, wanted)
    pos_clipped = np.minimum(pos, len(sorted_ids) - 1)
    return np.where(sorted_ids[pos_clipped] == wanted, pos_clipped, -1)


def kind_code() -> Case:
    """The link kind as its index in KINDS, so that a link row is all integers."""
    return Case(*[When(kind=k, then=Value(i)) for i, k in enumerate(KINDS)],
                default=Value(KINDS.index(LinkKind.OTHER)), output_field=IntegerField())


def around(queryset: QuerySet, fields: tuple, on: date, ids: list[int] | None,
            inside: str, via_in: str, via_out: str) -> QuerySet:
    """Rows of `queryset` for the communes (`inside`), plus those reached through counted
    links from them (`via_in`: as a link's target, `via_out`: as its source); all rows when
    `ids` is None. A UNION of plain joins: each part runs on the commune and link indexes
    (an OR of subqueries makes PostgreSQL scan every link once per row)."""
    if ids is None:
        return queryset.values_list(*fields)
    counted = CooperationLink.objects.counted(on).order_by()
    return queryset.filter(**{f"{inside}__in": ids}).values_list(*fields).union(
        queryset.filter(**{f"{via_in}__in": counted.filter(source__commune_id__in=ids)})
        .values_list(*fields),
        queryset.filter(**{f"{via_out}__in": counted.filter(target__commune_id__in=ids)})
        .values_list(*fields))


def fetch_links(on: date, ids: list[int] | None, *, with_id: bool = True) -> QuerySet:
    """(id, source, target, kind index) of the counted links with an end in the communes;
    `with_id` False: the whole country's without their id (None for `ids` only: a quarter
    less for the database to pack, 0.07-0.2 s of the national read)."""
    links = CooperationLink.objects.counted(on).order_by().annotate(kind_code=kind_code())
    fields = ("id", "source_id", "target_id", "kind_code")
    if ids is None:
        return links.values_list(*fields[0 if with_id else 1:])
    if not with_id:
        raise ValueError("a commune's links are read with their id (the union's key)")
    return links.filter(source__commune_id__in=ids).values_list(*fields).union(
        links.filter(target__commune_id__in=ids).values_list(*fields))


def fetch_organisations(on: date, ids: list[int] | None) -> QuerySet:
    """(id, commune, members, active?, outside any union?) of the communes' organisations and
    of those at the far end of their counted links."""
    organisations = Organisation.objects.order_by().annotate(
        is_active=flag(Q(status=OrganisationStatus.ACTIVE)),
        no_union=flag(~Q(legal_form__in=UNION_FORMS) & Q(parent_union__isnull=True)))
    return around(organisations,
                   ("id", "commune_id", "members_total", "is_active", "no_union"), on, ids,
                   "commune_id", "links_in", "links_out")


def fetch_memberships(on: date, ids: list[int] | None) -> QuerySet:
    """(organisation, filière) of the same organisations as `fetch_organisations`."""
    return around(OrganisationFiliere.objects.order_by(), ("organisation_id", "filiere_id"),
                   on, ids, "organisation__commune_id", "organisation__links_in",
                   "organisation__links_out")
