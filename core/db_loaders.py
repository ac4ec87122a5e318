"""A faster reader of PostgreSQL `timestamptz` values, the same values as Django's.

Django (5.2, psycopg 3) registers a timestamptz loader written in Python on every connection,
a subclass of psycopg's pure-Python loader that sets the connection's time zone on each value:
about 4 µs per value, the largest cost of a national export (two timestamps per
organisation, 400,000 values: 1.5 s of CPU). When the connection's session time zone is UTC
and Django's is UTC too (`USE_TZ`, no per-database `TIME_ZONE`: this project's settings),
psycopg's compiled loader (psycopg-binary) reads the same values with the same `tzinfo`
(datetime.timezone.utc) in 0.2 µs; this registers it, with the `timezone` attribute Django's
cursors read. Anywhere else (another time zone, SQLite, no compiled psycopg) nothing changes.
"""

import datetime

from django.db.backends.signals import connection_created


def _compiled_loader():
    try:
        import psycopg
        from psycopg.pq import Format
    except ImportError:  # pragma: no cover - psycopg is a dependency
        return None
    loader = psycopg.adapters.get_loader(psycopg.adapters.types["timestamptz"].oid,
                                         Format.TEXT)
    if loader is None or not loader.__module__.startswith("psycopg_binary"):
        return None

    compiled = loader

    class UtcTimestamptzLoader(psycopg.adapt.Loader):
        """Django's attribute (`timezone`, read by its cursors), psycopg's compiled `load`
        (the compiled class cannot be subclassed: its bound method is used directly)."""

        timezone = datetime.UTC

        def __init__(self, oid, context=None):
            super().__init__(oid, context)
            # The instance's attribute, found before the class's method: no extra call.
            self.load = self._compiled_load = compiled(oid, context).load

        def load(self, data):  # pragma: no cover - shadowed by the instance's attribute
            return self._compiled_load(data)

    return UtcTimestamptzLoader


_LOADER = _compiled_loader()


def register_fast_timestamps(sender, connection, **kwargs) -> None:
    if (_LOADER is None or connection.vendor != "postgresql"
            or connection.timezone != datetime.UTC
            or connection.connection.info.parameter_status("TimeZone") != "UTC"):
        return
    connection.connection.adapters.register_loader("timestamptz", _LOADER)


connection_created.connect(register_fast_timestamps, dispatch_uid="reless_fast_timestamps")
