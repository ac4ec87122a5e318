"""A year up the chain in a real browser (Debian's Chromium through Playwright), at 360 px:
the agent submits, the departmental reviewer returns it with a reason, the agent reads the
reason and submits again, the departmental then the regional reviewer approve, the admin
closes; the chain shows every step."""

import os

import pytest
from django.utils import timezone

from cooperatives.models import Role

from ..factories import DiagnosticFactory, EntryFactory, make_user
from ..platform.test_browser import _log_in

# Playwright's sync API runs an event loop in this thread; the ORM calls in the test are safe.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_db")]
YEAR = 2025


def test_a_year_goes_from_submission_to_closure_with_a_return(
        browser, live_server, commune_a, department, region, agent_a, admin_user, agriculture):
    from playwright.sync_api import expect

    make_user("dept_rev", role=Role.DEPARTMENT_REVIEWER, department=department)
    make_user("region_rev", role=Role.REGION_REVIEWER, region=region)
    diagnostic = DiagnosticFactory(commune=commune_a, year=YEAR, validated_at=timezone.now())
    EntryFactory(diagnostic=diagnostic, sector=agriculture, priority_rank=1, need="Pistes")
    year_url = f"{live_server.url}/reports/signoff/{commune_a.pcode}/{YEAR}/"

    agent = _log_in(browser, live_server, "agent_a")
    agent.click("text=Years and sign-off")
    agent.click(f"text={YEAR}")
    expect(agent.locator(".checklist")).to_contain_text("Diagnostic of 2025 validated")
    agent.click("button[value=submit]")
    expect(agent.locator(".messages")).to_contain_text("the year 2025 is now submitted")

    dept = _log_in(browser, live_server, "dept_rev")  # lands on the years waiting for them
    dept.click("text=Alpha")
    dept.fill("#id_reason", "Le nombre de membres de la COOP-CA est à vérifier.")
    dept.click("button[value=return]")
    expect(dept.locator(".messages")).to_contain_text("now returned")

    agent.goto(year_url)
    expect(agent.locator(".stale")).to_contain_text(
        "Le nombre de membres de la COOP-CA est à vérifier.")
    expect(agent.locator(".stale")).to_contain_text("dept_rev")
    agent.click("button[value=submit]")
    expect(agent.locator(".messages")).to_contain_text("now submitted")

    dept.goto(year_url)
    dept.click("button[value=approve]")
    expect(dept.locator(".messages")).to_contain_text("now approved by the department")

    region_page = _log_in(browser, live_server, "region_rev")
    region_page.click("text=Alpha")
    region_page.click("button[value=approve]")
    expect(region_page.locator(".messages")).to_contain_text("now approved by the region")

    admin = _log_in(browser, live_server, "admin")
    admin.goto(f"{live_server.url}/reports/signoff/")
    admin.click("text=Alpha")
    admin.click("button[value=close]")
    expect(admin.locator(".messages")).to_contain_text("now closed")
    steps = admin.locator(".chain li")
    expect(steps).to_have_count(6)
    for index, (action, who) in enumerate([("Submitted", "agent_a"), ("Returned", "dept_rev"),
                                           ("Submitted", "agent_a"), ("Approved", "dept_rev"),
                                           ("Approved", "region_rev"), ("Closed", "admin")]):
        expect(steps.nth(index)).to_contain_text(action)
        expect(steps.nth(index)).to_contain_text(who)
    expect(steps.nth(1)).to_contain_text("Le nombre de membres de la COOP-CA est à vérifier.")
    assert admin.evaluate("document.documentElement.scrollWidth") <= 360

    agent.goto(f"{live_server.url}/reports/signoff/{commune_a.pcode}/")
    expect(agent.locator(".timeline")).to_contain_text("Closed")
