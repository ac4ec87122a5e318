"""Accent- and case-insensitive text search that an index can serve.

`Folded(expression)` is the text folded the same way on every database: lower case, accents
removed ("Équipe" and "EQUIPE" both become "equipe"). On PostgreSQL it is the SQL function
`reless_fold`, an immutable wrapper of `unaccent` + `lower` created by a migration with
trigram (pg_trgm) GIN indexes on the folded columns, so `LIKE '%…%'` on them is an index scan;
on SQLite it is the same Python function, registered on each connection (slower, no index).
`fold` is that function, for the searched text.
"""

import unicodedata

from django.db.backends.signals import connection_created
from django.db.models import CharField, Func


def fold(text: str | None) -> str | None:
    """Lower case without accents (NFKD, combining marks dropped): what `Folded` compares."""
    if text is None:
        return None
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


class Folded(Func):
    function = "reless_fold"
    output_field = CharField()


# The PostgreSQL side, created by cooperatives' migration 0012 (needs the pg_trgm and unaccent
# extensions, shipped with PostgreSQL's contrib).
POSTGRES_FUNCTION = """
CREATE OR REPLACE FUNCTION reless_fold(text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
    AS $$ SELECT lower(public.unaccent('public.unaccent'::regdictionary, $1)) $$
"""


def register_sqlite_function(sender, connection, **kwargs) -> None:
    if connection.vendor == "sqlite":
        connection.connection.create_function("reless_fold", 1, fold, deterministic=True)


connection_created.connect(register_sqlite_function, dispatch_uid="reless_fold")
