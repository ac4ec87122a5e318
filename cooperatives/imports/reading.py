"""Reading an uploaded table: the file as rows of strings, its header as fields, its cells as
numbers and dates. Shared by the organisation import and the PCD grid import
(diagnostics.imports): `normalize`, `header_aliases`, `read_header` and `table_problem` know
no particular columns."""

import datetime
import functools
import re
from collections.abc import Iterable

from django.utils.translation import gettext as _

from ..duplicates import strip_accents
from . import child, spreadsheets
from .results import RowError
from .spreadsheets import UnreadableFile, cell_text

MAX_ROWS = 100_000
MAX_BYTES = 25 * 1024 * 1024
TEXT_EXTENSIONS = (".csv", ".txt")

_SEPARATORS = re.compile(r"[\s_\-./'’()]+")
_GROUPED = re.compile(r"\d{1,3}(?:[ .,'\u00a0\u202f]\d{3})+")


@functools.lru_cache(maxsize=8192)
def normalize(text) -> str:
    """Lower case, no accents, one space between words: 'Forme_Juridique' -> 'forme juridique'."""
    return _SEPARATORS.sub(" ", strip_accents(str(text).replace("\ufeff", "")).casefold()).strip()


def upload_limits() -> spreadsheets.Limits:
    """What an organisation file may hold (settings SPREADSHEET_*, this import's rows)."""
    return spreadsheets.Limits.from_settings(max_rows=MAX_ROWS, max_bytes=MAX_BYTES)


def read_file(content: bytes, filename: str, *, isolated: bool = False) -> list[list[str]]:
    """The file's rows as lists of stripped strings (XLSX: its first sheet); `isolated`:
    read in a child process under the memory limit (a worker's job)."""
    read = child.read_table_in_child if isolated else spreadsheets.read_table
    return read(content, filename, text_extensions=TEXT_EXTENSIONS, limits=upload_limits())


def _table_from_dicts(rows: Iterable[dict]) -> list[list[str]]:
    header: list[str] = []
    records = []
    for row in rows:
        if not header:
            header = [str(k) for k in row]
        records.append([cell_text(row.get(k)) for k in header])
    return [header, *records] if header else []


def as_table(rows, filename: str | None, isolated: bool) -> list[list[str]]:
    """The rows as a table: file bytes or a file object (read as CSV or XLSX), or dicts."""
    if isinstance(rows, bytes | bytearray):
        return read_file(bytes(rows), filename or "", isolated=isolated)
    if hasattr(rows, "read"):
        return read_file(rows.read(), filename or getattr(rows, "name", "") or "",
                          isolated=isolated)
    return _table_from_dicts(rows)

def table_checked(rows, filename: str | None, errors: list[RowError],
                  isolated: bool) -> list[list[str]]:
    """The organisation file as a table, or [] with an error in `errors` (unreadable, empty,
    too long)."""
    try:
        table = as_table(rows, filename, isolated)
    except UnreadableFile as error:
        errors.append(RowError(1, "", str(error)))
        return []
    problem = table_problem(table, MAX_ROWS, _(
        "Too many rows: at most %(max)s organisations per file.") % {"max": MAX_ROWS})
    if problem:
        errors.append(problem)
        return []
    return table


def table_problem(table: list[list[str]], max_rows: int, too_long: str) -> RowError | None:
    """The error of a table that is empty (no header) or has more than `max_rows` rows below
    its header (`too_long`: the message), or None."""
    if not table or not any(table[0]):
        return RowError(1, "", _("The file is empty."))
    if len(table) > max_rows + 1:
        return RowError(max_rows + 2, "", too_long)
    return None


def parse_int(text: str) -> int | None:
    text = text.strip()
    if text.isdigit():
        return int(text)
    if _GROUPED.fullmatch(text):
        return int(re.sub(r"\D", "", text))
    if re.fullmatch(r"\d+[.,]0+", text):  # "12.0" from a spreadsheet
        return int(re.split(r"[.,]", text)[0])
    return None


_ISO_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ][\d:.]+)?")
_FRENCH_DATE = re.compile(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})")


@functools.lru_cache(maxsize=8192)
def parse_date(text: str) -> datetime.date | None:
    """YYYY-MM-DD (a time after it is ignored) or DD/MM/YYYY (also with - or .)."""
    text = text.strip()
    if match := _ISO_DATE.fullmatch(text):
        year, month, day = match.groups()
    elif match := _FRENCH_DATE.fullmatch(text):
        day, month, year = match.groups()
    else:
        return None
    try:
        return datetime.date(int(year), int(month), int(day))
    except ValueError:
        return None


def header_aliases(columns: dict[str, tuple[str, tuple[str, ...]]]) -> dict[str, str]:
    """{normalized header: field} for columns given as {field: (template header, others)};
    the field's own name is accepted too."""
    return {normalize(alias): name for name, (french, others) in columns.items()
            for alias in (french, *others, name)}


def read_header(header: list[str], columns: dict[str, tuple[str, tuple[str, ...]]],
                aliases: dict[str, str], required: Iterable[str], errors: list[RowError],
                ignored: list[str]) -> dict[str, tuple[int, str]]:
    """Which column holds which field: {field: (index, title as written)}. Unknown titles go
    to `ignored`; a field twice or a required one missing to `errors` (line 1)."""
    found: dict[str, tuple[int, str]] = {}
    for index, title in enumerate(header):
        if not str(title).strip():
            continue
        name = aliases.get(normalize(title))
        if name is None:
            ignored.append(str(title))
        elif name in found:
            errors.append(RowError(1, str(title), _("This column appears twice.")))
        else:
            found[name] = (index, str(title).strip())
    for name in required:
        if name not in found:
            errors.append(RowError(1, columns[name][0], _("This column is missing.")))
    return found
