"""The commune's two reports and the diagnostic print on A4: Chromium prints them to PDF.

The commune holds the shipped taxonomy's ministries and filières (their long French names are
what would push a table past the page), organisations in a dozen filières, a validated diagnostic
with needs in many sectors, interventions and links; the runs are computed from them. Printed
with the print stylesheet at A4's width, no table reaches past the right edge of the page and
the PDF has the expected number of pages.
"""

import datetime
import re

import pytest
from django.utils import timezone

from cooperatives.models import LinkKind
from reports.convergence import convergence_for_commune
from reports.cooperation import cooperation_for_commune
from reports.models import ReportRun
from sectors.models import Filiere, Ministry, Sector
from sectors.taxonomy import load_taxonomy

from ..factories import (
    DiagnosticFactory,
    EntryFactory,
    InterventionFactory,
    LinkFactory,
    OrganisationFactory,
)
from ..signed_in import signed_in_page

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_db")]

YEAR = timezone.localdate().year
# A4's printable width at 96 px per inch with the stylesheet's 10 mm side margins.
A4_CONTENT_PX = {"portrait": round((210 - 20) / 25.4 * 96),
                 "landscape": round((297 - 20) / 25.4 * 96)}


@pytest.fixture
def commune_year(commune_a, agent_a):
    load_taxonomy()
    filieres = list(Filiere.objects.order_by("-name_fr")[:12])
    organisations = []
    for index, filiere in enumerate(filieres):
        organisations.append(OrganisationFactory(
            name=f"Société coopérative des producteurs et transformateurs {index + 1}",
            commune=commune_a, primary_filiere=filiere, members_total=10 + index * 37,
            members_women=5 + index, members_youth=3 + index))
    for left, right in zip(organisations[:6], organisations[1:7], strict=True):
        LinkFactory(source=left, target=right, kind=LinkKind.JOINT_SALE)
    diagnostic = DiagnosticFactory(commune=commune_a, year=YEAR - 1)
    for rank, sector in enumerate(Sector.objects.order_by("code")[:14], start=1):
        EntryFactory(diagnostic=diagnostic, sector=sector, priority_rank=1 + rank % 4,
                     need=f"Renforcement des capacités et équipement du secteur {sector.code}",
                     problem="Faible accès aux intrants, pistes rurales dégradées")
    for ministry in Ministry.objects.order_by("acronym")[:5]:
        InterventionFactory(ministry=ministry, commune=commune_a,
                            beneficiaries=organisations[:2])
    finished = timezone.now()
    for kind, result in (
            ("convergence", convergence_for_commune(commune_a, year=YEAR)),
            ("cooperation", cooperation_for_commune(commune_a, on=timezone.localdate()))):
        ReportRun.objects.create(kind=kind, commune=commune_a, scope=commune_a.pcode, year=YEAR,
                                 status="done", result=result, finished_at=finished,
                                 started_at=finished - datetime.timedelta(seconds=1))
    return commune_a, diagnostic


@pytest.fixture
def agent_page(browser, live_server, agent_a):
    return signed_in_page(browser, live_server, agent_a.username, locale="fr-FR")


def _overflowing_tables(page):
    """Tables whose right edge passes the printable width, with their widths."""
    return page.evaluate("""() => [...document.querySelectorAll('table')]
        .filter(t => t.offsetParent !== null)
        .map(t => ({right: Math.ceil(t.getBoundingClientRect().right),
                    width: document.documentElement.clientWidth,
                    caption: (t.caption || t.querySelector('th') || {}).textContent}))
        .filter(t => t.right > t.width)""")


def _pdf_pages(pdf: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page(?![a-z])", pdf))


@pytest.mark.parametrize("page_name, orientation, pages", [
    ("convergence", "portrait", 5),  # the figures' meanings take a page more
    ("cooperation", "portrait", 2),
    ("diagnostic", "landscape", 4),
])
def test_it_prints_on_a4_without_cutting_a_table(commune_year, agent_page, live_server,
                                                 page_name, orientation, pages):
    commune, diagnostic = commune_year
    path = {"convergence": f"/reports/convergence/{commune.pcode}/",
            "cooperation": f"/reports/cooperation/{commune.pcode}/",
            "diagnostic": f"/diagnostics/{diagnostic.pk}/?print=1"}[page_name]
    page = agent_page
    page.goto(live_server.url + path)
    assert page.locator("table").count() >= 1
    page.emulate_media(media="print")
    page.set_viewport_size({"width": A4_CONTENT_PX[orientation], "height": 1000})
    assert _overflowing_tables(page) == []
    assert page.evaluate("document.documentElement.scrollWidth") <= A4_CONTENT_PX[orientation]
    # Screen-only parts are gone from the paper.
    assert page.evaluate("[...document.querySelectorAll('header.top, form')]"
                         ".every(e => getComputedStyle(e).display === 'none')")
    pdf = page.pdf(prefer_css_page_size=True, print_background=False)
    assert _pdf_pages(pdf) == pages
