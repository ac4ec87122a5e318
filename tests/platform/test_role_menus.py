"""Each role's menu (issue 14): every entry answers 200 and the menu is the same on every
page of the role's menu (only the entry marked current moves)."""

import re
from html.parser import HTMLParser

import pytest

from tests.conftest import client_for

pytestmark = pytest.mark.django_db


class _MenuParser(HTMLParser):
    """The links of the header's menu and of the agent's tab bar, in order."""

    def __init__(self):
        super().__init__()
        self.menus = {"main": [], "tabs": []}
        self._in = None
        self._depth = 0
        self._link = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "nav" and attrs.get("aria-label") in ("Main menu", "Menu principal"):
            self._in, self._depth = "main", 1
        elif tag == "nav" and "tabbar" in (attrs.get("class") or ""):
            self._in, self._depth = "tabs", 1
        elif self._in and tag == "nav":
            self._depth += 1
        elif self._in and tag == "a":
            self._link = [attrs["href"], ""]
        elif self._in and tag == "button":
            self._link = ["<button>", ""]

    def handle_endtag(self, tag):
        if self._in and tag == "nav":
            self._depth -= 1
            if not self._depth:
                self._in = None
        elif self._link and tag in ("a", "button"):
            self.menus[self._in].append((self._link[0], " ".join(self._link[1].split())))
            self._link = None

    def handle_data(self, data):
        if self._link:
            self._link[1] += data


def menus_of(html: str) -> dict:
    parser = _MenuParser()
    parser.feed(html)
    return parser.menus


def walk(client, landing: str) -> tuple[dict, dict]:
    """The menus of the landing page, and of every page they lead to (by URL)."""
    response = client.get(landing, follow=True)
    assert response.status_code == 200
    first = menus_of(response.content.decode())
    seen = {}
    for href, _label in first["main"] + first["tabs"]:
        if href == "<button>":
            continue
        page = client.get(href)
        assert page.status_code == 200, (href, page.status_code)
        seen[href] = menus_of(page.content.decode())
    return first, seen


def labels(menus: dict) -> dict:
    return {k: [label for _href, label in v] for k, v in menus.items()}


ROLE_MENUS = {
    "anonymous": ["Overview", "Map", "Open data", "Log in"],
    "agent_a": ["Dashboard", "Project territories", "Personal data", "Work offline",
                "Notifications", "Password", "Log out"],
    "rep_a": ["Our space", "Our organisation", "Suggested partners", "Our requests",
              "Reports of the commune", "Work offline", "Notifications", "Password", "Log out"],
    "analyst": ["Convergence (national)", "Cooperation (national)", "Project territories",
                "Map", "Statistics of cooperatives (ILO)", "Our interventions",
                "Record an intervention", "Support programmes", "API and tokens", "Notifications",
                "Password", "Log out"],
    "admin_user": ["Organisations", "National quality", "Possible duplicates", "Imports",
                   "Integrity checks", "Report runs", "Convergence (national)",
                   "Cooperation (national)", "Statistics of cooperatives (ILO)",
                   "Project territories", "Years to sign off",
                   "Support programmes", "Personal data", "Administration",
                   "Notifications", "Password", "Log out"],
    "region_reviewer": ["Years to sign off", "Map", "Notifications", "Password", "Log out"],
}
AGENT_TABS = ["Dashboard", "Registry", "RELESS", "Links", "Change requests", "Diagnostics",
              "Interventions", "Support programmes", "Reports", "Sign-off", "Import",
              "Quality"]


@pytest.mark.parametrize("who", list(ROLE_MENUS))
def test_each_role_menu_answers_and_stays_the_same(who, cast, region_reviewer, org_b):
    user = region_reviewer if who == "region_reviewer" else cast[who]
    client = client_for(user, language="en")
    first, seen = walk(client, "/me/" if user else "/")
    assert labels(first)["main"] == ROLE_MENUS[who]
    assert labels(first)["tabs"] == (AGENT_TABS if who == "agent_a" else [])
    for href, menus in seen.items():
        if href.startswith("/admin/"):  # Django's administration keeps its own header
            continue
        assert menus == first, href


def test_the_agent_tabs_name_the_commune_and_mark_the_page(agent_a, commune_a):
    client = client_for(agent_a, language="en")
    html = client.get(f"/diagnostics/c/{commune_a.pcode}/").content.decode()
    tabbar = re.search(r'<nav class="tabbar[^"]*" aria-label="([^"]+)">(.*?)</nav>', html, re.S)
    assert tabbar.group(1) == commune_a.name
    current = re.findall(r'<a href="([^"]+)" aria-current="page">', tabbar.group(2))
    assert current == [f"/diagnostics/c/{commune_a.pcode}/"]
    # The page's own commune bar is not repeated for the agent.
    assert 'class="subnav' not in html


def test_the_menu_in_french(agent_a):
    html = client_for(agent_a, language="fr").get("/me/", follow=True).content.decode()
    assert labels(menus_of(html))["tabs"][:4] == ["Tableau de bord", "Registre", "RELESS", "Liens"]


def test_landing_pages(cast, region_reviewer, commune_a, minader):
    def landing(user):
        return client_for(user).get("/me/")["Location"]
    assert landing(cast["agent_a"]) == f"/communes/{commune_a.pcode}/dashboard/"
    assert landing(cast["rep_a"]) == "/me/space/"
    assert landing(cast["analyst"]) == f"/reports/convergence/?ministry={minader.acronym}"
    assert landing(cast["admin_user"]) == "/organisations/"
    assert landing(region_reviewer) == "/reports/signoff/"


def test_the_menu_counts_what_awaits(agent_a, rep_a, org_a, org_b, commune_a):
    from cooperatives.models import ChangeRequest, CooperationLink
    ChangeRequest.objects.create(organisation=org_a, requested_by=rep_a, changes={})
    CooperationLink.objects.create(source=org_b, target=org_a, kind="joint_sale",
                                   source_confirmed=True)
    html = client_for(agent_a, language="en").get("/me/", follow=True).content.decode()
    tabs = labels(menus_of(html))["tabs"]
    assert tabs[1:5] == ["Registry", "RELESS", "Links 1 waiting", "Change requests 1 waiting"]
