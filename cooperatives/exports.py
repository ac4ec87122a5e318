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

import datetime
import io
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from operator import itemgetter

from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from communes.models import Commune, Department, Region
from core import csvsafe
from sectors.models import Ministry

from . import export_rows
from .access import ExportLog
from .consent import CONTACT_FIELDS
from .filters import OrganisationFilterSet
from .models import (
    ContactConsentState,
    LegalForm,
    MemberInterest,
    Organisation,
    OrganisationStatus,
    VerificationOutcome,
)
from .permissions import (
    Scope,
    organisations_listed_for,
    scope_of,
)

PLATFORM = "RELESS"
ORGANISATION_FIELDS = ("name", "acronym", "legal_form", "status", "rsc_number", "rsc_date",
                       "niu", "ues_number", "locality", "members_total", "members_women",
                       "members_youth", "worker_members", "producer_members", "employees",
                       "share_capital", "reless_member_since", "latitude", "longitude",
                       "created_at", "updated_at")
_MIDDLE = slice(4, 9)  # the registration fields and the locality, before the commune
_TAIL = slice(9, None)
FORMATS = ("csv", "xlsx")
# The latest verification visit (cooperatives.verification): its day and outcome's label.
VERIFICATION_FIELDS = ("last_verified_on", "last_verification_outcome")


@dataclass
class Table:
    """A titled table with its provenance block; `rows` may be a lazy iterator."""

    title: str
    columns: list[str]
    rows: Iterable[list]
    provenance: list[tuple[str, str]] = field(default_factory=list)
    # How many rows (one COUNT query) when `rows` is lazy: large exports become jobs.
    counter: Callable[[], int] | None = None

    def count(self) -> int:
        return self.counter() if self.counter else len(self.rows)


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
               *(str(meta.get_field(f).verbose_name) for f in ORGANISATION_FIELDS[_MIDDLE]),
               _("Commune (P-code)"), _("Commune"), _("Department (P-code)"),
               _("Region (P-code)"), _("Primary filière"), _("Filières"),
               *(str(meta.get_field(f).verbose_name) for f in ORGANISATION_FIELDS[_TAIL]),
               str(meta.get_field("member_interest").verbose_name),
               _("Labels and certifications"),
               *(str(meta.get_field(f).verbose_name) for f in VERIFICATION_FIELDS)]
    if personal:
        columns += [str(meta.get_field(f).verbose_name) for f in CONTACT_FIELDS]
        columns.append(str(meta.get_field("contact_consent").verbose_name))
    return Table(
        title=_("Organisations"), columns=columns,
        rows=organisation_rows(filterset.qs, scope, personal and ExportLog(user, path)),
        provenance=provenance(user, dataset=_("Organisations of the registry"), filters=used,
                              personal=personal),
        counter=filterset.qs.count)


ROW_FIELDS = (*ORGANISATION_FIELDS, "member_interest", *VERIFICATION_FIELDS, "commune_id",
              "primary_filiere__code", *CONTACT_FIELDS, "contact_consent")


def organisation_rows(organisations, scope: Scope, log: ExportLog | bool) -> Iterator[list]:
    """The table's rows, read with `.values()` (export_rows): no model instance per row;
    labels, places and fields fetched with dictionaries and `itemgetter`s made once."""
    places = {pk: (c["pcode"], export_rows.commune_name(c), c["department__pcode"],
                   c["department__region__pcode"])
              for pk, c in export_rows.territory().items()}
    legal_forms = {k: str(v) for k, v in LegalForm.choices}
    statuses = {k: str(v) for k, v in OrganisationStatus.choices}
    consents = {k: str(v) for k, v in ContactConsentState.choices}
    outcomes = {k: str(v) for k, v in VerificationOutcome.choices}
    given = str(ContactConsentState.GIVEN.value)
    interests = {k: str(v) for k, v in MemberInterest.choices}
    head = itemgetter("id", "name", "acronym")
    middle = itemgetter(*ORGANISATION_FIELDS[_MIDDLE])
    tail, contacts = itemgetter(*ORGANISATION_FIELDS[_TAIL]), itemgetter(*CONTACT_FIELDS)
    hidden = [""] * len(CONTACT_FIELDS)
    fields = ROW_FIELDS if log else ROW_FIELDS[:-len(CONTACT_FIELDS) - 1]
    for o, filieres, labels in export_rows.with_filieres_and_labels(organisations, fields):
        legal_form, status = o["legal_form"], o["status"]
        row = [*head(o), legal_forms.get(legal_form, legal_form), statuses.get(status, status),
               *middle(o), *places[o["commune_id"]], o["primary_filiere__code"],
               " ".join([code for code, _name in filieres]), *tail(o),
               interests.get(o["member_interest"], ""), labels,
               o["last_verified_on"], outcomes.get(o["last_verification_outcome"], "")]
        if log:
            consent = o["contact_consent"]
            if scope.is_admin or _sees_in_full(scope, o["commune_id"], o["id"]):
                row += contacts(o) if consent == given else hidden
                row.append(consents.get(consent, consent))
                log.add_values(o)
            else:
                row += hidden
                row.append("")
        yield row
    if log:
        log.close()


