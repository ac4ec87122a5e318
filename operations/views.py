"""The national admin's operations pages: the latest integrity checks and the report runs
(what the nightly check found, what is queued, running or failed)."""

from datetime import timedelta

from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.http import Http404
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_safe

from cooperatives.permissions import scope_of
from reports.models import ReportRun

from .integrity import CHECKS, SAMPLE
from .models import IntegrityCheckRun

RECENT_RUNS = 30


def _admin_only(request):
    if not scope_of(request.user).is_admin:
        raise Http404


@login_required
@require_safe
def integrity(request):
    """The latest integrity check, check by check, and the earlier runs' totals."""
    _admin_only(request)
    runs = list(IntegrityCheckRun.objects.order_by("-ran_at", "-id")[:10])
    latest = runs[0] if runs else None
    checks = [{"code": c.code, "description": c.description,
               "faults": len((latest.results or {}).get(c.code, [])) if latest else None,
               "more": latest is not None and len(latest.results.get(c.code, [])) > SAMPLE}
              for c in CHECKS]
    return render(request, "operations/integrity.html",
                  {"latest": latest, "checks": checks, "earlier": runs[1:]})


@login_required
@require_safe
def report_runs(request):
    """Runs by status over the last day, the runs waiting, the latest failures and the
    latest finished runs with their durations."""
    _admin_only(request)
    since = timezone.now() - timedelta(days=1)
    by_status = dict(ReportRun.objects.filter(queued_at__gte=since).values_list("status")
                     .annotate(n=Count("id")).order_by())
    light = ReportRun.objects.defer("result").select_related("commune", "territory").defer(
        "commune__boundary")
    waiting = light.filter(status__in=(ReportRun.Status.QUEUED, ReportRun.Status.RUNNING)) \
        .order_by("queued_at", "id")
    return render(request, "operations/runs.html", {
        "by_status": [(label, by_status.get(code, 0))
                      for code, label in ReportRun.Status.choices],
        "waiting": waiting[:RECENT_RUNS], "waiting_count": waiting.count(),
        "failed": light.filter(status=ReportRun.Status.FAILED)
        .order_by("-finished_at", "-id")[:RECENT_RUNS],
        "done": _with_seconds(light.filter(status=ReportRun.Status.DONE)
                              .order_by("-finished_at", "-id")[:RECENT_RUNS]),
    })


def _with_seconds(runs) -> list[ReportRun]:
    runs = list(runs)
    for run in runs:
        run.seconds = ((run.finished_at - run.started_at).total_seconds()
                       if run.finished_at and run.started_at else None)
    return runs
