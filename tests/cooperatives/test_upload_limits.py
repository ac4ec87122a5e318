"""Spreadsheet uploads that cannot blow up: crafted bombs are refused fast, in bounded memory,
with the reason in the user's language; the worker reads files under a memory limit.

Every bomb is built here with zipfile writing raw XML. Memory is the peak tracemalloc sees
while the file is read (the bomb itself is built before); CPU is `time.process_time()`,
asserted with a generous bound (the refusals take milliseconds).
"""

import contextlib
import io
import re
import time
import tracemalloc
import zipfile
from dataclasses import replace

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.urls import reverse
from django.utils import translation

from cooperatives import imports
from cooperatives.imports import (
    Limits,
    OutOfMemory,
    UnreadableFile,
    read_table,
    read_table_in_child,
)
from cooperatives.models import ImportJob
from diagnostics.models import DiagnosticEntry

from ..factories import DiagnosticFactory

pytestmark = pytest.mark.django_db
MB = 1024 * 1024
MEMORY_BOUND = 50 * MB
CPU_BOUND = 1.0  # seconds of this process's CPU: the refusals take milliseconds
NS = b'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
RELS_NS = b'xmlns="http://schemas.openxmlformats.org/package/2006/relationships"'
CONTENT_TYPES = (
    b'<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/'
    b'package/2006/content-types"><Default Extension="rels" ContentType="application/'
    b'vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType='
    b'"application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/'
    b'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName='
    b'"/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.'
    b'spreadsheetml.worksheet+xml"/><Override PartName="/xl/sharedStrings.xml" ContentType='
    b'"application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
    b'</Types>')
ROOT_RELS = (b'<?xml version="1.0" encoding="UTF-8"?><Relationships ' + RELS_NS + b'>'
             b'<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/'
             b'2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>')
WORKBOOK = (b'<?xml version="1.0" encoding="UTF-8"?><workbook ' + NS + b' xmlns:r="http://'
            b'schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet '
            b'name="s" sheetId="1" r:id="rId1"/></sheets></workbook>')
WORKBOOK_RELS = (
    b'<?xml version="1.0" encoding="UTF-8"?><Relationships ' + RELS_NS + b'>'
    b'<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    b'relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" '
    b'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings"'
    b' Target="sharedStrings.xml"/></Relationships>')


