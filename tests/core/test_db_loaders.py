"""core.db_loaders: PostgreSQL timestamps read by psycopg's compiled loader give exactly the
values Django's own (Python) loader gives."""

import datetime

import pytest
from django.db import connection

pytestmark = [pytest.mark.django_db,
              pytest.mark.skipif(connection.vendor != "postgresql",
                                 reason="a PostgreSQL connection's set-up (CI runs it)")]

VALUES = ["2026-12-06 04:11:32.044393+00", "2024-08-15 12:46:00+00", "1969-07-20 20:17:40+00",
          "2099-12-31 23:59:59.999999+00", "2000-02-29 00:00:00.000001+00",
          "2026-03-29 01:30:00+01"]


def fetch(register=None) -> list:
    connection.ensure_connection()
    with connection.connection.cursor() as cursor:
        if register:
            register(cursor)
        cursor.execute("SELECT " + ", ".join(f"'{v}'::timestamptz" for v in VALUES)
                       + ", NULL::timestamptz")
        return list(cursor.fetchone())


def test_the_connection_reads_timestamps_with_the_compiled_loader():
    from psycopg.pq import Format
    from psycopg.types.datetime import TimestamptzLoader

    connection.ensure_connection()
    loader = connection.connection.adapters.get_loader(
        connection.connection.adapters.types["timestamptz"].oid, Format.TEXT)
    assert loader.__name__ == "UtcTimestamptzLoader"
    assert loader.timezone is datetime.UTC  # what Django's cursors compare
    instance = loader(connection.connection.adapters.types["timestamptz"].oid,
                      connection.connection)
    assert not isinstance(instance.load.__self__, TimestamptzLoader)  # the compiled one


def test_the_values_equal_djangos_own_loader():
    from django.db.backends.postgresql.psycopg_any import register_tzloader

    ours = fetch()
    djangos = fetch(lambda cursor: register_tzloader(datetime.UTC, cursor))
    assert ours == djangos
    assert [v.tzinfo for v in ours[:-1]] == [datetime.UTC] * len(VALUES)
    assert ours[0] == datetime.datetime(2026, 12, 6, 4, 11, 32, 44393, tzinfo=datetime.UTC)
    assert ours[-2] == datetime.datetime(2026, 3, 29, 0, 30, tzinfo=datetime.UTC)
    assert ours[-1] is None


def test_orm_values_keep_their_type(django_user_model):
    user = django_user_model.objects.create(username="loader")
    joined = django_user_model.objects.values_list("date_joined", flat=True).get(pk=user.pk)
    assert joined.tzinfo is datetime.UTC
    assert abs(joined - user.date_joined) < datetime.timedelta(microseconds=1)
