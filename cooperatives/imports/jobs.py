"""The request's side of an import job: record an upload and queue it (a worker runs it, see
`worker`), confirm a clean dry run, fetch a job for its uploader."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.utils import translation
from django.utils.translation import gettext as _

from communes.models import Commune

from ..models import ImportJob
from ..permissions import can_write_commune, scope_of
from .reading import MAX_BYTES, TEXT_EXTENSIONS, upload_limits
from .spreadsheets import UnreadableFile, check_upload
from .tasks import run_import_job


def import_job_create(*, user, commune: Commune, file_name: str, content: bytes,
                      dry_run: bool) -> ImportJob:
    """Record an upload and queue its check or import (run on commit by a worker)."""
    if not can_write_commune(user, commune.pk):
        raise PermissionDenied
    if len(content) > MAX_BYTES:
        raise ValidationError(_("The file is too large: at most %(mb)s MB.")
                              % {"mb": MAX_BYTES // (1024 * 1024)})
    if not file_name.lower().endswith((".csv", ".xlsx", ".txt")):
        raise ValidationError(_("Choose a .csv or .xlsx file."))
    try:  # the fast checks (zip directory, declared sizes); the worker reads the rows
        check_upload(content, file_name, upload_limits(),
                                  text_extensions=TEXT_EXTENSIONS)
    except UnreadableFile as error:
        raise ValidationError(str(error)) from None
    job = ImportJob.objects.create(uploader=user, commune=commune, file_name=file_name[:255],
                                   content=content, dry_run=dry_run,
                                   language=translation.get_language() or "fr")
    _enqueue(job)
    return job


def import_job_confirm(*, user, job: ImportJob) -> ImportJob:
    """Import the file of a clean dry run: a new job, on the same content."""
    if job.uploader_id != user.pk or not can_write_commune(user, job.commune_id):
        raise PermissionDenied
    if not (job.dry_run and job.status == ImportJob.Status.DONE and job.refused_count == 0
            and job.content):
        raise ValidationError(_("Only a checked file without errors can be imported."))
    return import_job_create(user=user, commune=job.commune, file_name=job.file_name,
                             content=bytes(job.content), dry_run=False)


def _enqueue(job: ImportJob) -> None:
    transaction.on_commit(lambda: run_import_job.delay(job.pk))



def get_import_job_for_user(user, pk) -> ImportJob:
    """An import job for its uploader (or a national admin), else 404."""
    jobs = ImportJob.objects.select_related("commune", "uploader").defer("content")
    if not scope_of(user).is_admin:
        jobs = jobs.filter(uploader=user)
    try:
        return jobs.get(pk=pk)
    except (ImportJob.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
