"""The privacy notice (public), generated from the register."""

from django.shortcuts import render

from core.personal_data import REGISTER


def notice(request):
    return render(request, "privacy/notice.html", {"entries": REGISTER})
