"""Large exports followed on a page (cooperatives.export_jobs): the job's page, which
refreshes itself while the file is written, and the file's download. Only the job's owner
sees either (404 for anyone else)."""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import FileResponse, Http404, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import translation
from django.views.decorators.http import require_safe

from . import export_jobs
from .models import ExportJob
from .permissions import scope_of
from .tasks import run_export_job

CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def needs_job(total: int) -> bool:
    return total > settings.EXPORT_SYNC_MAX_ROWS


def start_job(request, *, kind: str, fmt: str, total: int, download_name: str,
              pcode: str = ""):
    """Record the export as a job and send the user to its page."""
    job = _start(request.user, kind=kind, fmt=fmt, query=request.GET,
                            path=request.get_full_path(), total=total,
                            download_name=download_name, pcode=pcode)
    return redirect("quality:export_job", job.pk)


def _start(user, *, kind: str, fmt: str, query: QueryDict, path: str, total: int,
          download_name: str, pcode: str = "") -> ExportJob:
    """Record the job and queue its task once the request's transaction commits."""
    params = {"query": [[k, v] for k, values in query.lists() for v in values
                        if k != "format"],
              "pcode": pcode, "path": path, "language": translation.get_language() or "fr"}
    job = ExportJob.objects.create(user=user, kind=kind, fmt=fmt, params=params,
                                   rows_total=total, download_name=download_name)
    transaction.on_commit(lambda: run_export_job.delay(job.pk))
    return job


def _own_job(request, pk) -> ExportJob:
    """The user's own job, while they still hold a role (a file written under a role they
    lost is not theirs to read any more)."""
    if not scope_of(request.user).has_role:
        raise Http404
    return get_object_or_404(ExportJob, pk=pk, user=request.user)


@login_required
@require_safe
def export_job(request, pk):
    job = _own_job(request, pk)
    size = 0
    if job.status == ExportJob.Status.DONE:
        path = export_jobs.file_path(job)
        size = path.stat().st_size if path.exists() else 0
    return render(request, "quality/export_job.html", {
        "job": job, "size": size, "keep_hours": f"{settings.EXPORT_KEEP_HOURS:g}"})


@login_required
@require_safe
def export_job_download(request, pk):
    job = _own_job(request, pk)
    path = export_jobs.file_path(job) if job.file_name else None
    if job.status != ExportJob.Status.DONE or path is None or not path.exists():
        raise Http404
    response = FileResponse(open(path, "rb"), content_type=CONTENT_TYPES[job.fmt],
                            as_attachment=True, filename=f"{job.download_name}.{job.fmt}")
    response["Cache-Control"] = "private, no-store"
    return response
