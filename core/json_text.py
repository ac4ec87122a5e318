"""JSON kept as PostgreSQL `json` (the text as written) rather than `jsonb` (parsed into a
binary tree when written, printed back to text when read).

A report run's result is written once and always read whole, or one top-level key of it:
`jsonb`'s indexing and containment operators are never used on it, while its parsing cost
every national recompute. Measured on the national dataset: storing the national cooperation
result (3.4 MB) took PostgreSQL 0.083-0.092 s as `jsonb` against 0.027-0.029 s as `json`, and
reading it back 0.028 s against 0.009 s. `json` validates the text as it is written, so a
malformed value is still refused.

`JSONTextField` is Django's JSONField on a `json` column on PostgreSQL (elsewhere it is
JSONField itself). Its values are sent as `json`, not `jsonb` (Django's default, which would
make the server parse them as `jsonb` before casting). `json` values are read as text, as Django
reads `jsonb`, so the field decodes them as JSONField always does, the values of a key
(`result__opportunities`) included. What `json` lacks: the equality operator (no `=`,
`DISTINCT` or `UNION` over such a column), and the `jsonb` lookups (`contains`, `has_key`).
"""

from django.db import models
from django.db.backends.postgresql.operations import get_json_dumps
from django.db.backends.signals import connection_created
from psycopg.types.json import Json
from psycopg.types.string import TextLoader


class JSONTextField(models.JSONField):
    def db_type(self, connection):
        if connection.vendor == "postgresql":
            return "json"
        return super().db_type(connection)

    def get_db_prep_value(self, value, connection, prepared=False):
        if connection.vendor != "postgresql":
            return super().get_db_prep_value(value, connection, prepared)
        if not prepared:
            value = self.get_prep_value(value)
        return Json(value, dumps=get_json_dumps(self.encoder))


def read_json_as_text(sender, connection, **kwargs) -> None:
    """`json` values as text, as Django reads `jsonb` (psycopg would parse them itself)."""
    if connection.vendor != "postgresql":
        return
    connection.connection.adapters.register_loader("json", TextLoader)


connection_created.connect(read_json_as_text, dispatch_uid="reless_json_as_text")
