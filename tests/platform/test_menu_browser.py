"""The agent's commune tabs in Chromium at 360 px: the tab bar scrolls inside itself, counts
and all, and the page never scrolls sideways (issue 14)."""

import os

import pytest

from cooperatives.models import ChangeRequest

from ..signed_in import signed_in_page

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_db")]


@pytest.fixture
def waiting(org_a, rep_a, agent_a):
    ChangeRequest.objects.create(organisation=org_a, requested_by=rep_a, changes={})


def test_the_tab_bar_never_widens_the_page(waiting, browser, live_server, agent_a, commune_a):
    page = signed_in_page(browser, live_server, agent_a.username,
                          viewport={"width": 360, "height": 740})
    tabs = page.locator("nav.tabbar")
    text = tabs.locator("a", has_text="Change requests").text_content()
    assert " ".join(text.split()) == "Change requests 1 waiting"
    assert page.evaluate("document.documentElement.scrollWidth") == 360
    tabs.locator("a", has_text="Quality").click()
    page.wait_for_url(f"**/quality/communes/{commune_a.pcode}/duplicates/")
    page.wait_for_load_state("load")
    assert page.evaluate("document.documentElement.scrollWidth") == 360
