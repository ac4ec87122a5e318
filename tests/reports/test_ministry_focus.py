"""An analyst's landing page: the national convergence report with their ministry's own view
(issue 14): its figures and the communes where it is unsupported or unmet."""

import pytest
from django.utils import timezone

from reports.models import ReportRun
from tests.conftest import english_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def national_run(commune_a, commune_b, commune_c, minader, minepia):
    cells = {
        commune_a.pcode: {"MINADER": "unsupported", "MINEPIA": "converging"},
        commune_b.pcode: {"MINADER": "unmet", "MINEPIA": "unsupported"},
        commune_c.pcode: {"MINADER": "converging", "MINEPIA": "absent"},
    }
    country = {"communes": 3, "ministries": {
        "MINADER": {"organisations": 7, "priority_needs": 4, "interventions": 2,
                    "states": {"converging": 1, "unsupported": 1, "unmet": 1}},
        "MINEPIA": {"organisations": 3, "priority_needs": 1, "interventions": 1}}}
    now = timezone.now()
    return ReportRun.objects.create(
        kind="convergence", scope="national", year=timezone.localdate().year,
        status=ReportRun.Status.DONE, started_at=now, finished_at=now,
        result={"ministries": ["MINADER", "MINEPIA"], "country": country,
                "regions": {}, "departments": {},
                "communes": {p: {"ministries": {a: {"state": s} for a, s in c.items()},
                                 "score": None, "unmet_needs": []}
                             for p, c in cells.items()}})


def test_the_analyst_lands_on_their_ministry(analyst, national_run, commune_a, commune_b):
    client = english_client(analyst)
    landing = client.get("/me/")["Location"]
    response = client.get(landing)
    focus = response.context["report"]["ministry_focus"]
    assert focus["acronym"] == "MINADER"
    assert [c["pcode"] for c in focus["unsupported"]] == [commune_a.pcode]
    assert [c["pcode"] for c in focus["unmet"]] == [commune_b.pcode]
    assert focus["converging"] == 1
    rows = {m["acronym"]: m["selected"] for m in response.context["report"]["ministry_totals"]}
    assert rows == {"MINADER": True, "MINEPIA": False}
    html = response.content.decode()
    assert "1 commune where an intervention would find partners" in html
    assert '<option value="MINADER" selected>' in html


def test_another_ministry_or_none(analyst, national_run, commune_b):
    client = english_client(analyst)
    focus = client.get("/reports/convergence/?ministry=MINEPIA").context["report"][
        "ministry_focus"]
    assert [c["pcode"] for c in focus["unsupported"]] == [commune_b.pcode]
    assert client.get("/reports/convergence/?ministry=NOPE").context["report"][
        "ministry_focus"] is None
    assert client.get("/reports/convergence/").context["report"]["ministry_focus"] is None
