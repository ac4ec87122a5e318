"""Nightly task of personal data: pseudonymise what is past its retention."""

from celery import shared_task
from django.db import transaction

from .retention import pseudonymise_past_retention


@shared_task
def nightly_retention() -> int:
    """Celery beat, every night before the integrity check."""
    with transaction.atomic():
        return pseudonymise_past_retention()
