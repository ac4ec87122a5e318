"""The empty files an import offers to fill in: CSV (its header only) and XLSX (the header,
reference lists on their own sheets, drop-down choices). `csv_template` and `xlsx_template`
serve the organisation import and the PCD grid import (diagnostics.imports)."""

import io

from django.utils import translation

from core import csvsafe
from sectors.models import Filiere

from ..models import LegalForm, MemberInterest, OrganisationStatus
from .columns import COLUMNS, TEMPLATE_HEADERS
from .reading import MAX_ROWS


def csv_template(headers: list[str]) -> bytes:
    """An empty file as CSV: UTF-8 with a byte-order mark and semicolons, which is what a
    French-language spreadsheet opens and saves."""
    return ("\ufeff" + csvsafe.writer(delimiter=";").writerow(headers)).encode("utf-8")


def xlsx_template(title: str, headers: list[str], lists: dict[str, tuple[list, list]],
                  choices: list[tuple[str, str]], max_rows: int) -> bytes:
    """An empty file as XLSX: sheet `title` with the bold `headers`, one sheet per entry of
    `lists` ({title: (header, rows)}, cells kept as text) and, for each (column letter,
    formula) of `choices`, a drop-down list on that column's first `max_rows` rows."""
    from openpyxl import Workbook  # heavy: loaded for a template download only
    from openpyxl.styles import Font
    from openpyxl.worksheet.datavalidation import DataValidation

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = title
    sheet.append(headers)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for name, (header, rows) in lists.items():
        extra = workbook.create_sheet(name)
        extra.append(header)
        for row in rows:
            csvsafe.append_as_text(extra, row)
    for column, formula in choices:
        validation = DataValidation(type="list", allow_blank=True, formula1=formula)
        validation.add(f"{column}2:{column}{max_rows + 1}")
        sheet.add_data_validation(validation)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def template_csv() -> bytes:
    """The empty organisation file as CSV."""
    return csv_template(TEMPLATE_HEADERS)


def template_xlsx() -> bytes:
    """The empty organisation file as XLSX, with the filières, legal forms, statuses and
    types by member interest on their own sheets and offered as drop-down choices."""
    from openpyxl.utils import get_column_letter

    lists = {
        "filieres": (["code", "nom", "name"], list(
            Filiere.objects.order_by("code").values_list("code", "name_fr", "name_en"))),
        "formes": (["code", "forme_juridique"], _labels(LegalForm)),
        "statuts": (["code", "statut"], _labels(OrganisationStatus)),
        "interets": (["code", "interet_des_membres"], _labels(MemberInterest)),
    }
    columns = {field: get_column_letter(TEMPLATE_HEADERS.index(COLUMNS[field][0]) + 1)
               for field in ("legal_form", "primary_filiere", "status", "member_interest")}
    choices = [(columns[field], f"{title}!$A$2:$A${len(lists[title][1]) + 1}")
               for field, title in (("legal_form", "formes"), ("primary_filiere", "filieres"),
                                    ("status", "statuts"), ("member_interest", "interets"))
               if lists[title][1]]
    return xlsx_template("organisations", TEMPLATE_HEADERS, lists, choices, MAX_ROWS)


def _labels(choices) -> list[tuple[str, str]]:
    with translation.override("fr"):
        return [(value, str(label)) for value, label in choices.choices]
