"""The generator's bulk writer: rows buffered per model, written with COPY (PostgreSQL) or
bulk_create. Kept apart so that one shared COPY writer can replace it (see `Sink`)."""

from collections import Counter
from collections.abc import Collection

from django.db import connection


class Sink:
    """Rows buffered per model and written in bulk, in the order the models were declared.

    The whole interface:

    - `Sink(copy_models=(...), batch_size=2000)`: `copy_models` are written with COPY on
      PostgreSQL; every other model (and every model elsewhere) with `bulk_create`.
    - `declare(model, columns)`: once per model, before its first row; `columns` are attnames
      (`"commune_id"`, id first). Models are flushed in the order they were declared, so
      declare a model after the models its rows point to.
    - `add(model, row)`: buffer one row, a tuple in the declared columns' order, ids included
      (the caller assigns them; nothing is read back).
    - `buffered()`: rows waiting; `flush()`: write them all (call it before reading them).
    - `written`: a Counter of rows written per model.

    Bulk writes send no signals and record no django-simple-history rows."""

    def __init__(self, *, copy_models: Collection[type] = (), batch_size: int = 2000):
        self.columns: dict[type, list[str]] = {}
        self.rows: dict[type, list[tuple]] = {}
        self.written: Counter = Counter()
        self.batch_size = batch_size
        self.copy_models = frozenset(copy_models)
        self.copy = connection.vendor == "postgresql"

    def declare(self, model, columns: list[str]) -> None:
        self.columns[model] = columns
        self.rows[model] = []

    def add(self, model, row: tuple) -> None:
        self.rows[model].append(row)

    def buffered(self) -> int:
        return sum(len(rows) for rows in self.rows.values())

    def flush(self) -> None:
        for model, rows in self.rows.items():
            if not rows:
                continue
            if self.copy and model in self.copy_models:
                self._copy(model, rows)
            else:
                columns = self.columns[model]
                model.objects.bulk_create(
                    [model(**dict(zip(columns, row, strict=True))) for row in rows],
                    batch_size=self.batch_size)
            self.written[model] += len(rows)
            rows.clear()

    def _copy(self, model, rows) -> None:
        opts, quote = model._meta, connection.ops.quote_name
        columns = ", ".join(quote(opts.get_field(name).column) for name in self.columns[model])
        with connection.cursor() as cursor:
            with cursor.cursor.copy(f"COPY {quote(opts.db_table)} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)

