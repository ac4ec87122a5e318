"""Where a value still sits in the database: every text, JSON and binary column of every
table (Django's and the platform's, history tables included), read with plain SQL."""

from django.db import connection

TEXT_TYPES_PG = {"character varying", "text", "json", "jsonb", "character", "bytea"}


def _columns() -> list[tuple[str, str, str]]:
    """(table, column, type) of every text-like column."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT table_name, column_name, data_type "
                           "FROM information_schema.columns WHERE table_schema = 'public'")
            return [row for row in cursor.fetchall() if row[2] in TEXT_TYPES_PG]
        found = []
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f'PRAGMA table_info("{table}")')
            for _cid, name, kind, *_rest in cursor.fetchall():
                kind = kind.lower()
                if any(t in kind for t in ("char", "text", "json", "blob")) or kind == "":
                    found.append((table, name, kind))
        return found


def tables_holding(value: str) -> list[str]:
    """"table.column" of every column where `value` appears (case-insensitive)."""
    hits = []
    with connection.cursor() as cursor:
        for table, column, kind in _columns():
            if kind == "bytea":
                sql = (f'SELECT COUNT(*) FROM "{table}" '
                       f'WHERE position(convert_to(%s, \'UTF8\') in "{column}") > 0')
                params = [value]
            else:
                sql = (f'SELECT COUNT(*) FROM "{table}" '
                       f'WHERE LOWER(CAST("{column}" AS TEXT)) LIKE %s')
                params = [f"%{value.lower()}%"]
            cursor.execute(sql, params)
            if cursor.fetchone()[0]:
                hits.append(f"{table}.{column}")
    return hits


def column_count() -> int:
    return len(_columns())
