"""Each role's work in a real browser, reached only through the menus and the pages' own links
and buttons (issue 14, "Done when"): after the login page no URL is typed.

- The representative proposes a change to their profile, acts on a suggested partner, and
  later reads the agent's decision in "Our requests" and "Notifications".
- The CTD agent registers an organisation, approves the representative's change request,
  confirms a link proposed by another commune's organisation, validates a draft diagnostic
  and reads both reports of the commune, whose figures are the stored runs' (ReportRun.result,
  computed in-process by the edits themselves).
- The ministry analyst lands on the national convergence with their ministry's own view (its
  figures are the stored national run's), finds a commune by its name typed without accents
  and in other capitals, and records an intervention there, picking the commune by name.
"""

import os
import re

import pytest
from django.utils import timezone

from cooperatives.models import ChangeRequest, CooperationLink, LinkStatus
from diagnostics.models import Intervention, TerritorialDiagnostic
from reports.models import ReportRun
from reports.runs import latest_done
from reports.tasks import queue_commune_reports

from ..factories import DiagnosticFactory, EntryFactory, LinkFactory, OrganisationFactory
from ..signed_in import signed_in_page

# Playwright's sync API runs an event loop in this thread; the ORM calls in the test are safe.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_db")]

PHONE = {"width": 360, "height": 740}
DESKTOP = {"width": 1280, "height": 800}


def _log_in(browser, live_server, username, viewport):
    """The login page is the only address ever typed."""
    return signed_in_page(browser, live_server, username, viewport=viewport, language="en",
                          timeout=15000)


def _menu(page, label):
    """Open the header's menu (a <details> at 360 px) and follow one of its entries."""
    menu = page.locator("header details.menu")
    summary = menu.locator("summary")  # hidden on wide screens, where the menu stays open
    if menu.get_attribute("open") is None and summary.is_visible():
        summary.click()
    menu.locator("nav a", has_text=re.compile(rf"^{re.escape(label)}\b")).click()
    page.wait_for_load_state()


def _tab(page, label):
    """Follow one of the agent's commune tabs (the tab bar under the header)."""
    page.locator("nav.tabbar a", has_text=re.compile(rf"^{re.escape(label)}\b")).click()
    page.wait_for_load_state()


def _card(page, label):
    """The big figure of a report card whose title is `label`."""
    return page.locator("dl.cards .card dt", has_text=label).first.locator("b")


def _percent(ratio, digits=0):
    return f"{ratio['num'] / ratio['den'] * 100:.{digits}f} %"


def test_the_representative_and_the_agent_do_their_work_from_the_menus(
        browser, live_server, agent_a, rep_a, org_a, org_b, commune_a, cassava, agriculture):
    from playwright.sync_api import expect

    year = timezone.localdate().year
    # A partner of the same commune and filière, with no link: the commune's cooperation run
    # (computed in-process, as an edit queues it) names the pair as an opportunity.
    partner = OrganisationFactory(commune=commune_a, primary_filiere=cassava,
                                  name="Coop Gari Partenaire", members_total=20)
    queue_commune_reports(commune_a.pk)  # the factory adds filières after its save
    opportunity = latest_done(ReportRun.Kind.COOPERATION, commune=commune_a, year=year)
    assert [sorted(o["organisations"]) for o in opportunity.result["opportunities"]] == [
        sorted([org_a.pk, partner.pk])]
    # Commune B's organisation proposed a link to org_a: its side has confirmed, A's has not.
    cross = LinkFactory(source=org_b, target=org_a, status=LinkStatus.PROPOSED,
                        source_confirmed=True, target_confirmed=False)
    # A draft diagnostic of the year with one need of the agriculture sector (MINADER's).
    draft = DiagnosticFactory(commune=commune_a, year=year,
                              status=TerritorialDiagnostic.Status.DRAFT)
    EntryFactory(diagnostic=draft, sector=agriculture, need="Moulin à manioc",
                 priority_rank=1)

    # --- The representative: propose a change, act on a suggested partner. ---------------
    rep = _log_in(browser, live_server, "rep_a", PHONE)
    expect(rep.locator("h1")).to_have_text("Our space")
    rep.click("text=Propose a change to our profile")
    rep.fill("#id_members_total", "12")
    rep.click("main button[type=submit]")
    expect(rep.locator(".messages")).to_contain_text("waits for the CTD agent's review")
    assert ChangeRequest.objects.filter(organisation=org_a,
                                        status=ChangeRequest.Status.PENDING).count() == 1

    _menu(rep, "Suggested partners")
    expect(rep.locator("h1")).to_have_text("Suggested partners")
    suggestion = rep.locator("ul.links li", has_text=partner.name)
    expect(suggestion).to_contain_text(org_a.name)
    suggestion.locator("button", has_text="Propose this link").click()
    rep.wait_for_load_state()
    proposed = CooperationLink.objects.get(status=LinkStatus.PROPOSED, source=org_a,
                                           target=partner)
    assert (proposed.source_confirmed, proposed.target_confirmed) == (True, False)

    # --- The CTD agent: every task from the dashboard and the commune's tabs. -------------
    agent = _log_in(browser, live_server, "agent_a", PHONE)
    expect(agent).to_have_url(re.compile(rf"/communes/{commune_a.pcode}/dashboard/$"))

    agent.click("text=Register an organisation")
    agent.fill("#id_name", "Coop Gari de l'Alpha")
    agent.select_option("#id_legal_form", "gic")
    agent.select_option("#id_primary_filiere", str(cassava.pk))
    agent.fill("#id_members_total", "7")
    agent.fill("#id_members_women", "3")
    agent.click("main button[type=submit]")
    expect(agent.locator("h1")).to_contain_text("Coop Gari de l'Alpha")
    _tab(agent, "Registry")
    expect(agent.locator("main table")).to_contain_text("Coop Gari de l'Alpha")

    _tab(agent, "Change requests")
    request = agent.locator("section.request", has_text=org_a.name)
    expect(request).to_contain_text("12")
    request.locator("button[value=approve]").click()
    expect(agent.locator(".messages")).to_contain_text("The request is approved.")

    _tab(agent, "Links")
    waiting = agent.locator("ul.links li", has_text=org_b.name)
    waiting.locator("button", has_text="Confirm").click()
    agent.wait_for_load_state()
    cross.refresh_from_db()
    assert cross.status == LinkStatus.CONFIRMED

    _tab(agent, "Diagnostics")
    agent.locator("main table a", has_text=str(year)).click()
    agent.locator("button", has_text="Validate the diagnostic").click()
    agent.wait_for_load_state()
    draft.refresh_from_db()
    assert draft.status == TerritorialDiagnostic.Status.VALIDATED

    _tab(agent, "Reports")
    expect(agent.locator("h1")).to_contain_text(f"Convergence report: {commune_a.name}")
    convergence = latest_done(ReportRun.Kind.CONVERGENCE, commune=commune_a, year=year).result
    assert convergence["ministries"]["MINADER"]["state"] == "unsupported"
    expect(_card(agent, "Convergence score")).to_have_text(_percent(convergence["score"]))
    for state, count in convergence["states"].items():
        expect(agent.locator(f"dl.cards .card.state-{state} dt b")).to_have_text(str(count))
    row = agent.locator("table.figures tbody tr", has=agent.locator("abbr", has_text="MINADER"))
    minader = convergence["ministries"]["MINADER"]
    expect(row.locator("td.num")).to_have_text(
        [str(minader.get(f, 0)) for f in ("organisations", "members", "women", "youth",
                                          "needs", "priority_needs", "interventions",
                                          "beneficiaries", "programmes", "enrolled")])

    agent.locator("nav.tabs a", has_text="Cooperation").click()
    expect(agent.locator("h1")).to_contain_text(f"Cooperation report: {commune_a.name}")
    cooperation = latest_done(ReportRun.Kind.COOPERATION, commune=commune_a, year=year).result
    assert cooperation["active_organisations"] == 3 and cooperation["cross_commune"] == 1
    for label, key in (("active organisations", "active_organisations"),
                       ("components", "components"), ("isolated organisations", "isolated"),
                       ("counted links", "links"), ("links with other communes", "cross_commune"),
                       ("links across filières", "cross_filiere")):
        expect(_card(agent, label)).to_have_text(str(cooperation[key]))
    expect(_card(agent, "linked")).to_have_text(_percent(cooperation["linked_share"]))
    expect(_card(agent, "density")).to_have_text(_percent(cooperation["density"], 1))
    expect(agent.locator("table.opportunities tbody tr")).to_have_count(
        len(cooperation["opportunities"]))

    # --- The representative again: the decision and its notice. ----------------------------
    _menu(rep, "Our requests")
    expect(rep.locator("main table tbody tr").first).to_contain_text("Approved")
    _menu(rep, "Notifications")
    expect(rep.locator("main")).to_contain_text("approved")