# The registry list's CSV (`/organisations/?format=csv`) ---------------------------------------

LIST_FIELDS = ("name", "acronym", "legal_form", "status", "rsc_number", "rsc_date", "niu",
               "ues_number", "locality", "member_interest", "members_total", "members_women",
               "members_youth", "worker_members", "producer_members", "employees",
               "share_capital", "reless_member_since", "contact_name", "contact_phone",
               "contact_email", "latitude", "longitude")
_LIST_CONTACTS = slice(LIST_FIELDS.index("contact_name"), LIST_FIELDS.index("contact_email") + 1)
_LIST_INTEREST = LIST_FIELDS.index("member_interest")


def registry_list_rows(organisations, log: ExportLog) -> Iterator[list]:
    """The header, then every organisation of the list (its scope: the user's communes, in
    full): contacts only where their person's consent stands; every row goes to `log`."""
    meta = Organisation._meta
    yield ["id", _("Commune (P-code)"), *(str(meta.get_field(f).verbose_name)
                                          for f in LIST_FIELDS),
           _("Primary filière"), _("Filières"),
           str(meta.get_field("contact_consent").verbose_name),
           *(str(meta.get_field(f).verbose_name) for f in VERIFICATION_FIELDS)]
    pcodes = {pk: c["pcode"] for pk, c in export_rows.territory().items()}
    legal_forms = {k: str(v) for k, v in LegalForm.choices}
    statuses = {k: str(v) for k, v in OrganisationStatus.choices}
    interests = {k: str(v) for k, v in MemberInterest.choices}
    consents = {k: str(v) for k, v in ContactConsentState.choices}
    outcomes = {k: str(v) for k, v in VerificationOutcome.choices}
    fields = (*LIST_FIELDS, "commune_id", "primary_filiere__code", "contact_consent",
              *VERIFICATION_FIELDS)
    for o, filieres in export_rows.with_filieres(organisations, fields):
        values = [o[f] for f in LIST_FIELDS]
        values[2] = legal_forms.get(values[2], values[2])
        values[3] = statuses.get(values[3], values[3])
        values[_LIST_INTEREST] = interests.get(values[_LIST_INTEREST], "")
        if o["contact_consent"] != ContactConsentState.GIVEN:
            values[_LIST_CONTACTS] = ["", "", ""]
        yield [o["id"], pcodes[o["commune_id"]], *("" if v is None else v for v in values),
               o["primary_filiere__code"], " ".join(code for code, _name in filieres),
               consents.get(o["contact_consent"], o["contact_consent"]),
               o["last_verified_on"] or "", outcomes.get(o["last_verification_outcome"], "")]
        log.add_values(o)
    log.close()


# Writing ----------------------------------------------------------------------------------------

def _text(value):
    if value is None:
        return ""
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    return value


def csv_cells(line: list) -> list:
    """`_text` of every cell, for the CSV writer (which writes None as an empty cell and a
    date as its ISO form already): only datetimes and times need converting."""
    return [v.isoformat() if isinstance(v, datetime.datetime | datetime.time) else v
            for v in line]


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
            yield writer.writerow(csv_cells(line))

    response = StreamingHttpResponse(chunks(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
    return response


def xlsx_write(table: Table, out, progress=None) -> None:
    """The table as XLSX into `out` (a path or a binary file) with XlsxWriter in
    constant-memory mode: each row goes to disk as it is written, every text stays text (never
    a formula, a number or a link); `progress(rows_done)` is called every 1,000 rows.
    About twice openpyxl's speed in write-only mode (docs/performance.md, "Exports")."""
    import xlsxwriter

    workbook = xlsxwriter.Workbook(out, {
        "constant_memory": True, "strings_to_formulas": False, "strings_to_numbers": False,
        "strings_to_urls": False, "in_memory": False, "tmpdir": None})
    sheet = workbook.add_worksheet(table.title[:31] or "export")
    bold = workbook.add_format({"bold": True})
    day = workbook.add_format({"num_format": "yyyy-mm-dd"})
    moment = workbook.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
    text, number, when = sheet.write_string, sheet.write_number, sheet.write_datetime

    def write(line: int, values, style=None) -> None:
        for column, value in enumerate(values):
            if value is None or value == "":
                continue
            if isinstance(value, str):
                text(line, column, value, style)
            elif isinstance(value, bool):
                sheet.write_boolean(line, column, value, style)
            elif isinstance(value, int | float | Decimal):
                number(line, column, value, style)
            elif isinstance(value, datetime.datetime):
                if value.tzinfo is not None:
                    value = timezone.localtime(value).replace(tzinfo=None)
                when(line, column, value, moment)
            elif isinstance(value, datetime.date):
                when(line, column, value, day)
            else:
                text(line, column, str(value), style)

    line = 0
    for key, value in table.provenance:
        write(line, [str(key)], bold)
        write(line, [None, str(value)])
        line += 1
    line += 1
    write(line, [str(c) for c in table.columns], bold)
    for done, row in enumerate(table.rows, 1):
        write(line + done, row)
        if progress and not done % 1000:
            progress(done)
    workbook.close()


def xlsx_bytes(table: Table) -> bytes:
    buffer = io.BytesIO()
    xlsx_write(table, buffer)
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
