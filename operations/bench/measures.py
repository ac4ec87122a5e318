"""P3, P6 and P8: query counts in-process, the graph metrics and the CSV import each in a
process of its own."""

import json
import subprocess
import sys

from django.db import connection

from cooperatives import search_words
from cooperatives.models import DuplicateFlag, Organisation, OrganisationFiliere, RegistryEvent

from . import csv_import, load, procs, queries
from .context import Context, add_row
from .rows import not_measured

IMPORT_TIMEOUT = 600  # seconds: 50,000 rows at a tenth of the target rate


def measure_p6(ctx: Context) -> None:
    data = _json_process(ctx, ["-m", "operations.bench.graph", ctx.on.isoformat()], 300)
    add_row(ctx, "P6", f"national graph metrics ({data['links']:,} links): time", data["seconds"],
         "s", 5, "<", note=f"fetch {data['load_seconds']:.2f} s + graph "
         f"{data['graph_seconds']:.2f} s; {data['active_organisations']:,} active "
         f"organisations, {data['components']:,} components", details=data)
    add_row(ctx, "P6", "national graph metrics: peak memory (process RSS)", data["peak_mb"], "MB",
         1024, "<", note=f"{data['peak_before_mb']:.0f} MB before (Django loaded)",
         details=data)


# -- P3 and P8: in-process -----------------------------------------------------------------------


def measure_p3(ctx: Context) -> None:
    counts = queries.count_queries(ctx.admin, ctx.commune.pcode)
    differ = [c for c in counts if not c.equal]
    broken = [c for c in counts if any(s >= 500 for s in c.status.values())]
    note = "; ".join(f"{c.url}: {c.queries[1]} vs {c.queries[100]}" for c in differ[:4])
    if broken:
        note += "; server errors: " + ", ".join(c.url for c in broken)
    add_row(ctx, "P3", f"queries differ at page_size 1 vs 100 ({len(counts)} list/report "
         "endpoints)", len(differ) + len(broken), "endpoints", 0,
         "==", note=note.strip("; "), details={"endpoints": [c.as_dict() for c in counts]})


def measure_p8(ctx: Context) -> None:
    """In a process of its own, so a slow import is stopped at IMPORT_TIMEOUT (its transaction
    then rolls back with the connection)."""
    try:
        csv_import.importer()
    except csv_import.ImportUnavailable as error:
        ctx.rows.append(not_measured("P8", f"not measured: import not available ({error})"))
        return
    rows = ctx.options.import_rows
    try:
        data = _json_process(ctx, ["-m", "operations.bench.csv_import", str(ctx.agent.pk),
                                   str(ctx.commune.pk), str(rows)], IMPORT_TIMEOUT)
    except subprocess.TimeoutExpired:
        _vacuum_import_tables()
        add_row(ctx, "P8", f"CSV import of {rows:,} rows, checked and written", None, "rows/s",
             5000, ">=", note=f"stopped after {IMPORT_TIMEOUT} s: below "
             f"{rows / IMPORT_TIMEOUT:,.0f} rows/s")
        return
    _vacuum_import_tables()
    if "unavailable" in data:
        ctx.rows.append(not_measured("P8", "not measured: import not available "
                                            f"({data['unavailable']})"))
        return
    figure = data["import_rows_per_s"] if not data["errors"] and data["written"] else None
    note = (f"dry run (checks only) {data['dry_run_rows_per_s']:,.0f} rows/s; rolled back"
            if figure else f"import refused: {data['errors']} errors, e.g. "
            + "; ".join(data["first_errors"]))
    add_row(ctx, "P8", f"CSV import, {data['rows']:,} rows ({data['bytes'] / 1e6:.1f} MB) checked "
         "and written", figure, "rows/s", 5000, ">=", note=note, details=data)


def _vacuum_import_tables() -> None:
    """The rolled-back import leaves tens of thousands of dead rows in the tables it wrote;
    clear them (a server with autovacuum off would otherwise slow every later measurement)."""
    models = (Organisation, Organisation.history.model, OrganisationFiliere, RegistryEvent,
              RegistryEvent.history.model, DuplicateFlag)
    tables = [model._meta.db_table for model in models]
    with connection.cursor() as cursor:
        for table in [*tables, *search_words.index_tables(connection)]:
            cursor.execute(f"VACUUM ANALYZE {connection.ops.quote_name(table)}")


def _json_process(ctx: Context, args: list[str], timeout: float) -> dict:
    """Run `python ARGS` in its own process group; its BENCH_JSON line, parsed."""
    process = procs.Process(args[1].rsplit(".", 1)[-1] if args[0] == "-m" else "script",
                            [sys.executable, *args], procs.child_env(), ctx.log_dir)
    out = process.log
    with process:
        try:
            process.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            process.stop(grace=2)
            raise
    text = out.read_text(errors="replace")
    # The log file is named after the module and appended to: its last result is this run's.
    line = next((line for line in reversed(text.splitlines()) if line.startswith(load.MARK)),
                None)
    if line is None:
        raise RuntimeError(f"{' '.join(args)} gave no result (exit "
                           f"{process.popen.returncode}): {text[-2000:]}")
    return json.loads(line[len(load.MARK):])
