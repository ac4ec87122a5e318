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
from .registry import RegistryNow
from .registry_as_of import RegistryAsOf, registry_as_of


def report_date(year: int) -> datetime.date:
    """The day a report for `year` describes: today for the current year (or a later one),
    31 December for a past year."""
    today = timezone.localdate()
    return today if year >= today.year else datetime.date(year, 12, 31)


def registry_for_year(year: int) -> RegistryNow | RegistryAsOf:
    """The registry a report for `year` reads: the registry now for the current year (links
    counted today), the registry as of 31 December for a past year, rebuilt from the audit
    history. (The place where a signed-off snapshot of the year would be preferred.)"""
    day = report_date(year)
    if day >= timezone.localdate():
        return RegistryNow(day)
    return registry_as_of(day)


def compute_for_communes(kind: str, commune_ids: list[int], year: int) -> dict[int, dict]:
    registry = registry_for_year(year)
    if kind == ReportRun.Kind.COOPERATION:
        return cooperation_for_communes(commune_ids, on=registry.day, registry=registry)
    if kind == ReportRun.Kind.CONVERGENCE:
        return convergence_for_communes(commune_ids, year=year, registry=registry)
    raise ValueError(f"unknown report kind {kind!r}")


def compute_national(kind: str, year: int) -> dict:
    registry = registry_for_year(year)
    if kind == ReportRun.Kind.COOPERATION:
        return cooperation_national(on=registry.day, registry=registry)
    if kind == ReportRun.Kind.CONVERGENCE:
        return convergence_national(year=year, registry=registry)
    raise ValueError(f"unknown report kind {kind!r}")


def compute_run(run: ReportRun) -> dict:
    """The result of one run: its commune's report, or the national one."""
    if settings.REPORT_TASK_DELAY:
        time.sleep(settings.REPORT_TASK_DELAY)
    if run.commune_id is None:
        return compute_national(run.kind, run.year)
    return compute_for_communes(run.kind, [run.commune_id], run.year)[run.commune_id]
