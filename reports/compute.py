"""What a run computes: the report of its kind, for its commune or the country, for its year.

The one dispatch from a run to the pure report functions (reports.cooperation,
reports.convergence); tasks pass `compute_run` to `runs.report_run_execute`."""

import datetime
import time

from django.conf import settings
from django.utils import timezone

from .convergence import convergence_for_communes, convergence_national
from .cooperation import cooperation_for_communes, cooperation_national
from .models import ReportRun


def report_date(year: int) -> datetime.date:
    """The snapshot date of a cooperation report for `year`: today, or the year's last day."""
    today = timezone.localdate()
    return today if year >= today.year else datetime.date(year, 12, 31)


def compute_for_communes(kind: str, commune_ids: list[int], year: int) -> dict[int, dict]:
    if kind == ReportRun.Kind.COOPERATION:
        return cooperation_for_communes(commune_ids, on=report_date(year))
    if kind == ReportRun.Kind.CONVERGENCE:
        return convergence_for_communes(commune_ids, year=year)
    raise ValueError(f"unknown report kind {kind!r}")


def compute_national(kind: str, year: int) -> dict:
    if kind == ReportRun.Kind.COOPERATION:
        return cooperation_national(on=report_date(year))
    if kind == ReportRun.Kind.CONVERGENCE:
        return convergence_national(year=year)
    raise ValueError(f"unknown report kind {kind!r}")


def compute_run(run: ReportRun) -> dict:
    """The result of one run: its commune's report, or the national one."""
    if settings.REPORT_TASK_DELAY:
        time.sleep(settings.REPORT_TASK_DELAY)
    if run.commune_id is None:
        return compute_national(run.kind, run.year)
    return compute_for_communes(run.kind, [run.commune_id], run.year)[run.commune_id]
