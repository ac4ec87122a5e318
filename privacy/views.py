"""The privacy notice (public), generated from the register."""

from django.conf import settings
from django.shortcuts import render
from django.views.decorators.http import require_safe

from core.personal_data import DEFAULT_RETENTION_YEARS, REGISTER

from .models import DEFAULT_REQUEST_DAYS


@require_safe
def notice(request):
    """Public: what the platform keeps about people, why, who sees it, how long, and how a
    person sees, corrects or erases it. One section per register entry (anchor: its code).
    No query."""
    return render(request, "privacy/notice.html", {
        "entries": REGISTER,
        "request_days": getattr(settings, "PERSONAL_DATA_REQUEST_DAYS", DEFAULT_REQUEST_DAYS),
        "retention_years": getattr(settings, "PERSONAL_DATA_RETENTION_YEARS",
                                   DEFAULT_RETENTION_YEARS),
    })
