"""Uploaded tables (CSV or XLSX) read into rows of stripped strings: the one reader behind the
organisation import (cooperatives.imports) and the PCD grid import (diagnostics.imports).

CSV: UTF-8 (with or without BOM), else Windows-1252 as Excel writes it; the delimiter is the
most frequent of `;`, `,` and tab on the first line. XLSX: the first sheet, formulas as their
last computed values. Every cell loses its surrounding blanks and any NUL character
(PostgreSQL refuses them in text).

A file is refused with the reason, in the user's language, as soon as it exceeds one of its
`Limits` (settings SPREADSHEET_*): for an XLSX, `check_upload` reads only the zip directory
and the first bytes of the sheets and shared strings (number of members, unzipped size and
compression ratio, declared dimension and number of distinct texts), in milliseconds, before
the file is stored; `read_table` checks again, then counts cells per row, cells and shared
strings while streaming the XML, and only then lets openpyxl parse it. A CSV is held to its
size, line length, columns per row and cells. `child.read_table_in_child` runs `read_table` in a
forked process under a memory limit (the worker's way; see docs/security-files.md).
"""

import csv
import datetime
import io
import re
import struct
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, replace
from itertools import islice
from urllib.parse import unquote

from django.conf import settings
from django.utils.formats import number_format
from django.utils.translation import gettext as _

MB = 1024 * 1024
HEAD_BYTES = 4096  # where a sheet's <dimension> and the shared strings' counts are written
CHUNK = MB
ENTRY_BYTES = 300  # a directory entry with a long name, to bound the members from its size
SMALL_MEMBER = MB  # below this, a member's compression ratio is not checked
# openpyxl reads styles, themes and the workbook's own parts whole, without streaming: besides
# the sheets, the shared strings and media (never read), no part may be larger than this.
# Real ones take kilobytes; a heavily formatted workbook's styles, a few hundred.
OTHER_PART_MAX = 8 * MB
# An element's start tag, whatever its namespace prefix (`<c `, `<x:c>`, `<row/>`): the
# prefixed form is only searched in the chunks where `:c`, `:row` or `:si` occurs at all.
_TAG = rb"<(?:[A-Za-z_][\w.\-]*:)?%s[\s/>]"
ROW_TAG = re.compile(_TAG % b"row")
PLAIN_ROW_TAG = re.compile(rb"<row[\s/>]")
CELL, SHARED_STRING = b"c", b"si"
PREFIXED = {name: re.compile(_TAG % name) for name in (CELL, SHARED_STRING)}
TAG_ENDS = (b" ", b"/", b">", b"\t", b"\n", b"\r")
# A cell's reference of two letters or more (`r="AB12"`): openpyxl fills a row with empty
# cells up to it, so a far column makes a wide row out of a small file.
COLUMN_REF = re.compile(rb' r="([A-Z]{2,})[0-9]')
ANY_COLUMN_REF = re.compile(rb'\sr="([A-Z]{2,})[0-9]')  # for chunks with a tab or newline before
DIMENSION = re.compile(rb"<(?:[\w.\-]+:)?dimension\s+ref=\"([A-Z]+)?(\d+)?(?::([A-Z]+)(\d+))?\"")
UNIQUE_COUNT = re.compile(rb"<(?:[\w.\-]+:)?sst\b[^>]*?\suniqueCount=\"(\d+)\"")
# Parts are told by the content types the workbook declares for them, not by their names.
CONTENT_TYPES = "[Content_Types].xml"
OVERRIDE = re.compile(rb"<(?:[\w.\-]+:)?Override\b[^>]*>")
PART_NAME = re.compile(rb'PartName\s*=\s*"/?([^"]*)"')
CONTENT_TYPE = re.compile(rb'ContentType\s*=\s*"([^"]*)"')
WORKSHEET_TYPE = b"spreadsheetml.worksheet+xml"
SHARED_STRINGS_TYPE = b"spreadsheetml.sharedStrings+xml"


class UnreadableFile(Exception):
    """The upload is not a table we can read; the message says why, in the user's language."""


class OutOfMemory(Exception):
    """Reading the file needed more memory than a worker allows (IMPORT_READ_MEMORY_MB)."""


