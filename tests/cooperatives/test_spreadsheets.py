"""The one reader of uploaded tables (cooperatives.imports.spreadsheets) behind both imports."""

import datetime
import io

import pytest
from django.utils import translation
from openpyxl import Workbook

from cooperatives.imports import UnreadableFile, read_table


def xlsx(rows) -> bytes:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@pytest.mark.parametrize("content", [
    "\ufeffnom;membres\n GIC Espoir ;12\n".encode(),
    b"nom,membres\nGIC Espoir,12\n",
    b"nom\tmembres\nGIC Espoir\t12\n",
])
def test_it_reads_csv_with_any_usual_delimiter_and_a_bom(content):
    assert read_table(content, "f.csv") == [["nom", "membres"], ["GIC Espoir", "12"]]


def test_it_reads_excel_windows_csv_and_drops_nul_characters():
    content = "nom;note\nCoopérative Béta;a\x00b\n".encode("cp1252")
    assert read_table(content, "f.CSV") == [["nom", "note"], ["Coopérative Béta", "ab"]]


def test_it_reads_the_first_sheet_of_a_workbook_as_typed_text():
    content = xlsx([["nom", "membres", "date", "actif"],
                    ["GIC Espoir", 12.0, datetime.datetime(2024, 3, 5, 10, 0), True],
                    [None, 2.5, datetime.date(2023, 1, 2), False]])
    assert read_table(content, "f.xlsx") == [
        ["nom", "membres", "date", "actif"],
        ["GIC Espoir", "12", "2024-03-05", "1"],
        ["", "2.5", "2023-01-02", "0"]]


@pytest.mark.parametrize("name, make", [("f.csv", lambda rows: "\n".join(
    ";".join(r) for r in rows).encode()), ("f.xlsx", xlsx)])
def test_it_stops_reading_just_past_the_row_limit(name, make):
    rows = [["nom"]] + [[f"GIC {n}"] for n in range(10)]
    assert len(read_table(make(rows), name, max_rows=3)) == 5  # header, 3 rows, one more
    assert len(read_table(make(rows), name)) == 11


@pytest.mark.parametrize("language, message", [("en", "Choose a .csv or .xlsx file."),
                                                 ("fr", "Choisissez un fichier .csv ou .xlsx.")])
def test_it_accepts_text_files_only_where_asked(language, message):
    with translation.override(language), pytest.raises(UnreadableFile) as refused:
        read_table(b"nom\n", "f.txt")
    assert str(refused.value) == message
    assert read_table(b"nom\n", "f.txt", text_extensions=(".csv", ".txt")) == [["nom"]]


def test_it_refuses_a_damaged_workbook():
    with translation.override("en"), pytest.raises(UnreadableFile) as refused:
        read_table(b"PK\x03\x04 not really a workbook", "f.xlsx")
    assert str(refused.value) == "This file could not be read as an XLSX workbook."
