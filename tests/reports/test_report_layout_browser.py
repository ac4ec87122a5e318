"""The national convergence page as an analyst sees it in Chromium: at 1,280 px nothing scrolls
sideways, the per-ministry tables included; at 360 px the page itself never does (a wide table
scrolls inside its own region). Screenshots land in the test's tmp_path for a look."""

import pytest
from django.utils import timezone

from reports.models import ReportRun
from sectors.models import Ministry
from sectors.taxonomy import load_taxonomy

from ..signed_in import signed_in_page

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_db")]

STATES = ("converging", "unmet", "unsupported", "unplanned", "absent")


def _national_run(communes):
    """Every shipped ministry with national-sized figures (seven digits of members)."""
    acronyms = sorted(Ministry.objects.values_list("acronym", flat=True))
    figures = {"organisations": 123_456, "members": 4_567_890, "women": 2_345_678,
               "youth": 1_234_567, "needs": 12_345, "priority_needs": 6_789,
               "interventions": 2_345, "beneficiaries": 98_765}
    ministries = {a: dict(figures, states=dict.fromkeys(STATES, 360)) for a in acronyms}
    country = {"communes": 360, "ministries": ministries, "states": dict.fromkeys(STATES, 1),
               "score": {"num": 1234, "den": 5678}, "unmet_needs": 4321}
    cell = dict(figures, state="unsupported")
    result = {"year": timezone.localdate().year, "ministries": acronyms,
              "communes": {c.pcode: {"commune": c.pcode, "ministries": dict.fromkeys(
                  acronyms, cell), "score": {"num": 0, "den": 1}, "unmet_needs": []}
                  for c in communes},
              "departments": {}, "regions": {}, "country": country}
    now = timezone.now()
    ReportRun.objects.create(kind="convergence", scope="national", year=now.year,
                             status="done", result=result, queued_at=now, started_at=now,
                             finished_at=now)


@pytest.fixture
def national(analyst, commune_a, commune_b, commune_c):
    """Set up before the browser starts (the ORM refuses to run beside Playwright's loop)."""
    load_taxonomy()
    _national_run([commune_a, commune_b, commune_c])


@pytest.fixture
def analyst_page(national, browser, live_server, analyst):
    return signed_in_page(browser, live_server, analyst.username, locale="fr-FR")


WIDE_TABLES = """() => [...document.querySelectorAll('table.ministries')]
    .map(t => ({scroll: t.parentElement.scrollWidth, client: t.parentElement.clientWidth}))"""


@pytest.mark.parametrize("width", [1280, 360])
def test_the_national_convergence_page_fits_the_screen(analyst_page, live_server, tmp_path,
                                                       width):
    page = analyst_page
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(f"{live_server.url}/reports/convergence/")
    assert page.locator("table.ministries").count() == 2
    page.screenshot(path=str(tmp_path / f"convergence-{width}.png"), full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    if width == 1280:
        # The per-ministry tables do not even scroll inside their regions.
        assert all(t["scroll"] <= t["client"] for t in page.evaluate(WIDE_TABLES))
