"""Uploaded tables (CSV or XLSX) read into rows of stripped strings: the one reader behind the
organisation import (cooperatives.imports) and the PCD grid import (diagnostics.imports).

CSV: UTF-8 (with or without BOM), else Windows-1252 as Excel writes it; the delimiter is the
most frequent of `;`, `,` and tab on the first line. XLSX: the first sheet, formulas as their
last computed values. Every cell loses its surrounding blanks and any NUL character
(PostgreSQL refuses them in text).
"""

import csv
import datetime
import io
from itertools import islice

from django.utils.translation import gettext as _


class UnreadableFile(Exception):
    """The upload is not a table we can read; the message says why, in the user's language."""


def read_table(content: bytes, filename: str, *, text_extensions=(".csv",),
               max_rows: int | None = None) -> list[list[str]]:
    """The file's rows (header first). With `max_rows`, reading stops after `max_rows + 2`
    rows, enough for the caller to see that there are too many."""
    name = filename.lower()
    limit = None if max_rows is None else max_rows + 2
    if name.endswith(".xlsx"):
        return _read_xlsx(content, limit)
    if name.endswith(tuple(text_extensions)):
        return _read_csv(content, limit)
    raise UnreadableFile(_("Choose a .csv or .xlsx file."))


def _read_csv(content: bytes, limit: int | None) -> list[list[str]]:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = content.decode("cp1252", errors="replace")  # Excel's "CSV" on Windows
    if "\x00" in text:
        text = text.replace("\x00", "")
    first = text.split("\n", 1)[0]
    delimiter = max((";", ",", "\t"), key=first.count)
    strip = str.strip
    try:
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        return [list(map(strip, row)) for row in islice(reader, limit)]
    except csv.Error:
        raise UnreadableFile(_("This file could not be read as CSV.")) from None


def _read_xlsx(content: bytes, limit: int | None) -> list[list[str]]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds of errors on a damaged or foreign file
        raise UnreadableFile(_("This file could not be read as an XLSX workbook.")) from None
    try:
        rows = workbook.worksheets[0].iter_rows(values_only=True)
        return [[cell_text(v) for v in values] for values in islice(rows, limit)]
    finally:
        workbook.close()


def cell_text(value) -> str:
    """A spreadsheet value as the text a user would have typed: whole numbers without `.0`,
    dates in ISO form, booleans as 1 or 0."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime.datetime):
        return value.date().isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value).replace("\x00", "").strip()
