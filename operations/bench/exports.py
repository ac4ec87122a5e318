"""EXPORT_CSV, EXPORT_XLSX and OPENDATA (issue 20): the national export as the national admin,
and the open-data CSV as a visitor gets it.

The exports run in a process of their own (`python -m operations.bench.exports USERNAME FMT`,
one JSON line), as the export job's task writes them (cooperatives.export_jobs): the rows of
`organisation_table` (read with `.values()`), written to a file with the platform's CSV or
XLSX writer. Time and the process's own peak memory (VmHWM, as P6). A national export is
above EXPORT_SYNC_MAX_ROWS, so a user gets it from a job: the row says how long that job
runs, and the target (10 s) is that of a request all the same.

OPENDATA: the open-data CSV served as a file once it is written (the registry unchanged):
median time of whole downloads through Django's request cycle, in-process."""

import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the child process imports this module before django.setup()
    from .context import Context

DOWNLOADS = 5


def measure_export(username: str, fmt: str) -> dict:
    """One national export as `username`, written to a temporary file."""
    from django.contrib.auth import get_user_model
    from django.http import QueryDict

    from accounts import access_log
    from cooperatives import export_jobs, exports

    from .graph import peak_mb

    user = get_user_model().objects.get(username=username)
    before = peak_mb()
    started = time.perf_counter()
    table = exports.organisation_table(user, QueryDict(), "/bench/export")
    rows = table.count()
    counted = time.perf_counter()
    with tempfile.TemporaryDirectory() as folder:
        target = Path(folder) / f"export.{fmt}"
        if fmt == "xlsx":
            exports.xlsx_write(table, str(target))
        else:
            export_jobs.write_csv_file(exports._lines(table), target, None,
                                       skip=len(table.provenance) + 2, bom=True)
        size = target.stat().st_size
    done = time.perf_counter()
    logged = access_log.waiting()
    access_log._queue.clear()  # measured, not meant to be stored
    return {"fmt": fmt, "rows": rows, "seconds": done - started,
            "count_seconds": counted - started, "us_per_row": (done - counted) / max(rows, 1)
            * 1e6, "bytes": size, "peak_mb": peak_mb(), "peak_before_mb": before,
            "access_log_entries": logged}


def measure_exports(ctx: "Context", *, formats=("csv", "xlsx"), timeout: float = 900) -> None:
    from .context import add_row
    from .measures import _json_process

    for fmt in formats:
        target = f"EXPORT_{fmt.upper()}"
        data = _json_process(ctx, ["-m", "operations.bench.exports", ctx.admin.username, fmt],
                             timeout)
        add_row(ctx, target, f"national {fmt.upper()} export as the admin ({data['rows']:,} "
                f"rows, the export job's work): time", round(data["seconds"], 3), "s", 10, "<",
                note=f"{data['us_per_row']:.1f} µs per row, {data['bytes'] / 1e6:.1f} MB; peak "
                     f"memory {data['peak_mb']:.0f} MB ({data['peak_before_mb']:.0f} MB before)",
                details=data)
        add_row(ctx, target, f"national {fmt.upper()} export: peak memory (process RSS)",
                round(data["peak_mb"], 1), "MB", 1024, "<", details=data)


def measure_open_data(ctx: "Context", *, downloads: int = DOWNLOADS) -> None:
    from django.core.cache import cache
    from django.test import Client

    from cooperatives import open_data_files

    from .context import add_row
    from .home import _host

    started = time.perf_counter()
    found, _path = open_data_files.current(open_data_files.CSV, open_data_files.write_csv)
    if found is None:
        # Another process writes it: wait until it is done (at most a minute), then read it.
        deadline = time.monotonic() + 60
        while cache.get(open_data_files.WRITING) and time.monotonic() < deadline:
            time.sleep(0.5)
        found, _path = open_data_files.current(open_data_files.CSV, open_data_files.write_csv)
    prepared = time.perf_counter() - started
    if found is None:
        raise RuntimeError("the open-data CSV is being written by another process")
    client = Client(SERVER_NAME=_host())
    times, size = [], 0
    for _ in range(downloads):
        started = time.perf_counter()
        response = client.get("/open-data/organisations.csv")
        size = sum(len(chunk) for chunk in response.streaming_content)
        times.append(time.perf_counter() - started)
        if response.status_code != 200 or size != int(response["Content-Length"]):
            raise RuntimeError(f"open-data CSV answered {response.status_code}")
    median = statistics.median(times)
    add_row(ctx, "OPENDATA", f"open-data CSV served as a file ({size / 1e6:.1f} MB): median "
            f"of {downloads} downloads, in-process", round(median * 1000, 2), "ms", 1000, "<",
            note=f"file ready or written first in {prepared:.2f} s (in the background after "
                 f"a change)", details={"downloads": downloads, "bytes": size,
                                        "times": [round(t, 4) for t in times],
                                        "prepare_seconds": round(prepared, 3)})


def main() -> None:
    import os

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "reless_platform.settings")
    django.setup()
    print("BENCH_JSON " + json.dumps(measure_export(sys.argv[1], sys.argv[2])), flush=True)


if __name__ == "__main__":
    main()
