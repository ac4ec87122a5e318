"""Offline work in Chromium (issue 18): the service worker keeps the commune, the agent works
without a connection (context.set_offline), the outbox survives closing the page and a
sign-out, and sync sends every change once: applied, merged and said so, or a conflict left
for the agent to resolve with nothing lost."""

import os
import re

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from cooperatives import services
from cooperatives.models import ChangeRequest, Organisation, RegistryEvent, Role
from offline.models import SyncChange

from ..conftest import PASSWORD
from ..factories import make_user
from ..signed_in import signed_in_page

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_db")]

# The service worker controls the page, and the pages, shells and snapshot are kept.
READY = """async (shell) => {
  if (!navigator.serviceWorker.controller) return false;
  const pages = await caches.open("reless-pages");
  const data = await caches.open("reless-data");
  return !!(await pages.match("/offline/forms/" + shell + "/"))
    && !!(await pages.match("/offline/"))
    && !!(await data.match("/api/v1/offline/snapshot/"));
}"""
OUTBOX = """() => new Promise((resolve, reject) => {
  const open = indexedDB.open("reless-offline", 1);
  open.onsuccess = () => {
    const req = open.result.transaction("outbox").objectStore("outbox").getAll();
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  };
  open.onerror = () => reject(open.error);
})"""


def wait_ready(page, shell="organisation-edit", seconds=20):
    """(wait_for_function does not await an async predicate: poll it.)"""
    for _ in range(seconds * 5):
        if page.evaluate(READY, shell):
            return
        page.wait_for_timeout(200)
    state = page.evaluate("""async () => JSON.stringify({
      controller: !!navigator.serviceWorker.controller,
      pages: (await (await caches.open("reless-pages")).keys()).map(r => r.url),
      data: (await (await caches.open("reless-data")).keys()).map(r => r.url)})""")
    raise AssertionError("the offline copy was not ready in time: " + state)


def ready_offline(page, live_server, shell="organisation-edit"):
    """The agent opens /offline/ online, waits until the phone keeps it all, then loses the
    network."""
    page.goto(f"{live_server.url}/offline/")
    wait_ready(page, shell)
    page.context.set_offline(True)


def summary(page) -> str:
    return " ".join(page.locator("#outbox .outbox-summary").text_content().split())


def wait_summary(page, text: str):
    page.wait_for_function(
        "t => { const s = document.querySelector('#outbox .outbox-summary');"
        " return s && s.textContent.replace(/\\s+/g, ' ').trim() === t; }", arg=text)


def register(page, url: str, name: str, *, legal_form="gic", filiere=None, total="7",
             women="3"):
    page.goto(url)
    page.wait_for_selector("form[data-offline-kind]")
    page.fill("#id_name", name)
    page.select_option("#id_legal_form", legal_form)
    page.select_option("#id_primary_filiere", str(filiere.pk))
    page.fill("#id_members_total", total)
    page.fill("#id_members_women", women)
    page.click("main form[data-offline-kind] button[type=submit]")
    page.wait_for_url(re.compile(r"/offline/$"))


def edit_members(page, live_server, organisation, total: str):
    page.goto(f"{live_server.url}/offline/forms/organisation-edit/#{organisation.pk}")
    page.wait_for_function("() => document.querySelector('#id_name').value !== ''")
    page.fill("#id_members_total", total)
    page.click("main form[data-offline-kind] button[type=submit]")
    page.wait_for_url(re.compile(r"/offline/$"))


def go_online_and_sync(page):
    page.context.set_offline(False)
    page.wait_for_function("() => navigator.onLine")
    page.wait_for_selector("#outbox-send")
    page.evaluate("() => { const b = document.querySelector('#outbox-send');"
                  " if (!b.disabled) b.click(); }")
    page.wait_for_function("() => !document.querySelector('#outbox [data-state=waiting],"
                           " #outbox [data-state=sending]')"
                           " && document.querySelector('#outbox .outbox-item')")