@dataclass(frozen=True)
class Limits:
    """What an uploaded table may hold; `from_settings` gives the platform's defaults."""

    max_bytes: int
    max_rows: int | None  # data rows: reading stops after max_rows + 2 rows
    max_columns: int
    max_cells: int
    max_shared_strings: int
    max_unzipped: int  # bytes, all members together
    max_ratio: int
    max_members: int
    max_line_chars: int

    @classmethod
    def from_settings(cls, **overrides) -> "Limits":
        return replace(cls(
            max_bytes=25 * MB, max_rows=None,
            max_columns=settings.SPREADSHEET_MAX_COLUMNS,
            max_cells=settings.SPREADSHEET_MAX_CELLS,
            max_shared_strings=settings.SPREADSHEET_MAX_SHARED_STRINGS,
            max_unzipped=settings.SPREADSHEET_MAX_UNZIPPED_MB * MB,
            max_ratio=settings.SPREADSHEET_MAX_RATIO,
            max_members=settings.SPREADSHEET_MAX_MEMBERS,
            max_line_chars=settings.SPREADSHEET_MAX_LINE_CHARS), **overrides)


def _n(number: int) -> str:
    return number_format(number, force_grouping=True)


def _kind(filename: str, text_extensions) -> str:
    name = filename.lower()
    if name.endswith(".xlsx"):
        return "xlsx"
    if name.endswith(tuple(text_extensions)):
        return "csv"
    raise UnreadableFile(_("Choose a .csv or .xlsx file."))


