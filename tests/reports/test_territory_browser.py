"""A project territory's pages as a CTD agent of a member commune sees them in Chromium, at
360 and 1,280 px, with the page sweep's checks (tests/page_sweep.js: no sideways scroll, no
text wider than its box, no broken word or number) and no serious or critical axe-core
fault. Screenshots land in the test's tmp_path for a look."""

import datetime
import os
from pathlib import Path

import pytest
from django.utils import timezone

from cooperatives.models import LinkKind, ProjectTerritory, TerritoryMembership
from reports.models import ReportRun
from reports.registry import RegistryNow
from reports.territory_reports import territory_convergence, territory_cooperation

from ..factories import (
    DiagnosticFactory,
    EntryFactory,
    InterventionFactory,
    LinkFactory,
    OrganisationFactory,
)
from ..signed_in import signed_in_page

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_db")]
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"  # as the page sweep: ORM beside Playwright
CHECK_LAYOUT = (Path(__file__).parents[1] / "page_sweep.js").read_text()
AXE_RUN = ("axe.run({resultTypes: ['violations'], rules: {region: {enabled: false}}})"
           ".then(results => results.violations)")


@pytest.fixture
def territory(agent_a, commune_a, commune_c, cassava, poultry, agriculture, livestock,
              minader):
    """Set up before the browser starts (the ORM refuses to run beside Playwright's loop)."""
    bassin = ProjectTerritory.objects.create(code="bassin", name="Bassin cacaoyer Alpha – Gamma",
                                             purpose="value_chain", filiere=cassava,
                                             status="active")
    for commune in (commune_a, commune_c):
        TerritoryMembership.objects.create(territory=bassin, commune=commune,
                                           start=datetime.date(2024, 1, 1))
    a1 = OrganisationFactory(name="Coopérative des producteurs de manioc d'Alpha",
                             commune=commune_a, primary_filiere=cassava)
    c1 = OrganisationFactory(name="Union des planteurs de Gamma", commune=commune_c,
                             primary_filiere=cassava)
    OrganisationFactory(commune=commune_c, primary_filiere=poultry)
    OrganisationFactory(commune=commune_a, primary_filiere=cassava, members_total=40)
    LinkFactory(source=a1, target=c1, kind=LinkKind.JOINT_SALE)
    diagnostic = DiagnosticFactory(commune=commune_a, year=2026)
    EntryFactory(diagnostic=diagnostic, sector=agriculture, priority_rank=1)
    EntryFactory(diagnostic=diagnostic, sector=livestock, priority_rank=2)
    InterventionFactory(ministry=minader, commune=commune_c, beneficiaries=[c1])
    today, now = timezone.localdate(), timezone.now()
    for kind, result in (
            ("cooperation", territory_cooperation(bassin, on=today, registry=RegistryNow(today))),
            ("convergence", territory_convergence(bassin, year=today.year, on=today,
                                                  registry=RegistryNow(today)))):
        ReportRun.objects.create(kind=kind, territory=bassin, scope=bassin.scope,
                                 year=today.year, status="done", result=result,
                                 queued_at=now, started_at=now, finished_at=now)
    return bassin


@pytest.mark.parametrize("path", ["/territories/", "/territories/new/", "/territories/bassin/",
                                  "/reports/territories/bassin/cooperation/",
                                  "/reports/territories/bassin/convergence/"])
@pytest.mark.parametrize("language", ["fr-FR", "en-US"])
def test_the_territory_pages_fit_a_phone_and_pass_axe(territory, browser, live_server, agent_a,
                                                      tmp_path, path, language):
    from axe_playwright_python.sync_playwright import Axe

    page = signed_in_page(browser, live_server, agent_a.username, locale=language,
                          viewport={"width": 360, "height": 800},
                          language=language[:2])
    page.context.add_init_script(Axe().axe_script)
    page.goto(f"{live_server.url}{path}")
    assert page.locator("h1").count() == 1
    problems = []
    for width in (360, 1280):
        page.set_viewport_size({"width": width, "height": 800})
        problems += [f"{width}: {p}" for p in page.evaluate(CHECK_LAYOUT)]
        problems += [f"{width}: axe {v['id']} ({v['impact']})" for v in page.evaluate(AXE_RUN)
                     if v["impact"] in ("serious", "critical")]
        name = path.strip("/").replace("/", "-")
        page.screenshot(path=str(tmp_path / f"{name}-{width}.png"), full_page=True)
        assert page.evaluate("document.documentElement.scrollWidth") <= width
    assert not problems, problems
