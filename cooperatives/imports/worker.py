"""The worker's side of an import job: run it (a redelivered task does nothing twice), record
its outcome or its failure, and sweep the jobs a lost message left waiting."""

import datetime

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone, translation

from ..models import ImportJob
from .results import ImportResult
from .service import import_organisations
from .spreadsheets import OutOfMemory


def import_job_run(job_id: int) -> ImportJob | None:
    """Run a queued job (or one a dead worker left running); a finished job is left alone,
    so a redelivered task does nothing twice. Failures are recorded on the job."""
    job = ImportJob.objects.select_related("uploader", "commune").filter(pk=job_id).first()
    if job is None or job.is_finished:
        return job
    ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.RUNNING,
                                               rows_checked=0)

    def progress(checked: int, total: int) -> None:
        ImportJob.objects.filter(pk=job.pk).update(rows_checked=checked, rows_total=total)

    def unfinished() -> bool:  # locks the job: a second delivery waits, then sees it done
        return ImportJob.objects.select_for_update().filter(pk=job.pk).exclude(
            status=ImportJob.Status.DONE).exists()

    try:
        with translation.override(job.language):
            result = import_organisations(
                user=job.uploader, commune=job.commune, rows=bytes(job.content),
                file_name=job.file_name, dry_run=job.dry_run, progress=progress,
                before_write=unfinished, on_written=lambda r: _finish(job, r), isolated=True)
    except PermissionDenied:
        return _fail(job, "The uploader may no longer write to this commune.")
    except OutOfMemory as error:  # its message is in the uploader's language
        return _fail(job, str(error))
    if not result.written:
        with transaction.atomic():
            if unfinished():
                _finish(job, result)
    job.refresh_from_db(fields=["status"])
    return job


def _finish(job: ImportJob, result: ImportResult) -> None:
    job.status = ImportJob.Status.DONE
    job.rows_total = job.rows_checked = result.rows
    job.created_count = len(result.created)
    job.updated_count = len(result.updated)
    job.refused_count = len(result.refused_lines) or (1 if result.errors else 0)
    job.result = result.to_json()
    job.finished_at = timezone.now()
    fields = ["status", "rows_total", "rows_checked", "created_count", "updated_count",
              "refused_count", "result", "finished_at"]
    if result.written:
        job.content = b""  # the rows are in the registry now
        fields.append("content")
    job.save(update_fields=fields)


def import_jobs_fail_stale(max_age_seconds: int = 3600) -> int:
    """Jobs queued or running for longer than any import may take are marked failed (a lost
    message must not leave a job waiting forever)."""
    limit = timezone.now() - datetime.timedelta(seconds=max_age_seconds)
    return ImportJob.objects.filter(
        status__in=[ImportJob.Status.QUEUED, ImportJob.Status.RUNNING], created_at__lt=limit,
    ).update(status=ImportJob.Status.FAILED, finished_at=timezone.now(),
             error="Timed out: no worker finished this import.")


def import_job_fail(job_id: int, error: BaseException | str) -> None:
    """Record a failure so a job is never left running forever."""
    ImportJob.objects.filter(pk=job_id).exclude(status=ImportJob.Status.DONE).update(
        status=ImportJob.Status.FAILED, error=str(error)[:5000], finished_at=timezone.now())


def _fail(job: ImportJob, error: str) -> ImportJob:
    import_job_fail(job.pk, error)
    job.refresh_from_db()
    return job
