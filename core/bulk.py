"""Rows written in bulk, faster than `bulk_create`: COPY on PostgreSQL, executemany on SQLite,
`bulk_create` elsewhere. The one bulk writer of the platform (the organisation import, the
dataset generator). It knows no model of ours: it is handed a model class and column names.

A row is a tuple of values in the order of the given `columns` (attnames: `commune_id`, not
`commune`), already checked (the database's constraints still hold). By default the values
are already in the column's Python type (int, str, bool, float, Decimal, date, aware
datetime, None) and no field code runs: the fast path. With `convert=True` each value first
goes through its field's `get_db_prep_save`, as `bulk_create` does (a float for an integer
column becomes an int, a text date a date): for rows built loosely, such as generated data.
Ids are part of the row: reserve them first (`reserve_ids`) or pick them while nothing else
writes the table.

    writer = BulkWriter()
    ids = writer.reserve_ids(Model, n)          # [] on a database without a fast path
    writer.insert(Model, ["id", "name"], rows)  # now; `rows` may be a generator
    writer.update(Model, ["name"], [(id, name), ...])   # id first, then the columns

    writer.declare(Model, ["id", "name"], convert=True)  # buffered: each model once,
    writer.add(Model, (1, "a"))                 # add rows,
    if writer.buffered() >= 50_000:             # and write them all, model after model in
        writer.flush()                          # the order they were declared
    writer.written                              # Counter: rows inserted per model

`reserve_ids`: PostgreSQL takes them from the table's sequence (one statement); SQLite takes
the write lock first, then counts from the highest id (or the sqlite_sequence entry), so no
other writer can take the same ids. On PostgreSQL, `insert` uses COPY in binary format with
the types read from the table; on SQLite, one executemany with the dates and datetimes in the
database's text form; `update` sends `UPDATE … FROM (VALUES …)` in chunks. Everything runs on
the current transaction of the `using` connection.
"""

from collections import Counter
from collections.abc import Iterable, Iterator

from django.db import DEFAULT_DB_ALIAS, connections, models

BATCH = 1_000


