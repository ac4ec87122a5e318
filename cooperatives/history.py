"""The filière set kept in each organisation history record (simple_history `m2m_fields`).

simple_history copies an organisation's filières into its history record when the record is
written, but the registry writes filières after saving the organisation (and the import writes
history rows by hand), so every write path calls `history_filieres_refresh` once its filières
are in place: each organisation's latest history record then holds the set the organisation
had right after that write.
"""

from collections.abc import Iterable

from django.db import connection
from django.db.models import Max

from .models import Organisation, OrganisationFiliere

_CHUNK = 5_000  # ids per statement: under SQLite's parameter limit


def historical_filieres_model():
    """The history model of the organisation–filière relation (one row per filière of a
    history record: history_id, organisation_id, filiere_id)."""
    return Organisation.history.model.filieres.model


def history_filieres_refresh(organisation_ids: Iterable[int]) -> None:
    """Make the latest history record of each organisation hold its current filières.

    Two statements per chunk of 5,000 organisations, whatever their number of filières."""
    ids = sorted(set(organisation_ids))
    for start in range(0, len(ids), _CHUNK):
        _refresh_chunk(ids[start:start + _CHUNK])


def _refresh_chunk(ids: list[int]) -> None:
    latest = (Organisation.history.filter(id__in=ids).order_by().values("id")
              .annotate(last=Max("history_id")).values("last"))
    m2m = historical_filieres_model()
    m2m.objects.filter(history_id__in=latest)._raw_delete(m2m.objects.db)
    history_table = Organisation.history.model._meta.db_table
    placeholders = ", ".join(["%s"] * len(ids))
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {m2m._meta.db_table} (history_id, organisation_id, filiere_id, id) "
            f"SELECT latest.last, f.organisation_id, f.filiere_id, f.id "
            f"FROM {OrganisationFiliere._meta.db_table} f JOIN ("
            f"SELECT id, MAX(history_id) AS last FROM {history_table} "
            f"WHERE id IN ({placeholders}) GROUP BY id) latest ON latest.id = f.organisation_id",
            ids)
