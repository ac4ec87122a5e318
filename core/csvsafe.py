"""The platform's one CSV writer, and the XLSX cell rule that goes with it.

Every CSV the platform produces (registry pages, the API's CSV renderer, exports, open data,
import errors, import templates) is written through `writer()`: a text cell that a
spreadsheet would run as a formula (it starts with `=`, `+`, `-`, `@`, a tab or a carriage
return) is prefixed with a single quote, as OWASP recommends for CSV injection. Only text is
touched: a number stays a number (a negative count is not a formula), while the text
`-2+3` typed by a user becomes `'-2+3`.

In XLSX, openpyxl writes any string starting with `=` as a formula; `as_text()` types such a
cell as a string so the sheet shows the characters and never computes them.
"""

import csv
from collections.abc import Iterable

from django.utils.functional import Promise

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_FIRST = frozenset(FORMULA_STARTS)


def neutralise(value):
    """`value` unchanged, except text that a spreadsheet would run, which gets a leading `'`."""
    if isinstance(value, Promise):
        value = str(value)
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def text(value) -> str:
    """The cell as the writer writes it (None is an empty cell)."""
    return "" if value is None else str(neutralise(value))


class _Echo:
    """A file that hands back what is written to it, for streamed responses."""

    def write(self, value):
        return value


class SafeWriter:
    """`csv.writer` whose rows go through `neutralise` cell by cell."""

    def __init__(self, out=None, **fmtparams):
        self._writer = csv.writer(out if out is not None else _Echo(), **fmtparams)

    def writerow(self, row: Iterable):
        # `neutralise` inlined for plain text, the common cell (exports write millions).
        return self._writer.writerow([
            ("'" + value if value[:1] in _FIRST else value) if type(value) is str
            else neutralise(value) for value in row])

    def writerows(self, rows: Iterable[Iterable]) -> None:
        for row in rows:
            self.writerow(row)


def writer(out=None, **fmtparams) -> SafeWriter:
    """A CSV writer on `out` (a file, a response); without `out`, `writerow` returns the line,
    for a StreamingHttpResponse."""
    return SafeWriter(out, **fmtparams)


def append_as_text(sheet, values: Iterable) -> None:
    """Append a row to an openpyxl worksheet (not write-only) with every cell kept as text."""
    sheet.append(list(values))
    for cell in sheet[sheet.max_row]:
        as_text(cell)


def as_text(cell):
    """An openpyxl cell whose string value starting with `=` is kept as text, not a formula."""
    if isinstance(cell.value, str) and cell.data_type == "f":
        cell.data_type = "s"
    return cell
