"""Exports to CSV and XLSX: any filtered organisation list (the report exports, in
reports/exports.py, use the same tables and writers).

Every export starts with a provenance block (platform, dataset, filters, date, who exported
it and with which scope, whether personal data is included), an empty row, then the table.
Organisation lists start from `organisations_listed_for(user)` and the same
`OrganisationFilterSet` as the registry pages and the API; contacts (personal data) are
columns only for users who see organisations in full, and filled only on the rows they see
in full: a ministry analyst's or a reviewer's export (their territory's organisations) never
holds a name of a person, a phone or an email.
"""

import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from communes.models import Commune, Department, Region
from core import csvsafe
from sectors.models import Filiere, Ministry

from .access import ExportLog
from .consent import CONTACT_FIELDS, contact_shown
from .filters import OrganisationFilterSet
from .models import Organisation
from .permissions import (
    Scope,
    organisations_listed_for,
    scope_of,
)

PLATFORM = "RELESS"
ORGANISATION_FIELDS = ("name", "acronym", "legal_form", "status", "rsc_number", "rsc_date",
                       "ues_number", "locality", "members_total", "members_women",
                       "members_youth", "employees", "share_capital", "reless_member_since",
                       "latitude", "longitude", "created_at", "updated_at")
FORMATS = ("csv", "xlsx")


@dataclass
class Table:
    """A titled table with its provenance block; `rows` may be a lazy iterator."""

    title: str
    columns: list[str]
    rows: Iterable[list]
    provenance: list[tuple[str, str]] = field(default_factory=list)


# Provenance -------------------------------------------------------------------------------------

def describe_scope(user) -> str:
    """Who exported, and what their roles let them see, in words."""
    scope = scope_of(user)
    parts = []
    if scope.is_admin:
        parts.append(_("national admin (whole country)"))
    if scope.commune_ids:
        names = Commune.objects.filter(pk__in=scope.commune_ids).order_by("pcode")
        parts.append(_("CTD agent of %(communes)s") % {
            "communes": ", ".join(f"{c.name} ({c.pcode})" for c in names)})
    if scope.organisation_ids:
        names = Organisation.objects.filter(pk__in=scope.organisation_ids).order_by("pk")
        parts.append(_("representative of %(organisations)s") % {
            "organisations": ", ".join(o.name for o in names)})
    if scope.ministry_ids:
        acronyms = Ministry.objects.filter(pk__in=scope.ministry_ids).order_by("acronym")
        parts.append(_("ministry analyst (%(ministries)s), whole country without personal "
                       "data") % {"ministries": ", ".join(m.acronym for m in acronyms)})
    if scope.department_ids:
        names = Department.objects.filter(pk__in=scope.department_ids).order_by("pcode")
        parts.append(_("departmental reviewer of %(departments)s, without personal data") % {
            "departments": ", ".join(f"{d.name} ({d.pcode})" for d in names)})
    if scope.region_ids:
        names = Region.objects.filter(pk__in=scope.region_ids).order_by("pcode")
        parts.append(_("regional reviewer of %(regions)s, without personal data") % {
            "regions": ", ".join(f"{r.name} ({r.pcode})" for r in names)})
    return f"{user.get_username()}: {'; '.join(parts) or _('no role')}"


def provenance(user, *, dataset: str, filters: dict, personal: bool | None = None,
               extra: Iterable[tuple[str, str]] = ()) -> list[tuple[str, str]]:
    rows = [
        (_("Platform"), _("RELESS platform: registry of the social and solidarity economy")),
        (_("Dataset"), dataset),
        (_("Filters"), "; ".join(f"{k}={v}" for k, v in filters.items()) or _("none")),
        (_("Exported at"), timezone.localtime().strftime("%Y-%m-%d %H:%M %Z")),
        (_("Exported by"), describe_scope(user)),
    ]
    if personal is not None:
        rows.append((_("Personal data"), _("included (contacts)") if personal
                     else _("none")))
    return [*rows, *extra]


# Organisations --------------------------------------------------------------------------------

def _sees_in_full(scope: Scope, commune_id: int, organisation_id: int) -> bool:
    return (scope.is_admin or commune_id in scope.commune_ids
            or organisation_id in scope.organisation_ids)