def check_upload(content: bytes, filename: str, limits: Limits, *,
                 text_extensions=(".csv",)) -> None:
    """The checks that need no parsing, fast enough for the web request that stores the
    upload: its size and, for an XLSX, its zip directory and declared sizes. Raises
    UnreadableFile with the reason."""
    if len(content) > limits.max_bytes:
        raise UnreadableFile(_("The file is too large: at most %(mb)s MB.")
                             % {"mb": limits.max_bytes // MB})
    if _kind(filename, text_extensions) == "xlsx":
        with _open_zip(content, limits) as archive:
            _check_declared(archive, limits)


def read_table(content: bytes, filename: str, *, text_extensions=(".csv",),
               max_rows: int | None = None, limits: Limits | None = None) -> list[list[str]]:
    """The file's rows (header first). Reading stops after `max_rows + 2` rows (`max_rows`
    or the limits'), enough for the caller to see that there are too many."""
    limits = limits or Limits.from_settings()
    if max_rows is not None:
        limits = replace(limits, max_rows=max_rows)
    check_upload(content, filename, limits, text_extensions=text_extensions)
    if _kind(filename, text_extensions) == "xlsx":
        return _read_xlsx(content, limits)
    return _read_csv(content, limits)


# CSV --------------------------------------------------------------------------------------------

def _read_csv(content: bytes, limits: Limits) -> list[list[str]]:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = content.decode("cp1252", errors="replace")  # Excel's "CSV" on Windows
    if "\x00" in text:
        text = text.replace("\x00", "")
    first = text.split("\n", 1)[0]
    delimiter = max((";", ",", "\t"), key=first.count)
    limit = None if limits.max_rows is None else limits.max_rows + 2
    reader = csv.reader(_lines_checked(text, limits), delimiter=delimiter)
    rows, cells = [], 0
    try:
        for row in islice(reader, limit):
            cells += len(row)
            _check_row(len(row), cells, limits)
            rows.append([cell.strip() for cell in row])
    except csv.Error:
        raise UnreadableFile(_("This file could not be read as CSV.")) from None
    return rows


def _lines_checked(text: str, limits: Limits) -> Iterator[str]:
    """The text's lines for the CSV reader, refusing a line that would make a huge row."""
    for line in io.StringIO(text, newline=""):
        if len(line) > limits.max_line_chars:
            raise UnreadableFile(_("A line of the file is longer than %(max)s characters.")
                                 % {"max": _n(limits.max_line_chars)})
        yield line


def _check_row(columns: int, cells: int, limits: Limits) -> None:
    if columns > limits.max_columns:
        raise UnreadableFile(_("A row of the file has more than %(max)s columns.")
                             % {"max": _n(limits.max_columns)})
    if cells > limits.max_cells:
        raise UnreadableFile(_("The file has more than %(max)s cells: split it.")
                             % {"max": _n(limits.max_cells)})


# XLSX: the zip directory ------------------------------------------------------------------------

def _unreadable_xlsx() -> UnreadableFile:
    return UnreadableFile(_("This file could not be read as an XLSX workbook."))


def _member_count(content: bytes) -> int:
    """The number of zip members the end-of-directory record announces, read before
    zipfile builds an entry for each of them."""
    at = content.rfind(b"PK\x05\x06", max(0, len(content) - 65_557))
    if at < 0 or len(content) < at + 22:
        raise _unreadable_xlsx()
    total, directory_size = struct.unpack("<HL", content[at + 10:at + 16])
    if total == 0xFFFF:  # ZIP64: more members than any workbook needs
        return 2**32
    # The count may lie, the directory's size not: an entry takes 46 bytes and its name.
    return max(total, directory_size // ENTRY_BYTES)


def _open_zip(content: bytes, limits: Limits) -> zipfile.ZipFile:
    """The workbook's zip, once its directory passed the limits."""
    members = _member_count(content)
    if members > limits.max_members:
        raise UnreadableFile(_("This workbook has too many parts (more than %(max)s): save "
                               "it again from your spreadsheet, or send a CSV file.")
                             % {"max": _n(limits.max_members)})
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
    except (zipfile.BadZipFile, ValueError, EOFError, OSError):
        raise _unreadable_xlsx() from None
    try:
        _check_directory(archive.infolist(), limits)
        _check_parts(archive)
    except BaseException:
        archive.close()
        raise
    return archive


def _check_directory(members: list[zipfile.ZipInfo], limits: Limits) -> None:
    unzipped = 0
    for member in members:
        unzipped += member.file_size
        if (member.file_size > SMALL_MEMBER
                and member.file_size > limits.max_ratio * max(member.compress_size, 1)):
            raise UnreadableFile(_(
                "This workbook is compressed abnormally (a part grows %(ratio)s times when "
                "unzipped): save it again from your spreadsheet, or send a CSV file.")
                % {"ratio": _n(member.file_size // max(member.compress_size, 1))})
    if unzipped > limits.max_unzipped:
        raise UnreadableFile(_("This workbook takes %(mb)s MB once unzipped; at most %(max)s MB "
                               "can be read: split it, or send a CSV file.")
                             % {"mb": _n(unzipped // MB), "max": _n(limits.max_unzipped // MB)})


def _content_types(archive: zipfile.ZipFile) -> dict[str, bytes]:
    """{part name: content type} as `[Content_Types].xml` declares them one by one."""
    try:
        info = archive.getinfo(CONTENT_TYPES)
    except KeyError:
        return {}
    if info.file_size > OTHER_PART_MAX:
        raise _part_too_large(info)
    declared = {}
    for tag in OVERRIDE.findall(archive.read(CONTENT_TYPES)):
        name, kind = PART_NAME.search(tag), CONTENT_TYPE.search(tag)
        if name and kind:
            declared[unquote(name.group(1).decode("utf-8", "replace"))] = kind.group(1)
    return declared


def _parts_of_type(archive: zipfile.ZipFile, suffix: bytes) -> list[str]:
    names = set(archive.namelist())
    return sorted(name for name, kind in _content_types(archive).items()
                  if kind.endswith(suffix) and name in names)


def _check_parts(archive: zipfile.ZipFile) -> None:
    """openpyxl reads every XML part whole (workbook, styles, theme, properties, wherever
    they are) except the sheets, which it streams, and the shared strings, which the scan
    counts: those parts may not exceed OTHER_PART_MAX. Media (no XML) it never reads."""
    declared = _content_types(archive)
    for member in archive.infolist():
        kind = declared.get(member.filename)
        streamed = kind is not None and kind.endswith((WORKSHEET_TYPE, SHARED_STRINGS_TYPE))
        media = kind is None and not member.filename.lower().endswith((".xml", ".rels"))
        if member.file_size > OTHER_PART_MAX and not (streamed or media):
            raise _part_too_large(member)


def _part_too_large(member: zipfile.ZipInfo) -> UnreadableFile:
    return UnreadableFile(_(
        "This workbook has a part of %(mb)s MB besides its sheets; at most %(max)s MB "
        "can be read: save it again from your spreadsheet, or send a CSV file.")
        % {"mb": _n(member.file_size // MB), "max": _n(OTHER_PART_MAX // MB)})


def _head(archive: zipfile.ZipFile, name: str) -> bytes:
    with archive.open(name) as member:
        return member.read(HEAD_BYTES)


def _check_declared(archive: zipfile.ZipFile, limits: Limits) -> None:
    """What the sheets and the shared strings announce in their first bytes."""
    cells = 0
    for name in _parts_of_type(archive, WORKSHEET_TYPE):
        columns, rows = _dimension(_head(archive, name))
        if columns > limits.max_columns:
            raise UnreadableFile(_("A sheet of the workbook has %(n)s columns; at most %(max)s "
                                   "can be read.") % {"n": _n(columns),
                                                      "max": _n(limits.max_columns)})
        cells += columns * rows
        if cells > limits.max_cells:
            raise UnreadableFile(_("The workbook declares %(n)s cells; at most %(max)s can be "
                                   "read: remove the empty rows and columns, or split it.")
                                 % {"n": _n(cells), "max": _n(limits.max_cells)})
    for name in _parts_of_type(archive, SHARED_STRINGS_TYPE):
        found = UNIQUE_COUNT.search(_head(archive, name))
        if found and int(found.group(1)) > limits.max_shared_strings:
            raise _too_many_texts(limits)


def _too_many_texts(limits: Limits) -> UnreadableFile:
    return UnreadableFile(_("The workbook holds more than %(max)s distinct texts: split it.")
                          % {"max": _n(limits.max_shared_strings)})


def _dimension(head: bytes) -> tuple[int, int]:
    """(columns, rows) of a sheet's `<dimension ref="A1:C10"/>`; (0, 0) without one."""
    found = DIMENSION.search(head)
    if not found:
        return 0, 0
    first_col, first_row, last_col, last_row = found.groups()
    last_col, last_row = last_col or first_col, last_row or first_row
    if not (first_col and first_row):
        return 0, 0
    columns = _column_number(last_col) - _column_number(first_col) + 1
    return max(columns, 1), max(int(last_row) - int(first_row) + 1, 1)


def _column_number(letters: bytes) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + letter - 64
    return number


# XLSX: streaming guard, then parsing --------------------------------------------------------

def _stream(archive: zipfile.ZipFile, name: str) -> Iterator[bytes]:
    """The member's unzipped bytes in chunks cut before a `<` that may open a tag, so no tag
    is split between two chunks; zipfile never unzips more than the declared size."""
    tail = b""
    with archive.open(name) as member:
        while chunk := member.read(CHUNK):
            data = tail + chunk
            cut = data.rfind(b"<")
            if cut < len(data) - 256:  # no tag name is that long: nothing to keep
                cut = len(data)
            yield data[:cut]
            tail = data[cut:]
    yield tail


def _scan(archive: zipfile.ZipFile, limits: Limits) -> None:
    """Counts cells per row and in all, and the shared strings, as the XML streams by:
    stops at the first limit passed, whatever the file declared. Every part is scanned,
    whatever its name or declared type: openpyxl finds sheets through the workbook's links,
    which may point anywhere."""
    cells = texts = 0
    for name in archive.namelist():
        in_row = 0
        for data in _stream(archive, name):
            _check_columns(data, limits)
            cells += _count(CELL, data)
            in_row = _longest_row(data, in_row, limits)
            _check_row(0, cells, limits)
            texts += _count(SHARED_STRING, data)
            if texts > limits.max_shared_strings:
                raise _too_many_texts(limits)


def _longest_row(data: bytes, in_row: int, limits: Limits) -> int:
    """Checks the cells of each row of the chunk (`in_row`: those of the row the previous
    chunk left open); returns the cells of the row this chunk leaves open. `<c/>`, the
    shortest cell, takes 4 bytes: a row shorter than 4 x max_columns bytes needs no count."""
    pieces = (ROW_TAG if b":row" in data else PLAIN_ROW_TAG).split(data)
    short = 4 * (limits.max_columns + 1)
    last = len(pieces) - 1
    for i, piece in enumerate(pieces):
        if i:
            in_row = 0
        if i == 0 or i == last or len(piece) >= short:
            in_row += _count(CELL, piece)
            _check_row(in_row, 0, limits)
    return in_row


def _count(name: bytes, data: bytes) -> int:
    """How many start tags of element `name` the chunk holds (a prefixed one counts too)."""
    if b":" + name in data:
        return PREFIXED[name].subn(b"", data)[1]  # counted in C, no object per match
    return sum(data.count(b"<" + name + end) for end in TAG_ENDS)


def _check_columns(data: bytes, limits: Limits) -> None:
    unusual = b'\tr="' in data or b'\nr="' in data or b'\rr="' in data
    refs = set((ANY_COLUMN_REF if unusual else COLUMN_REF).findall(data))
    if refs and max(map(_column_number, refs)) > limits.max_columns:
        raise UnreadableFile(_("A row of the file has more than %(max)s columns.")
                             % {"max": _n(limits.max_columns)})


def _read_xlsx(content: bytes, limits: Limits) -> list[list[str]]:
    from openpyxl import load_workbook

    with _open_zip(content, limits) as archive:
        _check_declared(archive, limits)
        try:
            _scan(archive, limits)
        except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, ValueError):
            raise _unreadable_xlsx() from None
    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds of errors on a damaged or foreign file
        raise _unreadable_xlsx() from None
    limit = None if limits.max_rows is None else limits.max_rows + 2
    try:
        rows = workbook.worksheets[0].iter_rows(values_only=True)
        return [[cell_text(v) for v in values] for values in islice(rows, limit)]
    except Exception:
        raise _unreadable_xlsx() from None
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