def workbook(rows, *, dimension: bytes | None = None, shared_strings=(),
             shared_count: int | None = None, extra=(), sheet_target: bytes | None = None
             ) -> bytes:
    """A workbook written as raw XML. `rows`: an iterable of the rows' inner XML (bytes);
    `shared_strings`: an iterable of the shared strings' XML; `extra`: (name, chunks)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES)
        archive.writestr("_rels/.rels", ROOT_RELS)
        archive.writestr("xl/workbook.xml", WORKBOOK)
        archive.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS.replace(
            b"worksheets/sheet1.xml", sheet_target or b"worksheets/sheet1.xml"))
        with archive.open("xl/worksheets/sheet1.xml", "w") as sheet:
            sheet.write(b'<?xml version="1.0" encoding="UTF-8"?><worksheet ' + NS + b'>')
            if dimension:
                sheet.write(b'<dimension ref="' + dimension + b'"/>')
            sheet.write(b"<sheetData>")
            for n, row in enumerate(rows, 1):
                sheet.write(b'<row r="%d">' % n + row + b"</row>")
            sheet.write(b"</sheetData></worksheet>")
        with archive.open("xl/sharedStrings.xml", "w") as shared:
            count = b' uniqueCount="%d"' % shared_count if shared_count is not None else b""
            shared.write(b'<?xml version="1.0" encoding="UTF-8"?><sst ' + NS + count + b">")
            for chunk in shared_strings:
                shared.write(chunk)
            shared.write(b"</sst>")
        for name, chunks in extra:
            with archive.open(name, "w") as member:
                for chunk in chunks:
                    member.write(chunk)
    return out.getvalue()


def inline(*texts: str) -> bytes:
    return b"".join(b'<c t="inlineStr"><is><t>%s</t></is></c>' % t.encode() for t in texts)


def one_row_of_four_million_cells(**options) -> bytes:
    return workbook([b"<c/>" * 4_000_000], **options)


def four_million_shared_strings(**options) -> bytes:
    chunks = (b"<si><t>%d</t></si>" % n for n in range(4_000_000))
    return workbook([b'<c t="s"><v>0</v></c>'], shared_strings=chunks, **options)


def highly_compressible_member() -> bytes:
    """A 200 MB member of blanks (it zips to about 200 KB)."""
    return workbook([inline("nom")], extra=[("xl/media/blank.bin",
                                                  (b" " * MB for _ in range(200)))])


@contextlib.contextmanager
def measured():
    """Peak traced memory and CPU time of the block: `with measured() as m: ...; m.peak`."""
    result = type("Measure", (), {})()
    tracemalloc.start()
    started = time.process_time()
    try:
        yield result
    finally:
        result.cpu = time.process_time() - started
        result.peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()


def refusal(content: bytes, name: str = "f.xlsx", limits: Limits | None = None,
            language: str = "en") -> tuple[str, object]:
    with translation.override(language), measured() as cost:
        with pytest.raises(UnreadableFile) as refused:
            read_table(content, name, limits=limits)
    assert cost.peak < MEMORY_BOUND, cost.peak
    assert cost.cpu < CPU_BOUND, cost.cpu
    return str(refused.value), cost


def test_it_reads_a_raw_workbook_within_the_limits():
    content = workbook([inline("nom", "membres"), inline("GIC Espoir", "12")],
                       dimension=b"A1:B2")
    assert read_table(content, "f.xlsx") == [["nom", "membres"], ["GIC Espoir", "12"]]


def test_it_refuses_a_row_of_four_million_cells_from_the_zip_directory():
    message, _cost = refusal(one_row_of_four_million_cells())
    assert re.fullmatch(r"This workbook is compressed abnormally \(a part grows 1,\d{3} times "
                        r"when unzipped\): save it again from your spreadsheet, or send a CSV "
                        r"file\.", message)


def test_it_refuses_a_row_of_four_million_cells_from_its_declared_dimension():
    content = one_row_of_four_million_cells(dimension=b"A1:XFD1")
    message, _cost = refusal(content, limits=Limits.from_settings(max_ratio=10**9))
    assert message == "A sheet of the workbook has 16,384 columns; at most 200 can be read."


def test_it_counts_the_cells_of_a_row_while_streaming_when_nothing_is_declared():
    content = one_row_of_four_million_cells()
    message, _cost = refusal(content, limits=Limits.from_settings(max_ratio=10**9))
    assert message == "A row of the file has more than 200 columns."


def test_it_counts_every_cell_while_streaming():
    rows = (b"<c/>" * 30 for _ in range(100_000))  # 3 million cells, 30 a row
    message, _cost = refusal(workbook(rows), limits=Limits.from_settings(max_ratio=10**9))
    assert message == "The file has more than 2,500,000 cells: split it."


@pytest.mark.parametrize("cells", [b'<c r="A1"/><c r="XFD1"/>', b'<c\nr="XFD1"/>'])
def test_it_refuses_a_far_column_that_would_widen_every_row(cells):
    message, _cost = refusal(workbook([cells], dimension=b"A1:B1"))
    assert message == "A row of the file has more than 200 columns."


def test_it_scans_a_sheet_hidden_under_another_name():
    """openpyxl follows the workbook's link to the sheet, wherever it is."""
    hidden = [(b"<worksheet " + NS + b"><sheetData><row>", b"<c/>" * 4_000_000,
               b"</row></sheetData></worksheet>")]
    content = workbook([inline("nom")], extra=[("xl/media/image1.png", hidden[0])],
                       sheet_target=b"media/image1.png")
    small = workbook([inline("nom")], extra=[("xl/media/image1.png", [
        b"<worksheet " + NS + b"><sheetData><row>", inline("GIC Espoir"),
        b"</row></sheetData></worksheet>"])], sheet_target=b"media/image1.png")
    assert read_table(small, "f.xlsx") == [["GIC Espoir"]]  # openpyxl reads that part
    message, _cost = refusal(content, limits=Limits.from_settings(max_ratio=10**9))
    assert message == "A row of the file has more than 200 columns."