class BulkWriter:
    """Rows inserted and updated in bulk on one database connection (see the module)."""

    def __init__(self, using: str = DEFAULT_DB_ALIAS, batch_size: int = BATCH):
        self.connection = connections[using]
        self.vendor = self.connection.vendor
        self.batch_size = batch_size
        self.written: Counter = Counter()
        self.columns: dict[type, tuple[list[str], bool]] = {}
        self.rows: dict[type, list[tuple]] = {}

    # Buffered rows -------------------------------------------------------------------------

    def declare(self, model, columns: list[str], *, convert: bool = False) -> None:
        """The columns of the rows `add` will buffer for `model` (`convert`: see the module);
        `flush` writes the models in the order they were declared."""
        self.columns[model] = (columns, convert)
        self.rows[model] = []

    def add(self, model, row: tuple) -> None:
        self.rows[model].append(row)

    def buffered(self) -> int:
        """How many rows wait for `flush`."""
        return sum(len(rows) for rows in self.rows.values())

    def flush(self) -> None:
        """Insert every buffered row, model after model in declaration order."""
        for model, rows in self.rows.items():
            if rows:
                columns, convert = self.columns[model]
                self.insert(model, columns, rows, convert=convert)
                rows.clear()

    # Immediate writes ------------------------------------------------------------------------

    def reserve_ids(self, model, count: int) -> list[int]:
        """`count` new ids of the model's table (its primary key column is `id`), or [] on a
        database without a fast path: then leave ids out and let `insert` (bulk_create)
        assign them."""
        connection = self.connection
        table = model._meta.db_table
        with connection.cursor() as cursor:
            if self.vendor == "postgresql":
                # The sequence named once: pg_get_serial_sequence() in the select list would
                # be looked up again for every id (8 times slower).
                cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table])
                sequence = cursor.fetchone()[0]
                cursor.execute("SELECT nextval(%s::regclass) FROM generate_series(1, %s)",
                               [sequence, count])
                return [row[0] for row in cursor.fetchall()]
            if self.vendor == "sqlite":
                # A write first, so this transaction holds SQLite's write lock before it
                # reads the highest id: no other writer can take the same ids.
                cursor.execute("UPDATE sqlite_sequence SET seq = seq WHERE name = %s", [table])
                cursor.execute(f"SELECT MAX(id) FROM {connection.ops.quote_name(table)}")
                start = (cursor.fetchone()[0] or 0) + 1
                cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
                used = cursor.fetchone()
                start = max(start, (used[0] + 1) if used else 1)
                return list(range(start, start + count))
        return []

    def insert(self, model, columns: list[str], rows: Iterable[tuple], *,
               convert: bool = False) -> None:
        """Insert the rows (tuples in `columns` order; `convert`: see the module). `rows` may
        be a generator: on PostgreSQL the server stores the first rows while the next ones
        are built."""
        fields = [model._meta.get_field(name) for name in columns]
        rows = self._counted(model, rows)
        if convert and self.vendor in ("postgresql", "sqlite"):
            rows = self._converted(fields, rows)
        if self.vendor == "postgresql":
            self._copy(model, fields, rows)
        elif self.vendor == "sqlite":
            self._executemany(model, fields, rows, adapt=not convert)
        else:
            model._default_manager.using(self.connection.alias).bulk_create(
                [model(**dict(zip(columns, row, strict=True))) for row in rows],
                batch_size=self.batch_size)

    def update(self, model, columns: list[str], rows: list[tuple]) -> None:
        """Set `columns` of the rows whose id is each tuple's first value (the others follow
        in `columns` order): one UPDATE … FROM (VALUES …) per chunk of rows (PostgreSQL and
        SQLite only)."""
        connection = self.connection
        quote = connection.ops.quote_name
        fields = [model._meta.pk, *(model._meta.get_field(name) for name in columns)]
        if self.vendor == "postgresql":  # typed placeholders, named VALUES columns
            one = "(" + ", ".join(f"%s::{f.db_type(connection)}" for f in fields) + ")"
            alias = "v(" + ", ".join(f"column{i + 1}" for i in range(len(fields))) + ")"
            size = 1000
        else:  # SQLite names the VALUES columns column1, column2… itself
            rows = list(_adapted(rows, self._adapters(fields)))
            one, alias = "(" + ", ".join(["%s"] * len(fields)) + ")", "v"
            size = max(1, 999 // len(fields))
        sets = ", ".join(f"{quote(f.column)} = v.column{i + 1}"
                         for i, f in enumerate(fields) if i)
        table = quote(model._meta.db_table)
        with connection.cursor() as cursor:
            for start in range(0, len(rows), size):
                chunk = rows[start:start + size]
                cursor.execute(
                    f"UPDATE {table} SET {sets} FROM (VALUES {', '.join([one] * len(chunk))}) "
                    f"AS {alias} WHERE {table}.{quote(fields[0].column)} = v.column1",
                    [value for row in chunk for value in row])

    # The paths -------------------------------------------------------------------------------

    def _converted(self, fields, rows: Iterable[tuple]) -> Iterator[tuple]:
        preps = [field.get_db_prep_save for field in fields]
        connection = self.connection
        for row in rows:
            yield tuple(prep(value, connection) for prep, value in zip(preps, row, strict=True))

    def _counted(self, model, rows: Iterable[tuple]) -> Iterator[tuple]:
        for row in rows:
            self.written[model] += 1
            yield row

    def _copy(self, model, fields, rows) -> None:
        """COPY in PostgreSQL's binary format, the columns' types read from the table: a
        seventh of the client's time of the text format, and no text for the server to
        parse (the values are already Python ints, dates, aware datetimes and texts)."""
        quote = self.connection.ops.quote_name
        table = quote(model._meta.db_table)
        names = ", ".join(quote(f.column) for f in fields)
        with self.connection.cursor() as cursor:
            cursor.execute(f"SELECT {names} FROM {table} LIMIT 0")
            types = [column.type_code for column in cursor.description]
            with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN (FORMAT BINARY)") as copy:
                copy.set_types(types)
                for row in rows:
                    copy.write_row(row)

    def _adapters(self, fields) -> dict:
        ops = self.connection.ops
        return {i: ops.adapt_datetimefield_value if isinstance(f, models.DateTimeField)
                else ops.adapt_datefield_value for i, f in enumerate(fields)
                if isinstance(f, models.DateField)}  # DateTimeField is a DateField

    def _executemany(self, model, fields, rows, *, adapt: bool = True) -> None:
        """(`adapt`: dates and datetimes still to put in SQLite's text form; rows converted
        by their fields already are.)"""
        quote = self.connection.ops.quote_name
        adapters = self._adapters(fields) if adapt else {}
        if adapters:
            rows = _adapted(rows, adapters)
        sql = (f"INSERT INTO {quote(model._meta.db_table)} "
               f"({', '.join(quote(f.column) for f in fields)}) "
               f"VALUES ({', '.join(['%s'] * len(fields))})")
        with self.connection.cursor() as cursor:
            cursor.executemany(sql, rows)


def _adapted(rows: Iterable[tuple], adapters: dict) -> Iterator[tuple]:
    """Rows with their date and time values in the database's text form (each distinct value
    adapted once: an import repeats a few dates and one timestamp)."""
    memo: dict = {}
    for row in rows:
        row = list(row)
        for i, adapt in adapters.items():
            value = row[i]
            if value is not None:
                key = (i, value)
                if key not in memo:
                    memo[key] = adapt(value)
                row[i] = memo[key]
        yield tuple(row)
