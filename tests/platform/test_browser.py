"""The registry in a real browser (Debian's Chromium through Playwright): a CTD agent registers
a cooperative, a representative proposes a change, the agent approves it."""

import os
import re

import pytest

from ..signed_in import signed_in_page

# Playwright's sync API runs an event loop in this thread; the ORM calls in the test are safe.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_db")]





def _log_in(browser, live_server, username):
    return signed_in_page(browser, live_server, username,
                          viewport={"width": 360, "height": 740}, timeout=15000)


def test_it_registers_a_cooperative_and_approves_a_representatives_change(
        browser, live_server, agent_a, rep_a, org_a, commune_a, cassava):
    from playwright.sync_api import expect

    agent = _log_in(browser, live_server, "agent_a")
    expect(agent).to_have_url(re.compile(rf"/communes/{commune_a.pcode}/dashboard/$"))

    # A COOP-CA with too few members: the error shows next to the field, typed values stay.
    agent.click("text=Register an organisation")
    agent.fill("#id_name", "Coop Gari de l'Alpha")
    agent.select_option("#id_legal_form", "coop_ca")
    agent.select_option("#id_primary_filiere", str(cassava.pk))
    agent.fill("#id_members_total", "9")
    agent.fill("#id_members_women", "4")
    agent.click("main button[type=submit]")
    field = agent.locator(".field.invalid", has=agent.locator("#id_members_total"))
    expect(field).to_contain_text("A COOP-CA needs at least 15 members.")
    expect(agent.locator("#id_name")).to_have_value("Coop Gari de l'Alpha")
    agent.fill("#id_members_total", "18")
    agent.click("main button[type=submit]")
    expect(agent.locator("h1")).to_contain_text("Coop Gari de l'Alpha")
    expect(agent.locator("#members-total")).to_have_text("18")
    agent.goto(f"{live_server.url}/communes/{commune_a.pcode}/organisations/")
    expect(agent.locator("table")).to_contain_text("Coop Gari de l'Alpha")

    # The representative proposes a new member count; it waits for review.
    rep = _log_in(browser, live_server, "rep_a")
    expect(rep.locator("h1")).to_contain_text("Our space")
    rep.click(f"main h2 >> text={org_a.name}")
    expect(rep.locator("h1")).to_contain_text(org_a.name)
    rep.click("text=Propose a change")
    rep.fill("#id_members_total", "12")
    rep.click("main button[type=submit]")
    expect(rep.locator(".messages")).to_contain_text("waits for the CTD agent's review")
    expect(rep.locator("#members-total")).to_have_text("10")

    # The agent approves it from the commune's pending requests.
    agent.goto(f"{live_server.url}/communes/{commune_a.pcode}/change-requests/")
    request = agent.locator("section.request", has_text=org_a.name)
    expect(request).to_contain_text("12")
    request.locator("button[value=approve]").click()
    expect(agent.locator(".messages")).to_contain_text("The request is approved.")

    # The profile shows the new count, and the history who changed it.
    rep.reload()
    expect(rep.locator("#members-total")).to_have_text("12")
    change = rep.locator(".history li", has_text="agent_a").first
    expect(change.locator("tr", has_text="members")).to_contain_text("10")
    expect(change.locator("tr", has_text="members")).to_contain_text("12")
    expect(rep.locator(".requests")).to_contain_text("Approved")


def test_the_form_filters_filieres_and_uses_the_position_with_its_script(
        browser, live_server, agent_a, commune_a, cassava, maize, poultry):
    from playwright.sync_api import expect

    agent = _log_in(browser, live_server, "agent_a")
    agent.context.grant_permissions(["geolocation"])
    agent.context.set_geolocation({"latitude": 3.86671, "longitude": 11.51668})
    agent.goto(f"{live_server.url}/communes/{commune_a.pcode}/organisations/new/")
    box = agent.locator("input.choice-filter")
    expect(box).to_have_attribute("aria-label", "Filter the list by name")
    agent.check(f"#id_filieres input[value='{poultry.pk}']")
    box.fill("mai")
    visible = agent.locator("#id_filieres > div:not([hidden]) label")
    expect(visible).to_have_text(["Poultry", "Maize"])  # a checked one stays in sight
    box.fill("")
    expect(visible).to_have_count(3)
    agent.screenshot(path="/tmp/h_input_form_360.png", full_page=True)
    members = agent.locator("#id_members_total")
    expect(members).not_to_have_attribute("required", "")
    agent.select_option("#id_legal_form", "scoops")
    expect(members).to_have_attribute("required", "")
    expect(agent.locator("label[for=id_members_total] .required-mark")).to_have_count(1)
    agent.select_option("#id_legal_form", "gic")
    expect(agent.locator("label[for=id_members_total] .required-mark")).to_have_count(0)
    agent.click("button.use-position")
    expect(agent.locator("#id_latitude")).to_have_value("3.86671")
    expect(agent.locator("#id_longitude")).to_have_value("11.51668")
