"""The support pages as a CTD agent sees them in Chromium at 360 px: the page itself never
scrolls sideways (tables scroll inside their own region). Screenshots land in tmp_path."""

import datetime

import pytest

from ..factories import EnrolmentFactory, ProgrammeFactory
from ..signed_in import signed_in_page

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_db")]


@pytest.fixture
def programme(agent_a, minader, commune_a, org_a):
    """Built before the browser starts (the ORM refuses to run inside its event loop)."""
    programme = ProgrammeFactory(ministry=minader, communes=[commune_a], budget=250_000_000,
                                 name="Programme national de formation des coopératives "
                                      "agricoles du Centre")
    EnrolmentFactory(programme=programme, organisation=org_a, outcome="completed",
                     end_date=datetime.date(2025, 9, 30), note="14 membres formés en gestion")
    return programme


def test_the_programme_and_organisation_pages_fit_a_phone(programme, agent_a, org_a, browser,
                                                          live_server, tmp_path):
    page = signed_in_page(browser, live_server, agent_a.username, locale="fr-FR",
                          viewport={"width": 360, "height": 800})
    for name, path in (("list", "/support/programmes/"),
                       ("programme", f"/support/programmes/{programme.pk}/"),
                       ("organisation", f"/organisations/{org_a.pk}/"),
                       ("enrol", f"/support/programmes/{programme.pk}/enrol/"),
                       ("new", "/support/programmes/new/")):
        page.goto(f"{live_server.url}{path}")
        page.screenshot(path=str(tmp_path / f"support-{name}.png"), full_page=True)
        assert page.evaluate("document.documentElement.scrollWidth") <= 360, name
    page.goto(f"{live_server.url}/organisations/{org_a.pk}/")
    assert "14 membres formés en gestion" in page.locator("#support-received").inner_text()
