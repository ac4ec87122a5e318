"""Celery tasks of the diagnostics app."""

from celery import shared_task

from .integrity import run_checks
from .models import IntegrityCheckRun


@shared_task
def nightly_integrity_check() -> int:
    """Celery beat, every night: run the integrity checks and store the outcome."""
    results = run_checks()
    faults = sum(len(v) for v in results.values())
    IntegrityCheckRun.objects.create(results=results, faults=faults)
    return faults
