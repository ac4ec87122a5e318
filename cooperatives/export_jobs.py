"""Exports too large for one request (more than settings.EXPORT_SYNC_MAX_ROWS rows): the
request records an ExportJob and a task of the `exports` queue writes its file under
settings.EXPORT_DIR, telling the job how many rows are written every 1,000; the owner follows
it on a page that refreshes itself and downloads the file there (404 to anyone else). Files
are deleted, with their jobs, EXPORT_KEEP_HOURS after they were asked for.

The task exports as the job's user, with the request's filters, in the request's language:
the same rows, the same consent rule and the same access log as a streamed export."""

import datetime
import logging
import time
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.http import QueryDict
from django.utils import timezone, translation

from core import csvsafe
from core.collection import fewer_collections

from . import exports
from .access import ExportLog
from .filters import OrganisationFilterSet
from .models import ExportJob
from .permissions import get_commune_for_user, organisations_visible_to

logger = logging.getLogger(__name__)


def export_dir() -> Path:
    path = Path(settings.EXPORT_DIR)
    path.mkdir(parents=True, exist_ok=True)
    return path


def file_path(job: ExportJob) -> Path:
    return Path(settings.EXPORT_DIR) / job.file_name


def list_queryset(user, query: QueryDict, pcode: str = ""):
    """The registry list's organisations (views_registry.organisation_list), for a job."""
    queryset = organisations_visible_to(user)
    if pcode:
        queryset = queryset.in_commune(get_commune_for_user(user, pcode, need="write"))
    data = query.copy()
    if not data.get("ordering") and not data.get("q", "").strip():
        data["ordering"] = "name"
    return OrganisationFilterSet(data, queryset=queryset).qs


def _query(job: ExportJob) -> QueryDict:
    query = QueryDict(mutable=True)
    for key, value in job.params.get("query", []):
        query.appendlist(key, value)
    return query


def _progress(job_id: int):
    def tell(done: int) -> None:
        ExportJob.objects.filter(pk=job_id).update(rows_done=done)
    return tell


def run(job_id: int) -> ExportJob | None:
    """Write the job's file (once: a job found done or failed is left alone)."""
    with transaction.atomic():
        job = ExportJob.objects.select_for_update().filter(pk=job_id).first()
        if job is None or job.is_finished:
            return job
        job.status = ExportJob.Status.RUNNING
        job.file_name = f"{job.pk}-{job.token}.{job.fmt}"
        job.save(update_fields=["status", "file_name"])
    if settings.EXPORT_TASK_DELAY:
        time.sleep(settings.EXPORT_TASK_DELAY)
    target = export_dir() / job.file_name
    # Fewer collections: the rows' access-log entries are kept until the job ends.
    with translation.override(job.params.get("language", "fr")), fewer_collections():
        if job.kind == ExportJob.Kind.LIST:
            _write_list(job, target)
        else:
            table = exports.organisation_table(job.user, _query(job), job.params.get("path", ""))
            if job.fmt == "xlsx":
                exports.xlsx_write(table, str(target), _progress(job.pk))
            else:
                write_csv_file(exports._lines(table), target, job.pk,
                               skip=len(table.provenance) + 2, bom=True)
    done = timezone.now()
    rows = ExportJob.objects.filter(pk=job.pk)
    rows.update(status=ExportJob.Status.DONE, finished_at=done, rows_done=job.rows_total)
    return rows.first()


def _write_list(job: ExportJob, target: Path) -> None:
    organisations = list_queryset(job.user, _query(job), job.params.get("pcode", ""))
    log = ExportLog(job.user, job.params.get("path", ""))
    write_csv_file(exports.registry_list_rows(organisations, log), target, job.pk, skip=1)


def write_csv_file(lines, target: Path, job_id: int | None, *, skip: int,
                   bom: bool = False) -> None:
    """Write CSV `lines` (the first `skip` are no rows) into `target`, telling the job."""
    tell = _progress(job_id) if job_id else None
    with open(target, "w", encoding="utf-8", newline="") as out:
        if bom:
            out.write("\ufeff")
        writer = csvsafe.writer(out)
        for number, line in enumerate(lines, 1 - skip):
            writer.writerow(exports.csv_cells(line))
            if tell and number > 0 and not number % 1000:
                tell(number)


def fail(job_id: int, error: BaseException) -> None:
    ExportJob.objects.filter(pk=job_id).update(
        status=ExportJob.Status.FAILED, error=f"{type(error).__name__}: {error}"[:2000],
        finished_at=timezone.now())


def expire(hours: float | None = None) -> int:
    """Delete the jobs asked for more than `hours` ago (EXPORT_KEEP_HOURS), files included."""
    hours = settings.EXPORT_KEEP_HOURS if hours is None else hours
    old = ExportJob.objects.filter(
        created_at__lt=timezone.now() - datetime.timedelta(hours=hours))
    for job in old.exclude(file_name=""):
        file_path(job).unlink(missing_ok=True)
    return old.delete()[0]
