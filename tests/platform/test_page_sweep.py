"""Every HTML page, for every role, at phone (360×740) and desktop (1280×800) widths, in French
and English, in Debian's Chromium.

The pages come from the URLconf-generated authorization matrix
(tests/platform/test_route_matrix.py): each role visits every route whose GET the matrix says
answers it 200, and whose answer is an HTML page (not a download, and not DRF's browsable
rendering of a JSON endpoint). A new HTML route therefore joins the sweep as soon as it joins
the matrix, and the matrix fails on a route without an entry.

A visit fails on: the page scrolling sideways; a text wider than its box (outside elements that
scroll on their own by design); a word or number broken across lines (a break at an automatic
hyphen in words is allowed, never in numbers); a chart label rendered under 12 px or cut with
"…" and no full name in a <title>; any asset answering 4xx/5xx or failing; any axe-core
violation of impact serious or critical. Screenshots land in var/sweep/.
"""

import os
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.conf import settings
from django.test import Client
from django.urls import reverse

from .test_route_matrix import ADMIN, MATRIX, build_world, expected_code, url_of, urlconf_routes

# Playwright's sync API runs an event loop in this thread; the ORM calls in the test are safe.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_db")]

# One of each kind of user: anonymous, CTD agent, cooperative representative, ministry
# analyst, national admin, departmental reviewer.
ROLES = ("anonymous", "agent_a", "rep_a", "analyst", ADMIN, "dept_rev")
LANGUAGES = ("fr", "en")
# A quicker local loop: PAGE_SWEEP=admin_user:en sweeps one role in one language.
if os.environ.get("PAGE_SWEEP"):
    ROLES, LANGUAGES = (tuple(part.split(",")) for part in os.environ["PAGE_SWEEP"].split(":"))
WIDTHS = ((360, 740), (1280, 800))
SHOTS = Path(settings.BASE_DIR) / "var" / "sweep"
ACCEPT_HTML = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"

# Runs in the page; returns a list of problems (strings).
CHECK_LAYOUT = (Path(__file__).parents[1] / "page_sweep.js").read_text()
RENDERED = "() => !document.getElementById('swagger-ui') || document.querySelector('.opblock')"
# axe-core as bundled by axe-playwright-python: loaded in every document of the tab (one
# compilation per tab, not per page), run at each width.
AXE = Axe().axe_script
# The "region" rule (content outside landmarks) is at most moderate and the slowest to run.
AXE_RUN = ("axe.run({resultTypes: ['violations'], rules: {region: {enabled: false}}})"
           ".then(results => results.violations)")




def html_pages(w, role: str) -> list[tuple[str, str]]:
    """[(route name, URL)] of the HTML pages the matrix opens to `role` (GET answering 200)."""
    from rest_framework.renderers import BrowsableAPIRenderer

    client = Client(HTTP_ACCEPT=ACCEPT_HTML)
    if role != "anonymous":
        client.cookies[settings.SESSION_COOKIE_NAME] = w.sessions[role]
    pages = []
    for name, route in MATRIX.items():
        if route.get is None or expected_code(name, route, "GET", role) != 200:
            continue
        url = url_of(name, route, w)
        response = client.get(url)
        assert response.status_code == 200, f"{role} {name}: {response.status_code}"
        html = response.get("Content-Type", "").startswith("text/html")
        if html and not isinstance(getattr(response, "accepted_renderer", None),
                                   BrowsableAPIRenderer):
            pages.append((name, url))
    return pages


def visit(page, failed: list, base: str, url: str, shot: Path) -> list[str]:
    """Problems of the page at `url`, at each width (the page is loaded once, then resized).
    `failed` collects the assets answering 4xx/5xx or failing while it loads."""
    failed.clear()
    problems = []
    page.set_viewport_size({"width": WIDTHS[0][0], "height": WIDTHS[0][1]})
    page.goto(base + url, wait_until="load")
    # Swagger UI draws the API docs from the schema after the load event.
    page.wait_for_function(RENDERED)
    for width, height in WIDTHS:
        page.set_viewport_size({"width": width, "height": height})
        where = f"{width} px"
        problems += [f"{where}: {p}" for p in page.evaluate(CHECK_LAYOUT)]
        for violation in page.evaluate(AXE_RUN):
            if violation["impact"] in ("serious", "critical"):
                targets = ", ".join(str(n["target"][0]) for n in violation["nodes"][:3])
                problems.append(f"{where}: axe {violation['id']} ({violation['impact']}): "
                                f"{targets}")
        page.screenshot(path=str(shot).format(width=width), full_page=True)
    return problems + [f"asset {f}" for f in dict.fromkeys(failed)]


