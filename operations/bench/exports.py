"""EXPORT_CSV, EXPORT_XLSX and OPENDATA (issue 20): the national export as the national admin,
and the open-data CSV as a visitor gets it.

A national export is above EXPORT_SYNC_MAX_ROWS, so a user gets it from a job, as the pages
do: the request that asks for it (it records the job and answers with the job's page), the
job's page while it runs and once done, and the download of the written file, each timed
through Django's request cycle in-process (target 10 s: no request waits for the file). The
job's work (`cooperatives.export_jobs.run`, what the `exports` queue's worker runs) runs in a
process of its own (`python -m operations.bench.exports job ID`, one JSON line): its time and
its own peak memory (VmHWM, as P6), beside the requests.

OPENDATA: the open-data CSV served as a file once it is written (the registry unchanged):
median time of whole downloads through Django's request cycle, in-process."""

import json
import statistics
import sys
import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the child process imports this module before django.setup()
    from .context import Context

DOWNLOADS = 5
# A national file is ready within two minutes (the page says how far it is meanwhile).
EXPORT_JOB_TARGET = 120


def run_job(job_id: int) -> dict:
    """The export job's work, as its task runs it, in this process."""
    from accounts import access_log
    from cooperatives import export_jobs

    from .graph import peak_mb

    before = peak_mb()
    started = time.perf_counter()
    job = export_jobs.run(job_id)
    seconds = time.perf_counter() - started
    logged = access_log.waiting()
    access_log._queue.clear()  # measured, not meant to be stored
    size = export_jobs.file_path(job).stat().st_size
    return {"status": job.status, "rows": job.rows_total, "seconds": seconds,
            "us_per_row": seconds / max(job.rows_total, 1) * 1e6, "bytes": size,
            "peak_mb": peak_mb(), "peak_before_mb": before, "access_log_entries": logged}


def _timed(client, path: str, expect: int) -> tuple[float, object, int]:
    started = time.perf_counter()
    response = client.get(path)
    size = sum(len(chunk) for chunk in response.streaming_content) if response.streaming \
        else len(response.content)
    seconds = time.perf_counter() - started
    if response.status_code != expect:
        raise RuntimeError(f"{path} answered {response.status_code}, not {expect}")
    return seconds, response, size


def measure_exports(ctx: "Context", *, formats=("csv", "xlsx"), timeout: float = 900) -> None:
    from unittest import mock

    from django.test import Client
    from django.urls import reverse

    from cooperatives import tasks
    from cooperatives.models import ExportJob

    from .context import add_row
    from .home import _host
    from .measures import _json_process

    client = Client(SERVER_NAME=_host())
    client.force_login(ctx.admin)
    for fmt in formats:
        target = f"EXPORT_{fmt.upper()}"
        requests = {}
        # The task goes to the job's child process below, not to a worker.
        with mock.patch.object(tasks.run_export_job, "delay"):
            requests["ask"], response, _ = _timed(
                client, reverse("quality:export_organisations", args=[fmt]), 302)
        job = ExportJob.objects.get(pk=int(response["Location"].rstrip("/").rsplit("/", 1)[1]))
        page = reverse("quality:export_job", args=[job.pk])
        requests["progress page"], _, _ = _timed(client, page, 200)
        data = _json_process(ctx, ["-m", "operations.bench.exports", "job", str(job.pk)],
                             timeout)
        requests["done page"], _, _ = _timed(client, page, 200)
        requests["download"], _, size = _timed(
            client, reverse("quality:export_job_download", args=[job.pk]), 200)
        if size != data["bytes"]:
            raise RuntimeError(f"downloaded {size} bytes of {data['bytes']}")
        slowest = max(requests, key=requests.get)
        details = data | {"requests": {k: round(v, 4) for k, v in requests.items()}}
        add_row(ctx, target, f"national {fmt.upper()} export as the admin ({data['rows']:,} "
                f"rows, through its job): slowest request ({slowest})",
                round(requests[slowest], 3), "s", 10, "<",
                note=", ".join(f"{k} {v * 1000:.0f} ms" for k, v in requests.items()),
                details=details)
        add_row(ctx, target, f"national {fmt.upper()} export: the job's work (in the "
                "background, the page refreshing)", round(data["seconds"], 2), "s",
                EXPORT_JOB_TARGET, "<",
                note=f"{data['us_per_row']:.1f} µs per row, {data['bytes'] / 1e6:.1f} MB",
                details=details)
        add_row(ctx, target, f"national {fmt.upper()} export: the job's peak memory "
                "(process RSS)", round(data["peak_mb"], 1), "MB", 1024, "<",
                note=f"{data['peak_before_mb']:.0f} MB before the job", details=details)


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
    print("BENCH_JSON " + json.dumps(run_job(int(sys.argv[2]))), flush=True)


if __name__ == "__main__":
    main()
