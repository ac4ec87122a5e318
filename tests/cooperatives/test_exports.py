"""Exports to CSV and XLSX: scoping and filters, provenance, no contacts for analysts."""

import csv
import datetime
import io

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from reports.convergence import convergence_for_communes, convergence_national
from reports.cooperation import cooperation_for_communes, cooperation_national
from reports.models import ReportRun

from ..conftest import CAST, client_for
from ..factories import EntryFactory, LinkFactory, OrganisationFactory

pytestmark = pytest.mark.django_db

SECRETS = ("Awa Secret", "699 000 111", "awa.secret@example.org", "Bruno Private",
           "677 222 333", "bruno.private@example.org")


@pytest.fixture
def cast(org_a, org_b, commune_a, cassava, cast):
    """The cast of tests/conftest.py, and a dormant organisation whose name is a formula."""
    OrganisationFactory(name="=HYPERLINK(\"http://x\")", commune=commune_a,
                        primary_filiere=cassava, status="dormant",
                        contact_name="Dormant Contact")
    return cast


def read_csv(response) -> tuple[list[list[str]], list[list[str]]]:
    """(provenance rows, table rows with the header first)."""
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    blank = rows.index([])
    return rows[:blank], rows[blank + 1:]


def read_xlsx(response) -> tuple[list[list], list[list]]:
    sheet = load_workbook(io.BytesIO(response.content)).worksheets[0]
    rows = [[c for c in row] for row in sheet.iter_rows(values_only=True)]
    blank = next(i for i, row in enumerate(rows) if not any(v is not None for v in row))
    return rows[:blank], rows[blank + 1:]


LISTED = {"agent_a": {"Coop Manioc Alpha", '=HYPERLINK("http://x")'},
          "agent_b": {"Coop Manioc Bêta"}, "rep_a": {"Coop Manioc Alpha"},
          "rep_b": {"Coop Manioc Bêta"},
          "analyst": {"Coop Manioc Alpha", "Coop Manioc Bêta", '=HYPERLINK("http://x")'},
          "admin_user": {"Coop Manioc Alpha", "Coop Manioc Bêta", '=HYPERLINK("http://x")'}}


@pytest.mark.parametrize("role", CAST)
def test_it_exports_what_each_role_may_list(cast, role):
    response = client_for(cast[role]).get("/quality/exports/organisations.csv")
    if role == "anonymous":
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
        return
    if role == "nobody":
        assert response.status_code == 404
        return
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="organisations-')
    provenance, table = read_csv(response)
    header, rows = table[0], table[1:]
    names = {row[1].removeprefix("'") for row in rows}
    assert names == LISTED[role]
    text = "\n".join(",".join(row) for row in provenance + table)
    assert "RELESS" in provenance[0][1]
    if role == "analyst":
        assert not [column for column in header if "contact" in column.lower()]
        for secret in SECRETS + ("Dormant Contact",):
            assert secret not in text
    elif role in ("agent_a", "admin_user", "rep_a"):
        assert "Awa Secret" in text


def test_it_applies_the_list_filters_and_states_them(cast):
    client = client_for(cast["admin_user"])
    response = client.get("/quality/exports/organisations.csv?status=dormant&commune=CM901001001")
    provenance, table = read_csv(response)
    assert [row[1] for row in table[1:]] == ["'=HYPERLINK(\"http://x\")"]  # no formula
    assert provenance[2][1] == "commune=CM901001001; status=dormant"
    assert client.get("/quality/exports/organisations.csv?commune=CM000").status_code == 400
    assert client.get("/quality/exports/organisations.pdf").status_code == 404


def test_it_gives_the_same_rows_in_xlsx(cast):
    client = client_for(cast["agent_a"])
    csv_provenance, csv_table = read_csv(client.get("/quality/exports/organisations.csv"))
    response = client.get("/quality/exports/organisations.xlsx")
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    xlsx_provenance, xlsx_table = read_xlsx(response)
    assert xlsx_table[0] == csv_table[0]
    assert [row[0] for row in xlsx_table[1:]] == [int(row[0]) for row in csv_table[1:]]
    assert xlsx_table[1][1] == '=HYPERLINK("http://x")'  # stored as text, not a formula
    assert [row[0] for row in xlsx_provenance] == [row[0] for row in csv_provenance]


def test_it_gives_analysts_no_contacts_in_xlsx(cast):
    response = client_for(cast["analyst"]).get("/quality/exports/organisations.xlsx")
    provenance, table = read_xlsx(response)
    flat = " ".join(str(v) for row in provenance + table for v in row if v is not None)
    for secret in SECRETS:
        assert secret not in flat
    assert "analyst" in flat.lower() or "analyste" in flat.lower()


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_it_exports_a_reviewer_territory_without_contacts(cast, commune_c, cassava,
                                                         dept_reviewer, far_reviewer, fmt):
    """The reviewers' organisations are their department's or region's, public columns only,
    and the provenance says so."""
    OrganisationFactory(name="Coop Gamma", commune=commune_c, primary_filiere=cassava,
                        contact_name="Gamma Contact")
    expected = {dept_reviewer: LISTED["analyst"], far_reviewer: {"Coop Gamma"}}
    for reviewer, names in expected.items():
        response = client_for(reviewer).get(f"/quality/exports/organisations.{fmt}",
                                            HTTP_ACCEPT_LANGUAGE="en")
        assert response.status_code == 200
        provenance, table = (read_csv if fmt == "csv" else read_xlsx)(response)
        header, rows = table[0], table[1:]
        assert {str(row[1]).removeprefix("'") for row in rows} == names
        assert not [column for column in header if "contact" in str(column).lower()]
        flat = " ".join(str(v) for row in provenance + table for v in row if v is not None)
        for secret in (*SECRETS, "Dormant Contact", "Gamma Contact"):
            assert secret not in flat
        assert "reviewer of" in flat and "without personal data" in flat
    response = client_for(far_reviewer).get("/quality/exports/organisations.csv?commune="
                                            "CM901001001")
    assert read_csv(response)[1][1:] == []  # a filter outside the territory lists nothing