def open_page(browser, w, live_server, role: str, language: str):
    """One tab for `role` in `language`, with axe-core loaded in every document it opens, and
    the list its failed assets go to."""
    context = browser.new_context(locale=language, viewport={"width": 360, "height": 740})
    cookies = [{"name": settings.LANGUAGE_COOKIE_NAME, "value": language,
                "url": live_server.url}]
    if role != "anonymous":
        cookies.append({"name": settings.SESSION_COOKIE_NAME, "value": w.sessions[role],
                        "url": live_server.url})
    context.add_cookies(cookies)
    context.add_init_script(AXE)
    page = context.new_page()
    page.set_default_timeout(20000)
    failed = []
    page.on("response", lambda r: r.status >= 400 and failed.append(f"{r.status} {r.url}"))
    page.on("requestfailed", lambda r: failed.append(f"failed {r.url}"))
    return page, failed


def test_it_shows_every_page_without_overflow_or_serious_accessibility_faults(
        browser, live_server):
    from reports.maps import forget_cached

    routes = set(urlconf_routes())
    assert routes <= set(MATRIX), f"routes missing from the matrix: {sorted(routes - set(MATRIX))}"
    w = build_world()
    forget_cached()
    SHOTS.mkdir(parents=True, exist_ok=True)
    offending, checked = [], 0
    for role in ROLES:
        pages = html_pages(w, role)
        for language in LANGUAGES:
            page, failed = open_page(browser, w, live_server, role, language)
            for name, url in pages:
                shot = SHOTS / f"{role}-{language}-{{width}}-{name.replace(':', '_')}.png"
                problems = visit(page, failed, live_server.url, url, shot)
                checked += len(WIDTHS)
                offending += [f"{role} {language} {name} ({url}): {p}" for p in problems]
            page.context.close()
    print(f"\npage sweep: {checked} page views checked ({len(ROLES)} roles, "
          f"{len(LANGUAGES)} languages, {len(WIDTHS)} widths)")
    assert checked > 0
    assert not offending, f"{len(offending)} problems:\n" + "\n".join(offending)


def test_it_sweeps_html_pages_but_not_downloads_or_the_api_json():
    """The discovery keeps HTML pages and leaves out downloads and the API's JSON."""
    w = build_world()
    names = dict(html_pages(w, "anonymous"))
    assert "login" in names and "home" in names and "api-docs" in names
    assert "quality:open_data_csv" not in names and "api-commune-list" not in names
    assert names["login"] == reverse("login")


def test_it_flags_a_wide_page_a_broken_number_and_small_chart_labels(browser):
    """The layout checks themselves, on a page built to break each rule once."""
    page = browser.new_page(viewport={"width": 360, "height": 740})
    page.set_content(
        '<html lang="en"><body style="margin:0">'
        '<div style="width:400px">wide</div>'
        '<p style="width:30px;overflow-wrap:anywhere">753123</p>'
        '<p style="width:40px;white-space:nowrap">Agroforesterie</p>'
        '<div style="width:300px;overflow-x:auto"><p style="width:600px">scrolls</p></div>'
        '<svg viewBox="0 0 640 40" style="width:320px"><text y="20" font-size="12">Needs</text>'
        '<text y="35" font-size="24">Label ou marque en co…</text></svg></body></html>')
    problems = page.evaluate(CHECK_LAYOUT)
    page.close()
    # The width of a word depends on the fonts installed: only its box is exact.
    wide_word = problems.pop(2)
    assert wide_word.startswith('text wider than its box: "Agroforesterie" in p (')
    assert wide_word.endswith(" px, box 40 px)")
    assert problems == [
        "the page scrolls sideways (400 px in 360 px)",
        'number broken across lines: "753123" in p',
        'chart label cut without its full name in a <title>: "Label ou marque en co…"',
        "1 chart labels under 12 px (down to 6.0 px)",
    ]