def test_it_refuses_four_million_shared_strings_from_their_declared_count():
    message, _cost = refusal(four_million_shared_strings(shared_count=4_000_000),
                             language="fr")
    assert message == ("Le classeur contient plus de 1\u202f000\u202f000 textes distincts : "
                       "découpez-le.")


def test_it_counts_shared_strings_while_streaming_when_the_count_lies():
    content = four_million_shared_strings(shared_count=10)
    limits = Limits.from_settings(max_ratio=10**9)
    message, _cost = refusal(content, limits=limits)
    assert message == "The workbook holds more than 1,000,000 distinct texts: split it."


def test_it_refuses_a_highly_compressible_member_by_its_ratio_then_its_size():
    content = highly_compressible_member()
    assert len(content) < MB
    message, _cost = refusal(content)
    assert message.startswith("This workbook is compressed abnormally")
    message, _cost = refusal(content, limits=Limits.from_settings(max_ratio=10**9))
    assert message == ("This workbook takes 200 MB once unzipped; at most 160 MB can be "
                       "read: split it, or send a CSV file.")


def test_it_refuses_a_large_part_that_openpyxl_would_read_whole():
    styles = [b'<styleSheet ' + NS + b'><cellXfs>', *(b'<xf numFmtId="%d"/>' % n
                                                     for n in range(600_000)), b"</cellXfs>"]
    content = workbook([inline("nom")], extra=[("xl/styles.xml", styles)])
    message, _cost = refusal(content)
    assert message == ("This workbook has a part of 13 MB besides its sheets; at most 8 MB can "
                       "be read: save it again from your spreadsheet, or send a CSV file.")


def test_it_refuses_a_zip_of_too_many_members_before_listing_them():
    content = workbook([inline("nom")], extra=[(f"xl/media/{n}.bin", [b""])
                                               for n in range(600)])
    message, _cost = refusal(content)
    assert message == ("This workbook has too many parts (more than 500): save it again from "
                       "your spreadsheet, or send a CSV file.")


@pytest.mark.parametrize("content, limits, message", [
    (b"nom\n" + b"x" * (25 * MB), None, "The file is too large: at most 25 MB."),
    (b"nom\n" + b";" * 2_000_000, None,
     "A line of the file is longer than 1,000,000 characters."),
    (b"nom\n" + b";" * 300, None, "A row of the file has more than 200 columns."),
    (b"a;b\n" * 30_000, Limits.from_settings(max_cells=50_000),
     "The file has more than 50,000 cells: split it."),
])
def test_it_holds_csv_files_to_their_size_lines_columns_and_cells(content, limits, message):
    assert refusal(content, "f.csv", limits=limits)[0] == message


def test_it_stops_reading_csv_rows_just_past_the_row_limit():
    limits = Limits.from_settings(max_rows=3)
    assert len(read_table(b"nom\n" + b"GIC\n" * 10, "f.csv", limits=limits)) == 5


# Through the pages: a form error in the user's language, nothing stored ------------------------

