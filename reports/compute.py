"""What a run computes: the report of its kind, for its commune or the country, for its year.

The one dispatch from a run to the pure report functions (reports.cooperation,
reports.convergence); tasks pass `compute_run` to `runs.report_run_execute`."""

import datetime
import time

from django.conf import settings
from django.utils import timezone

from .convergence import convergence_for_communes, convergence_national
from .cooperation import cooperation_for_communes, cooperation_national
from .frozen import frozen_results, frozen_results_of
from .models import ReportRun
from .registry import RegistryNow
from .registry_as_of import RegistryAsOf, registry_as_of
from .territory_reports import territory_convergence, territory_cooperation


def report_date(year: int) -> datetime.date:
    """The day a report for `year` describes: today for the current year (or a later one),
    31 December for a past year."""
    today = timezone.localdate()
    return today if year >= today.year else datetime.date(year, 12, 31)


def registry_for_year(year: int) -> RegistryNow | RegistryAsOf:
    """The registry a report for `year` reads: the registry now for the current year (links
    counted today), the registry as of 31 December for a past year, rebuilt from the audit
    history. A commune whose year is closed reads its frozen copy instead (see
    `compute_for_communes`)."""
    day = report_date(year)
    if day >= timezone.localdate():
        return RegistryNow(day)
    return registry_as_of(day)


def compute_for_communes(kind: str, commune_ids: list[int], year: int) -> dict[int, dict]:
    """Each commune's report for the year: the frozen copy where its year is closed, else
    computed on the year's registry."""
    kept = frozen_results_of(kind, year, commune_ids)
    computing = [pk for pk in commune_ids if pk not in kept]
    if computing:
        kept.update(compute_on_registry(kind, computing, year, registry_for_year(year)))
    return {pk: kept[pk] for pk in commune_ids}


def compute_on_registry(kind: str, commune_ids: list[int], year: int, registry
                        ) -> dict[int, dict]:
    """Each commune's report computed on `registry` (no frozen copy: what a closure keeps)."""
    if kind == ReportRun.Kind.COOPERATION:
        return cooperation_for_communes(commune_ids, on=registry.day, registry=registry)
    if kind == ReportRun.Kind.CONVERGENCE:
        return convergence_for_communes(commune_ids, year=year, registry=registry)
    raise ValueError(f"unknown report kind {kind!r}")


def compute_national(kind: str, year: int) -> dict:
    """The country's report for the year. The communes whose year is closed appear with their
    frozen report (and the departments', regions' and country's convergence totals sum them);
    the national graph figures of cooperation are computed on the year's registry."""
    registry = registry_for_year(year)
    kept = frozen_results(kind, year)
    if kind == ReportRun.Kind.COOPERATION:
        return cooperation_national(on=registry.day, registry=registry, kept=kept)
    if kind == ReportRun.Kind.CONVERGENCE:
        return convergence_national(year=year, registry=registry, kept=kept)
    raise ValueError(f"unknown report kind {kind!r}")


def compute_territory(kind: str, territory, year: int) -> dict:
    """A project territory's report for the year, on the year's registry (members on the
    report's day; closed years' frozen copies are not read: docs/project-territories.md)."""
    registry = registry_for_year(year)
    if kind == ReportRun.Kind.COOPERATION:
        return territory_cooperation(territory, on=registry.day, registry=registry)
    if kind == ReportRun.Kind.CONVERGENCE:
        return territory_convergence(territory, year=year, on=registry.day, registry=registry)
    raise ValueError(f"unknown report kind {kind!r}")


def compute_run(run: ReportRun) -> dict:
    """The result of one run: its commune's or territory's report, or the national one."""
    if settings.REPORT_TASK_DELAY:
        time.sleep(settings.REPORT_TASK_DELAY)
    if run.territory_id is not None:
        return compute_territory(run.kind, run.territory, run.year)
    if run.commune_id is None:
        return compute_national(run.kind, run.year)
    return compute_for_communes(run.kind, [run.commune_id], run.year)[run.commune_id]
