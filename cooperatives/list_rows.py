"""The organisation list page's rows as text ready to print (templates/cooperatives/
organisation_list.html).

Written by the template from the organisations themselves, a row of 50 cost about 255 µs:
each of its fourteen values went through the template engine's generic lookups, its link
through `{% url %}`, its three numbers through `intcomma` and its verification through the
date filter. Here each value is computed once in Python and the template prints strings."""

import datetime

from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from core.numbers import grouper

_SENTINEL = 987654321


def organisation_rows(organisations, today: datetime.date | None = None) -> list[dict]:
    """One dictionary per organisation (with its commune and primary filière loaded): the
    detail page's address, the texts of every column, and whether it is verified."""
    today = today or timezone.localdate()
    detail = reverse("organisation_detail", args=[_SENTINEL])
    head, tail = detail.split(str(_SENTINEL))
    group = grouper()
    rows = []
    for o in organisations:
        verified_on = o.last_verified_on
        rows.append({
            "url": f"{head}{o.pk}{tail}",
            "name": o.name,
            "acronym": o.acronym or "",
            "commune": o.commune.name,
            "legal_form": o.get_legal_form_display(),
            "filiere": o.primary_filiere.name,
            "status": o.get_status_display(),
            "rsc_number": o.rsc_number or "",
            "members": group(o.members_total),
            "women": group(o.members_women),
            "youth": group(o.members_youth),
            "verified_on": date_format(verified_on, "SHORT_DATE_FORMAT") if verified_on else "",
            "verification": o.get_last_verification_outcome_display() if verified_on else "",
            "is_verified": o.is_verified(today),
        })
    return rows
