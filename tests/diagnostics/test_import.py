"""Import of a diagnostic grid from CSV and XLSX: dry run, all-or-nothing, row errors."""

import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook, load_workbook

from cooperatives.imports import normalize
from diagnostics import services
from diagnostics.imports import TEMPLATE_HEADERS, import_grid
from diagnostics.models import DiagnosticEntry

from ..conftest import client_for
from ..factories import DiagnosticFactory, EntryFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

HEADER = ["Secteur", "Niveau", "Localité", "Problème", "Potentialités", "Besoin", "Rang"]
GOOD = [
    ["agriculture", "village", "Nkol", "Pertes", "Terres", "Magasin", "1"],
    ["Agriculture", "", "", "", "", "Semences", "2"],
    ["Élevage", "urbain", "Centre", "", "", "Vaccins", "1"],
]


@pytest.fixture
def draft(commune_a, agriculture, livestock):
    return DiagnosticFactory(commune=commune_a, year=2025, status="draft")


def csv_bytes(rows, delimiter=";", encoding="utf-8-sig") -> bytes:
    return "\r\n".join(delimiter.join(r) for r in rows).encode(encoding)


def xlsx_bytes(rows) -> bytes:
    workbook = Workbook()
    for row in rows:
        workbook.active.append([int(c) if c.isdigit() else (c or None) for c in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def run(user, diagnostic, rows, fmt="csv", dry_run=True):
    content = csv_bytes(rows) if fmt == "csv" else xlsx_bytes(rows)
    return import_grid(user=user, diagnostic=diagnostic, content=content,
                       filename=f"grille.{fmt}", dry_run=dry_run)


def summary(result):
    return ([(e.sector.code, e.level, e.locality, e.need, e.priority_rank)
             for e in result.entries], result.errors)


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_it_changes_nothing_on_a_dry_run(fmt, draft, agent_a):
    result = run(agent_a, draft, [HEADER, *GOOD], fmt)
    assert result.ok and result.dry_run and result.created == 0
    assert summary(result)[0] == [
        ("agriculture", "village", "Nkol", "Magasin", 1),
        ("agriculture", "village", "", "Semences", 2),
        ("elevage", "urban", "Centre", "Vaccins", 1),
    ]
    assert not DiagnosticEntry.objects.exists()
    assert not DiagnosticEntry.history.exists()


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_it_imports_every_row(fmt, draft, agent_a):
    result = run(agent_a, draft, [HEADER, *GOOD], fmt, dry_run=False)
    assert result.created == 3
    assert sorted(draft.entries.values_list("sector__code", "priority_rank", "need")) == [
        ("agriculture", 1, "Magasin"), ("agriculture", 2, "Semences"), ("elevage", 1, "Vaccins")]
    assert DiagnosticEntry.history.filter(history_user=agent_a).count() == 3


def test_it_gives_the_same_result_for_csv_and_xlsx(draft, agent_a):
    rows = [HEADER, *GOOD, ["inconnu", "", "", "", "", "X", "abc"], ["agriculture", "", "", "",
                                                                    "", "", "1"]]
    assert summary(run(agent_a, draft, rows, "csv")) == summary(run(agent_a, draft, rows, "xlsx"))


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_it_writes_nothing_when_one_row_is_bad_and_names_it(fmt, draft, agent_a):
    rows = [HEADER, *GOOD, ["agriculture", "", "", "", "", "Route", "deux"]]
    result = run(agent_a, draft, rows, fmt, dry_run=False)
    assert result.created == 0
    assert [(e.line, e.column, e.message) for e in result.errors] == [
        (5, "Rang", "Give a whole number from 1 to 999.")]
    assert not DiagnosticEntry.objects.exists()


def test_it_reports_every_bad_row_with_line_column_and_reason(draft, agent_a, agriculture):
    EntryFactory(diagnostic=draft, sector=agriculture, priority_rank=7)
    rows = [HEADER,
            ["", "", "", "", "", "Eau", "1"],
            ["santé", "", "", "", "", "Eau", "1"],
            ["agriculture", "forêt", "", "", "", "Eau", "1"],
            ["agriculture", "", "", "", "", "", "2"],
            ["agriculture", "", "x" * 121, "", "", "Eau", "3"],
            ["agriculture", "", "", "", "", "Eau", "0"],
            ["agriculture", "", "", "", "", "Eau", "7"],
            ["agriculture", "", "", "", "", "Eau", "4"],
            ["agriculture", "", "", "", "", "Encore", "4"],
            ["", "", "", "", "", "", ""]]  # blank rows are skipped
    result = run(agent_a, draft, rows, dry_run=False)
    assert [(e.line, e.column, e.message) for e in result.errors] == [
        (2, "Secteur", "Give the sector (its code or its name)."),
        (3, "Secteur", "Unknown sector “santé”: use a code or a name from the template's list."),
        (4, "Niveau", "Unknown level “forêt”: use village, urbain, institution."),
        (5, "Besoin", "This field cannot be blank."),
        (6, "Localité", "Ensure this value has at most 120 characters (it has 121)."),
        (7, "Rang", "Give a whole number from 1 to 999."),
        (8, "Rang", "Rank 7 is already used in this sector of the diagnostic."),
        (10, "Rang", "Rank 4 is already used in this sector on line 9."),
    ]
    assert [e.need for e in result.entries] == ["Eau"]  # line 9
    assert draft.entries.count() == 1


def test_it_finds_sectors_by_code_and_by_french_or_english_name(draft, agent_a):
    rows = [["sector", "need", "rank"],
            ["elevage", "A", "1"], ["ÉLEVAGE", "B", "2"], ["Sector elevage", "C", "3"],
            [" agriculture ", "D", "1"], ["SECTOR Agriculture", "E", "2"]]
    result = run(agent_a, draft, rows)
    assert result.ok, result.errors
    assert [(e.sector.code, e.need) for e in result.entries] == [
        ("elevage", "A"), ("elevage", "B"), ("elevage", "C"), ("agriculture", "D"),
        ("agriculture", "E")]


def test_it_accepts_header_variants_and_ignores_unknown_columns(draft, agent_a):
    rows = [["  SECTEUR ", "level", "Localite", "probleme", "POTENTIALITES", "besoins",
             "Priority rank", "Commentaire"],
            ["agriculture", "Institution communale", "Mairie", "", "", "Bureau", "1"]]
    result = run(agent_a, draft, rows)
    assert result.ok and result.ignored_columns == ["Commentaire"]
    assert summary(result)[0] == [("agriculture", "institution", "Mairie", "Bureau", 1)]


def test_it_names_missing_and_repeated_columns(draft, agent_a):
    result = run(agent_a, draft, [["secteur", "Secteur", "localite"], ["agriculture", "", ""]])
    assert [(e.line, e.column, e.message) for e in result.errors] == [
        (1, "Secteur", "This column appears twice."),
        (1, "besoin", "This column is missing."),
        (1, "rang", "This column is missing."),
    ]


def test_it_reads_comma_separated_windows_files(draft, agent_a):
    content = csv_bytes([HEADER, *GOOD], delimiter=",", encoding="cp1252")
    result = import_grid(user=agent_a, diagnostic=draft, content=content, filename="G.CSV")
    assert result.ok and len(result.entries) == 3
    assert result.entries[2].sector.code == "elevage"


def test_it_reports_an_unreadable_file(draft, agent_a):
    result = import_grid(user=agent_a, diagnostic=draft, content=b"not a zip",
                         filename="grille.xlsx")
    assert [(e.line, e.message) for e in result.errors] == [
        (1, "This file could not be read as an XLSX workbook.")]


def test_it_refuses_an_import_into_a_validated_diagnostic(draft, agent_a, agriculture):
    EntryFactory(diagnostic=draft, sector=agriculture, priority_rank=9)
    services.diagnostic_validate(user=agent_a, diagnostic=draft)
    with pytest.raises(ValidationError):
        run(agent_a, draft, [HEADER, *GOOD], dry_run=False)
    assert draft.entries.count() == 1


def test_it_refuses_an_import_by_another_communes_agent(draft, agent_b):
    with pytest.raises(PermissionDenied):
        run(agent_b, draft, [HEADER, *GOOD], dry_run=True)


def test_it_normalises_headers():
    assert normalize("  Potentialités ") == "potentialites"
    assert normalize("Rang_de-priorité") == "rang de priorite"


# ---- the page


def _post(user, diagnostic, content, name, action):
    upload = SimpleUploadedFile(name, content)
    return client_for(user).post(f"/diagnostics/{diagnostic.pk}/import/",
                                 {"file": upload, "action": action})


def test_it_shows_a_dry_run_on_the_page(draft, agent_a):
    response = _post(agent_a, draft, csv_bytes([HEADER, *GOOD]), "g.csv", "check")
    assert response.status_code == 200
    assert b"The file is correct: 3 needs would be created." in response.content
    assert not DiagnosticEntry.objects.exists()


def test_it_shows_every_bad_row_on_the_page(draft, agent_a):
    rows = [HEADER, *GOOD, ["agriculture", "", "", "", "", "Route", "deux"]]
    response = _post(agent_a, draft, xlsx_bytes(rows), "g.xlsx", "import")
    page = response.content.decode()
    assert response.status_code == 200 and "1 error: nothing was written" in page
    assert "<td class=\"num\">5</td><td>Rang</td><td>Give a whole number from 1 to 999.</td>" \
        in page
    assert not DiagnosticEntry.objects.exists()


def test_it_imports_from_the_page(draft, agent_a):
    response = _post(agent_a, draft, csv_bytes([HEADER, *GOOD]), "g.csv", "import")
    assert response.status_code == 302 and draft.entries.count() == 3


def test_it_refuses_other_file_kinds_on_the_page(draft, agent_a):
    response = _post(agent_a, draft, b"x", "g.txt", "import")
    assert b"Choose a .csv or .xlsx file." in response.content


@pytest.mark.parametrize("who", ["agent_b", "analyst", "rep_a"])
def test_it_hides_the_import_page_from_outsiders(request, who, draft):
    user = request.getfixturevalue(who)
    assert client_for(user).get(f"/diagnostics/{draft.pk}/import/").status_code == 404
    response = _post(user, draft, csv_bytes([HEADER, *GOOD]), "g.csv", "import")
    assert response.status_code == 404 and not DiagnosticEntry.objects.exists()


def test_it_serves_the_templates(agent_a, agriculture, livestock):
    client = client_for(agent_a)
    csv_response = client.get("/diagnostics/import-template.csv")
    assert csv_response.content.decode("utf-8-sig").strip() == ";".join(TEMPLATE_HEADERS)
    xlsx_response = client.get("/diagnostics/import-template.xlsx")
    workbook = load_workbook(io.BytesIO(xlsx_response.content))
    assert [c.value for c in workbook["grille"][1]] == TEMPLATE_HEADERS
    assert [r[0] for r in workbook["secteurs"].iter_rows(min_row=2, values_only=True)] == [
        "agriculture", "elevage"]
    assert client.get("/diagnostics/import-template.txt").status_code == 404
    assert client_for(None).get("/diagnostics/import-template.csv").status_code == 302


def test_it_drops_nul_characters(draft, agent_a):
    rows = [HEADER, ["agriculture", "", "", "", "", "Ma\x00gasin", "1"]]
    result = run(agent_a, draft, rows, dry_run=False)
    assert result.created == 1 and draft.entries.get().need == "Magasin"


def test_it_imports_its_own_filled_template(draft, agent_a):
    workbook = load_workbook(io.BytesIO(client_for(agent_a).get(
        "/diagnostics/import-template.xlsx").content))
    workbook["grille"].append(["elevage", "village", "", "", "", "Vaccins", 1])
    buffer = io.BytesIO()
    workbook.save(buffer)
    result = import_grid(user=agent_a, diagnostic=draft, content=buffer.getvalue(),
                         filename="grille.xlsx", dry_run=False)
    assert result.created == 1