def test_it_keeps_three_changes_offline_across_pages_and_sends_them_once(
        browser, live_server, agent_a, commune_a, org_a, cassava):
    page = signed_in_page(browser, live_server, agent_a.username)
    context = page.context
    ready_offline(page, live_server)

    # Two organisations (from the shell, and from the real address the worker answers with
    # the shell) and an edit of a third, all without a connection.
    register(page, f"{live_server.url}/offline/forms/organisation-create/", "Coop Hors Ligne Un",
             filiere=cassava)
    wait_summary(page, "1 change waiting to be sent")
    register(page, f"{live_server.url}/communes/{commune_a.pcode}/organisations/new/",
             "Coop Hors Ligne Deux", filiere=cassava, total="9", women="5")
    edit_members(page, live_server, org_a, "12")
    wait_summary(page, "3 changes waiting to be sent")
    assert page.locator("#outbox-badge .outbox-count").text_content() == "3"
    assert not Organisation.objects.filter(name__startswith="Coop Hors Ligne").exists()

    # Closed and opened again, still offline: the outbox is still there.
    page.close()
    page = context.new_page()
    page.goto(f"{live_server.url}/offline/")
    wait_summary(page, "3 changes waiting to be sent")

    go_online_and_sync(page)
    wait_summary(page, "Nothing waiting: every change has been sent.")
    one = Organisation.objects.get(name="Coop Hors Ligne Un")
    two = Organisation.objects.get(name="Coop Hors Ligne Deux")
    assert (one.commune_id, one.legal_form, one.members_total, one.members_women,
            one.primary_filiere_id) == (commune_a.pk, "gic", 7, 3, cassava.pk)
    assert (two.commune_id, two.members_total, two.members_women) == (commune_a.pk, 9, 5)
    org_a.refresh_from_db()
    assert org_a.members_total == 12
    assert SyncChange.objects.count() == 3

    # The same change sent again (the POST replayed) applies once.
    items = page.evaluate(OUTBOX)
    first = next(i for i in items if i["values"].get("name") == "Coop Hors Ligne Un")
    answer = page.evaluate("""async (item) => {
      const token = document.cookie.match(/csrftoken=([^;]+)/)[1];
      const r = await fetch("/api/v1/sync/", {method: "POST", credentials: "same-origin",
        headers: {"Content-Type": "application/json", "X-CSRFToken": token},
        body: JSON.stringify({changes: [item]})});
      return await r.json();
    }""", first)
    assert [(r["status"], r["repeat"]) for r in answer["results"]] == [("applied", True)]
    assert Organisation.objects.filter(name="Coop Hors Ligne Un").count() == 1
    assert SyncChange.objects.count() == 3


def test_a_field_changed_on_both_sides_ends_on_the_resolution_page(
        browser, live_server, agent_a, commune_a, org_a, cassava):
    colleague = make_user("agent_a2", role=Role.CTD_AGENT, commune=commune_a)
    page = signed_in_page(browser, live_server, agent_a.username)
    ready_offline(page, live_server)
    edit_members(page, live_server, org_a, "12")

    # Meanwhile another agent changes the same field through the services.
    services.organisation_update(user=colleague, organisation=Organisation.objects.get(
        pk=org_a.pk), members_total=11)

    go_online_and_sync(page)
    item = page.locator("#outbox .outbox-item[data-state=conflict]")
    link = item.locator("a.conflict-link")
    href = link.get_attribute("href")
    assert re.fullmatch(r"/offline/conflicts/[0-9a-f-]{36}/", href)
    org_a.refresh_from_db()
    assert org_a.members_total == 11  # nothing applied...
    stored = SyncChange.objects.get()
    assert stored.status == "conflict"
    assert (stored.values["members_total"], stored.base["members_total"]) == ("12", "10")
    # ...and nothing lost: both values on the resolution page. The outbox may re-render under
    # the click (a later pass of the sync replaces its items): a person clicks again.
    for attempt in range(2):
        link.click()
        try:
            page.wait_for_url(re.compile(re.escape(href) + "$"), timeout=10_000)
            break
        except PlaywrightTimeout:
            if attempt:
                raise
    main = page.locator("main").text_content()
    assert "11" in main and "12" in main


def test_changes_to_different_fields_merge_and_say_so(
        browser, live_server, agent_a, commune_a, org_a, cassava):
    colleague = make_user("agent_a2", role=Role.CTD_AGENT, commune=commune_a)
    page = signed_in_page(browser, live_server, agent_a.username)
    ready_offline(page, live_server)
    edit_members(page, live_server, org_a, "12")

    services.organisation_update(user=colleague, organisation=Organisation.objects.get(
        pk=org_a.pk), locality="Village Nouveau")

    go_online_and_sync(page)
    item = page.locator("#outbox .outbox-item[data-state=done]")
    assert "Merged with the changes made meanwhile to:" in item.text_content()
    org_a.refresh_from_db()
    assert (org_a.members_total, org_a.locality) == (12, "Village Nouveau")


def test_an_invalid_change_comes_back_to_fix_and_sign_out_keeps_it(
        browser, live_server, agent_a, commune_a, org_a, cassava):
    page = signed_in_page(browser, live_server, agent_a.username)
    ready_offline(page, live_server)
    # A COOP-CA with too few members: only the server knows the rule.
    register(page, f"{live_server.url}/offline/forms/organisation-create/", "Coop Trop Petite",
             legal_form="coop_ca", filiere=cassava, total="9", women="4")
    go_online_and_sync(page)
    item = page.locator("#outbox .outbox-item[data-state=invalid]")
    assert "A COOP-CA needs at least 15 members." in item.text_content()
    wait_summary(page, "1 change waiting to be sent")

    # Signing out warns; cancelled, nothing happens; confirmed, the change stays for this user.
    messages = []

    def answer(dialog, accept):
        messages.append(dialog.message)
        dialog.accept() if accept else dialog.dismiss()

    summary_button = page.locator("details.menu summary")
    if summary_button.is_visible():
        summary_button.click()
    page.once("dialog", lambda d: answer(d, False))
    page.locator("form[data-outbox-logout] button").click()
    page.wait_for_timeout(300)
    assert page.url.endswith("/offline/")
    page.once("dialog", lambda d: answer(d, True))
    page.locator("form[data-outbox-logout] button").click()
    # Signed out once the device's pages and data are cleared: on the home page.
    page.wait_for_url(re.compile(r"^https?://[^/]+/$"))
    page.wait_for_load_state()
    assert len(messages) == 2 and messages[0].startswith("1 change has not been sent yet.")

    # Back in: the item is there, with its errors; corrected, it is sent.
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", agent_a.username)
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_load_state()
    page.goto(f"{live_server.url}/offline/")
    wait_summary(page, "1 change waiting to be sent")
    page.locator("#outbox a.correct-link").click()
    page.wait_for_function("() => document.querySelector('#id_name').value === 'Coop Trop Petite'")
    assert "A COOP-CA needs at least 15 members." in page.locator("main form").text_content()
    page.fill("#id_members_total", "18")
    page.click("main form[data-offline-kind] button[type=submit]")
    page.wait_for_url(re.compile(r"/offline/$"))
    wait_summary(page, "Nothing waiting: every change has been sent.")
    assert Organisation.objects.get(name="Coop Trop Petite").members_total == 18