def test_the_analyst_reads_their_ministry_finds_a_commune_and_records_an_intervention(
        browser, live_server, analyst, agent_a, org_a, commune_a, commune_b, agriculture,
        minader):
    from playwright.sync_api import expect

    from reports.tasks import request_national_recompute

    year = timezone.localdate().year
    diagnostic = DiagnosticFactory(commune=commune_a, year=year)
    EntryFactory(diagnostic=diagnostic, sector=agriculture, need="Moulin à manioc",
                 priority_rank=1)
    request_national_recompute(year=year)  # what the nightly run does (in-process here)
    national = latest_done(ReportRun.Kind.CONVERGENCE, year=year).result
    figures = national["country"]["ministries"]["MINADER"]

    page = _log_in(browser, live_server, "analyst", DESKTOP)
    expect(page).to_have_url(re.compile(r"/reports/convergence/\?ministry=MINADER$"))
    focus = page.locator("section.ministry-focus")
    expect(focus.locator("h2")).to_contain_text("MINADER")
    expect(focus.locator(".cards .card b")).to_have_text(
        [str(figures["organisations"]), str(figures["priority_needs"]),
         str(figures["interventions"]),
         str(national["communes"][commune_a.pcode]["ministries"]["MINADER"]["state"]
             == "converging" and 1 or 0)])
    expect(focus.locator("ul.communes a", has_text=commune_a.name)).to_have_count(1)

    # A commune by its name: the overview's search, typed without accents, in capitals.
    page.locator("header a.brand").click()
    page.fill("#id_q", "BETA")
    page.locator("form.search button").click()  # one commune matches: its page opens
    expect(page).to_have_url(re.compile(rf"/c/{commune_b.pcode}/$"))
    expect(page.locator("h1")).to_contain_text(commune_b.name)

    # Record an intervention: the menu, the commune by name (another spelling), the form.
    _menu(page, "Record an intervention")
    page.fill("#id_commune_name", "alpha")
    page.locator("main button[type=submit]").click()
    page.fill("#id_programme", "Programme manioc")
    page.select_option("#id_sector", str(agriculture.pk))
    page.fill("#id_start_date", f"{year}-02-01")
    page.fill("#id_budget", "2500000")
    page.select_option("#id_beneficiaries", [str(org_a.pk)])
    page.locator("main button[type=submit]").click()
    expect(page.locator(".messages")).to_contain_text("Intervention recorded.")
    intervention = Intervention.objects.get()
    assert (intervention.commune, intervention.ministry, intervention.budget) == (
        commune_a, minader, 2_500_000)
    assert list(intervention.beneficiaries.all()) == [org_a]
