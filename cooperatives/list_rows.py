"""The organisation list page's rows as text ready to print (templates/cooperatives/
organisation_list.html).

Written by the template from the organisations themselves, a row of 50 cost about 255 µs:
each of its fourteen values went through the template engine's generic lookups, its link
through `{% url %}`, its three numbers through `intcomma` and its verification through the
date filter. Here each value is computed once in Python (`organisation_rows`), and the table's
rows are written as HTML here too (`rows_html`): printed by the template, their 700 values
still went through its lookups, escaping and localisation (about 4 ms a page)."""

import datetime
from html import escape

from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext

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


def rows_html(rows: list[dict], *, with_commune: bool) -> SafeString:
    """The table's rows (`organisation_rows`) as HTML, every value escaped as the template
    escapes it (the standard library's `escape`, which Django's calls); `with_commune`: the
    commune column, shown on the lists of several communes."""
    not_verified = f' <span class="badge warning">{escape(gettext("Not verified"))}</span>'
    written = []
    for r in rows:
        acronym = f' <span class="help">{escape(r["acronym"])}</span>' if r["acronym"] else ""
        commune = f'<td>{escape(r["commune"])}</td>' if with_commune else ""
        verified = (f'{escape(r["verified_on"])} <span class="help">'
                    f'{escape(r["verification"])}</span>' if r["verified_on"] else "")
        written.append(
            f'<tr><td><a href="{escape(r["url"])}">{escape(r["name"])}</a>{acronym}</td>'
            f'{commune}<td class="wide">{escape(r["legal_form"])}</td>'
            f'<td>{escape(r["filiere"])}</td><td>{escape(r["status"])}</td>'
            f'<td class="wide">{escape(r["rsc_number"])}</td>'
            f'<td class="num">{escape(r["members"])}</td>'
            f'<td class="num wide">{escape(r["women"])}</td>'
            f'<td class="num wide">{escape(r["youth"])}</td>'
            f'<td>{verified}{"" if r["is_verified"] else not_verified}</td></tr>\n')
    return mark_safe("".join(written))  # noqa: S308 (every value above is escaped)