def test_another_user_on_the_phone_neither_sees_nor_sends_the_first_ones_changes(
        browser, live_server, agent_a, commune_a, org_a, cassava):
    other = make_user("agent_a3", role=Role.CTD_AGENT, commune=commune_a)
    page = signed_in_page(browser, live_server, agent_a.username)
    context = page.context
    ready_offline(page, live_server)
    edit_members(page, live_server, org_a, "12")
    # The session ends without sending (the page closed offline, the cookies gone); another
    # agent signs in on the same phone.
    page.close()
    context.clear_cookies()
    context.set_offline(False)
    page = context.new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", other.username)
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_load_state()
    page.goto(f"{live_server.url}/offline/")
    wait_ready(page)
    wait_summary(page, "Nothing waiting: every change has been sent.")
    snapshot_user = page.evaluate("async () => (await (await (await caches.open('reless-data'))"
                                  ".match('/api/v1/offline/snapshot/')).json()).user")
    assert snapshot_user == other.pk
    org_a.refresh_from_db()
    assert org_a.members_total == 10
    assert [i["user"] for i in page.evaluate(OUTBOX)] == [str(agent_a.pk)]  # kept for agent_a


def test_an_event_recorded_offline_from_the_kept_commune_reaches_the_registry(
        browser, live_server, agent_a, commune_a, org_a):
    page = signed_in_page(browser, live_server, agent_a.username)
    ready_offline(page, live_server)
    page.reload()  # the workspace, from the phone
    row = page.locator("#offline-data li", has_text=org_a.name)
    row.locator("a", has_text="Record an event").click()
    page.wait_for_function("() => document.querySelector('[data-offline-title]')"
                           ".textContent === 'Record an event'")
    page.select_option("#id_kind", "modification")
    page.fill("#id_date", "2026-11-30")
    page.fill("#id_reference", "PV-2026-17")
    page.click("main form[data-offline-kind] button[type=submit]")
    page.wait_for_url(re.compile(r"/offline/$"))
    wait_summary(page, "1 change waiting to be sent")
    go_online_and_sync(page)
    wait_summary(page, "Nothing waiting: every change has been sent.")
    event = RegistryEvent.objects.get(organisation=org_a, reference="PV-2026-17")
    assert (event.kind, event.date.isoformat()) == ("modification", "2026-11-30")


def test_a_representatives_proposal_made_offline_waits_for_review(
        browser, live_server, rep_a, agent_a, org_a):
    page = signed_in_page(browser, live_server, rep_a.username)
    ready_offline(page, live_server, shell="change-proposal")
    page.goto(f"{live_server.url}/organisations/{org_a.pk}/propose/")  # the shell answers
    page.wait_for_function("() => document.querySelector('#id_members_total').value === '10'")
    page.fill("#id_members_total", "14")
    page.click("main form[data-offline-kind] button[type=submit]")
    page.wait_for_url(re.compile(r"/offline/$"))
    go_online_and_sync(page)
    wait_summary(page, "Nothing waiting: every change has been sent.")
    request = ChangeRequest.objects.get(organisation=org_a)
    assert (request.status, request.changes) == ("pending", {"members_total": {"old": 10,
                                                                               "new": 14}})
    org_a.refresh_from_db()
    assert org_a.members_total == 10  # the agent reviews it first


def test_it_keeps_nothing_beyond_the_bound_and_says_so(
        browser, live_server, agent_a, commune_a, org_a, settings):
    settings.OFFLINE_MAX_BYTES = 200
    page = signed_in_page(browser, live_server, agent_a.username)
    page.goto(f"{live_server.url}/offline/")
    page.wait_for_function("() => /larger than the 1 KB this phone may keep/"
                           ".test(document.querySelector('.offline-size').textContent)")
    assert not page.evaluate("async () => !!(await (await caches.open('reless-data'))"
                             ".match('/api/v1/offline/snapshot/'))")