# Reports ----------------------------------------------------------------------------------------

@pytest.fixture
def runs(cast, org_a, org_b, commune_a, commune_b, agriculture):
    LinkFactory(source=org_a, target=org_b)
    EntryFactory(diagnostic__commune=commune_a, sector=agriculture, priority_rank=1)
    today = timezone.localdate()
    done = {"status": ReportRun.Status.DONE, "finished_at": timezone.now(), "year": today.year}
    coop = cooperation_for_communes([commune_a.pk], on=today)[commune_a.pk]
    ReportRun.objects.create(kind="cooperation", scope=commune_a.pcode, commune=commune_a,
                             result=coop, **done)
    ReportRun.objects.create(kind="cooperation", scope="national",
                             result=cooperation_national(on=today), **done)
    conv = convergence_for_communes([commune_a.pk], year=today.year)[commune_a.pk]
    ReportRun.objects.create(kind="convergence", scope=commune_a.pcode, commune=commune_a,
                             result=conv, **done)
    ReportRun.objects.create(kind="convergence", scope="national",
                             result=convergence_national(year=today.year), **done)
    return cast


def test_it_flattens_the_latest_commune_reports(runs):
    client = client_for(runs["agent_a"])
    provenance, table = read_csv(client.get(
        "/quality/exports/reports/cooperation.csv?commune=CM901001001"))
    figures = dict(table[1:])
    assert table[0] in (["Figure", "Value"], ["Indicateur", "Valeur"])
    assert figures["active_organisations"] == "1"  # org_a; the other one is dormant
    assert figures["cross_commune"] == "1"
    assert figures["links_by_kind.joint_sale"] == "1"
    assert figures["linked_share"] == "1.0"
    _, table = read_csv(client.get(
        "/quality/exports/reports/convergence.csv?commune=CM901001001"))
    header, rows = table[0], table[1:]
    minader = dict(zip(header, next(r for r in rows if r[1] == "MINADER"), strict=True))
    assert (minader["organisations"], minader["needs"], minader["state"]) == (
        "1", "1", "unsupported")
    response = client.get("/quality/exports/reports/convergence.xlsx?commune=CM901001001")
    assert read_xlsx(response)[1][0] == header


def test_it_flattens_the_national_reports(runs):
    client = client_for(runs["analyst"])
    _, table = read_csv(client.get("/quality/exports/reports/cooperation.csv"))
    header, rows = table[0], table[1:]
    assert header[0] == "commune"
    assert [row[0] for row in rows] == ["national", "CM901001001", "CM901001002"]
    _, table = read_csv(client.get("/quality/exports/reports/convergence.csv"))
    assert {row[0] for row in table[1:]} >= {"CM901001001"}


@pytest.mark.parametrize("role", CAST)
def test_it_exports_reports_only_in_scope(runs, role):
    client = client_for(runs[role])
    commune = client.get("/quality/exports/reports/cooperation.csv?commune=CM901001001")
    national = client.get("/quality/exports/reports/convergence.xlsx")
    if role == "anonymous":
        assert commune.status_code == national.status_code == 302
        return
    expected_commune = 200 if role in ("agent_a", "rep_a", "analyst", "admin_user") else 404
    expected_national = 200 if role in ("analyst", "admin_user") else 404
    assert (commune.status_code, national.status_code) == (expected_commune, expected_national)
    assert client.get("/quality/exports/reports/other.csv").status_code == 404


def test_it_says_when_no_report_was_computed(cast):
    client = client_for(cast["agent_a"])
    provenance, table = read_csv(client.get(
        "/quality/exports/reports/cooperation.csv?commune=CM901001001",
        HTTP_ACCEPT_LANGUAGE="en"))
    assert provenance[-1] == ["Run", "No report has been computed yet."]
    assert table == [[]]
    assert client.get("/quality/exports/reports/cooperation.csv?year=20x5").status_code == 400


def test_it_states_provenance(cast):
    response = client_for(cast["agent_a"]).get("/quality/exports/organisations.csv")
    provenance, _table = read_csv(response)
    values = [row[1] for row in provenance]
    assert any("Alpha (CM901001001)" in v and v.startswith("agent_a") for v in values)
    assert any(v.startswith(str(datetime.date.today().year)) for v in values)


@pytest.mark.parametrize("language, label", [("fr", "Exporter en Excel (XLSX)"),
                                             ("en", "Export as Excel (XLSX)")])
def test_the_organisation_list_links_to_its_xlsx_export(cast, language, label):
    import re

    client = client_for(cast["agent_a"])
    page = client.get("/communes/CM901001001/organisations/", {"status": "dormant"},
                      HTTP_ACCEPT_LANGUAGE=language)
    assert page.status_code == 200
    link = re.search(r'<a href="([^"]+)">' + re.escape(label) + "</a>", page.text)
    assert link is not None
    href = link.group(1).replace("&amp;", "&")
    assert href.startswith("/quality/exports/organisations.xlsx?commune=CM901001001&")
    _provenance, table = read_xlsx(client.get(href))
    assert [row[1] for row in table[1:]] == ['=HYPERLINK("http://x")']  # the dormant one only