def test_it_refuses_a_bomb_on_the_import_page_before_storing_it(client, agent_a, commune_a):
    client.force_login(agent_a)
    bomb = SimpleUploadedFile("bombe.xlsx", one_row_of_four_million_cells())
    with translation.override("fr"):
        url = reverse("quality:import_start", kwargs={"pcode": commune_a.pcode})
    response = client.post(url, {"file": bomb, "action": "check"}, HTTP_ACCEPT_LANGUAGE="fr")
    assert response.status_code == 200
    [error] = response.context["form"].errors["file"]
    assert re.fullmatch(r"Ce classeur est compressé de façon anormale \(une partie grossit "
                        r"1\u202f\d{3} fois une fois décompressée\) : enregistrez-le de nouveau "
                        r"depuis votre tableur, ou envoyez un fichier CSV\.", error)
    assert ImportJob.objects.count() == 0


def test_it_refuses_a_bomb_on_the_grid_import_page(client, agent_a, commune_a):
    draft = DiagnosticFactory(commune=commune_a, year=2025, status="draft")
    client.force_login(agent_a)
    bomb = SimpleUploadedFile("grille.xlsx", four_million_shared_strings(
        shared_count=4_000_000))
    response = client.post(reverse("diagnostic_import", kwargs={"pk": draft.pk}),
                           {"file": bomb, "action": "import"}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert response.context["form"].errors["file"] == [
        "This workbook takes 86 MB once unzipped; at most 40 MB can be read: split it, or "
        "send a CSV file."]
    assert DiagnosticEntry.objects.filter(diagnostic=draft).count() == 0


def test_it_holds_grid_files_to_smaller_limits():
    from diagnostics.imports import upload_limits

    limits = upload_limits()
    assert (limits.max_rows, limits.max_cells, limits.max_unzipped, limits.max_bytes) == (
        20_000, 250_000, 40 * MB, 10 * MB)
    rows = (b"<c/>" * 10 for _ in range(26_000))
    message, _cost = refusal(workbook(rows), limits=replace(limits, max_ratio=10**9))
    assert message == "The file has more than 250,000 cells: split it."


# The worker: read in a child process under a memory limit ---------------------------------------

def many_rows_csv(rows: int) -> bytes:
    """About 70 MB of rows once read (ten cells a row), from a 5 MB file."""
    header = ";".join(f"c{n}" for n in range(10))
    return "\n".join([header, *(";".join(f"{row}-{n}" for n in range(10))
                                for row in range(rows))]).encode()


def test_it_reads_the_same_table_in_a_child_process():
    content = workbook([inline("nom", "membres"), inline("GIC Espoir", "12")])
    assert read_table_in_child(content, "f.xlsx") == read_table(content, "f.xlsx")
    with translation.override("fr"), pytest.raises(UnreadableFile) as refused:
        read_table_in_child(b"PK\x05\x06", "f.xlsx")
    assert str(refused.value) == "Ce fichier n'a pas pu être lu comme un classeur XLSX."


# A child's address-space limit is counted from what the parent process maps: after a worker
# of the parallel run has held other files' data, a 70 MB read could fit. These run in a fresh
# process of their own after the parallel run (make test: -m serial).
@pytest.mark.serial
@override_settings(IMPORT_READ_MEMORY_MB=16)
def test_it_stops_a_child_that_needs_more_memory_than_allowed():
    with translation.override("en"), pytest.raises(OutOfMemory) as refused:
        read_table_in_child(many_rows_csv(100_000), "f.csv")
    assert str(refused.value) == ("Reading this file needs more memory than the platform "
                                  "allows: split it into smaller files.")


@pytest.mark.serial
@override_settings(IMPORT_READ_MEMORY_MB=16)
def test_it_records_a_job_that_ran_out_of_memory_as_failed(
        agent_a, commune_a, django_capture_on_commit_callbacks):
    with translation.override("fr"), django_capture_on_commit_callbacks(execute=True):
        job = imports.import_job_create(
            user=agent_a, commune=commune_a, file_name="gros.csv",
            content=many_rows_csv(100_000), dry_run=True)
    job.refresh_from_db()
    assert (job.status, job.error) == (ImportJob.Status.FAILED, (
        "La lecture de ce fichier demande plus de mémoire que la plateforme n'en autorise : "
        "découpez-le en fichiers plus petits."))
