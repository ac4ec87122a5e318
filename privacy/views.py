"""The privacy notice (public), generated from the register."""

from django.shortcuts import render
from django.views.decorators.http import require_safe

from core.personal_data import REGISTER


@require_safe
def notice(request):
    return render(request, "privacy/notice.html", {"entries": REGISTER})