def organisation_table(user, params, path: str = "") -> Table:
    """The organisations the user may list, filtered by `params` (the filters of the list
    and the API). Raises ValidationError on a bad filter."""
    scope = scope_of(user)
    filterset = OrganisationFilterSet(params, queryset=organisations_listed_for(user))
    if not filterset.is_valid():
        raise ValidationError(filterset.errors)
    used = {name: params.get(name) for name in filterset.filters if params.get(name)}
    personal = scope.sees_personal_data
    meta = Organisation._meta
    columns = ["id", *(str(meta.get_field(f).verbose_name) for f in ORGANISATION_FIELDS[:4]),
               *(str(meta.get_field(f).verbose_name) for f in ORGANISATION_FIELDS[4:8]),
               _("Commune (P-code)"), _("Commune"), _("Department (P-code)"),
               _("Region (P-code)"), _("Primary filière"), _("Filières"),
               *(str(meta.get_field(f).verbose_name) for f in ORGANISATION_FIELDS[8:])]
    if personal:
        columns += [str(meta.get_field(f).verbose_name) for f in CONTACT_FIELDS]
        columns.append(str(meta.get_field("contact_consent").verbose_name))
    organisations = (filterset.qs.select_related("commune__department__region",
                                                 "primary_filiere")
                     .prefetch_related(Prefetch("filieres",
                                                queryset=Filiere.objects.order_by("code"))))
    return Table(
        title=_("Organisations"), columns=columns,
        rows=_organisation_rows(organisations, scope, personal and ExportLog(user, path)),
        provenance=provenance(user, dataset=_("Organisations of the registry"), filters=used,
                              personal=personal))


def _organisation_rows(organisations, scope: Scope, log: ExportLog | bool) -> Iterator[list]:
    for o in organisations.iterator(chunk_size=2000):
        commune = o.commune
        row = [o.pk, o.name, o.acronym, o.get_legal_form_display(), o.get_status_display(),
               o.rsc_number, o.rsc_date, o.ues_number, o.locality, commune.pcode, commune.name,
               commune.department.pcode, commune.department.region.pcode,
               o.primary_filiere.code, " ".join(f.code for f in o.filieres.all()),
               *(getattr(o, f) for f in ORGANISATION_FIELDS[8:])]
        if log:
            full = _sees_in_full(scope, o.commune_id, o.pk)
            shown = full and contact_shown(o)
            row += [getattr(o, f) if shown else "" for f in CONTACT_FIELDS]
            row.append(o.get_contact_consent_display() if full else "")
            if full:
                log.add(o)
        yield row
    if log:
        log.close()


# Writing ----------------------------------------------------------------------------------------

def _text(value):
    if value is None:
        return ""
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def _lines(table: Table) -> Iterator[list]:
    for key, value in table.provenance:
        yield [key, value]
    yield []
    yield table.columns
    yield from table.rows


def csv_response(table: Table, filename: str) -> StreamingHttpResponse:
    """The table as a streamed CSV (UTF-8 with a byte-order mark, for spreadsheets); text
    cells that a spreadsheet would run as a formula are prefixed with '."""
    writer = csvsafe.writer()

    def chunks():
        yield "\ufeff"
        for line in _lines(table):
            yield writer.writerow([_text(v) for v in line])

    response = StreamingHttpResponse(chunks(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
    return response


def xlsx_bytes(table: Table) -> bytes:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(table.title[:31] or "export")
    bold = Font(bold=True)

    def cell(value, font=None):
        if hasattr(value, "tzinfo") and value.tzinfo is not None:
            value = timezone.localtime(value).replace(tzinfo=None)
        result = csvsafe.as_text(WriteOnlyCell(sheet, value=value))
        if font:
            result.font = font
        return result

    for key, value in table.provenance:
        sheet.append([cell(key, bold), cell(value)])
    sheet.append([])
    sheet.append([cell(c, bold) for c in table.columns])
    for row in table.rows:
        sheet.append([cell(v) for v in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def xlsx_response(table: Table, filename: str) -> HttpResponse:
    response = HttpResponse(
        xlsx_bytes(table),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = f'attachment; filename="{filename}.xlsx"'
    return response


def export_name(prefix: str) -> str:
    """A download's file name: what it holds and today's date."""
    return f"{prefix}-{timezone.localdate():%Y%m%d}"


def table_response(table: Table, filename: str, fmt: str) -> HttpResponse:
    if fmt not in FORMATS:
        raise Http404
    return csv_response(table, filename) if fmt == "csv" else xlsx_response(table, filename)
