"""The first `make run` on a fresh database serves the platform as users will see it.

The command itself runs (migrations, reference data, demo dataset, collectstatic, runserver) on
a new SQLite file with no service configured, as on a newcomer's machine; then Chromium opens
the home page, an agent's dashboard and the API docs and every asset they load must answer 200.
"""

import datetime
import os
import re
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def first_run(tmp_path_factory):
    """`make run` on an empty SQLite file; yields (base URL, its output so far)."""
    folder = tmp_path_factory.mktemp("first-run")
    port = _free_port()
    env = {key: value for key, value in os.environ.items()
           if key not in ("DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE")}
    # Its own STATIC_ROOT: collectstatic rewrites hashed files in place, which other test
    # workers serving the project's staticfiles/ through WhiteNoise would meet half-written.
    env.update(DATABASE_URL=f"sqlite:///{folder / 'reless.db'}", RUN_ADDR=f"127.0.0.1:{port}",
               STATIC_ROOT=str(folder / "staticfiles"))
    log = open(folder / "make-run.log", "w+")  # noqa: SIM115 - closed below
    process = subprocess.Popen(["make", "run"], cwd=ROOT, env=env, stdout=log,
                               stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_serving(base, process, log)
        log.seek(0)
        yield base, log.read()
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
        log.close()


def _wait_until_serving(base, process, log, limit=300):
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if process.poll() is not None:
            log.seek(0)
            pytest.fail(f"make run stopped ({process.returncode}):\n{log.read()[-3000:]}")
        try:
            urllib.request.urlopen(base + "/", timeout=2)
            return
        except OSError:
            time.sleep(0.5)
    pytest.fail("make run did not serve within the limit")


def test_make_run_serves_styled_pages_and_every_asset(first_run, browser):
    base, output = first_run
    # The demo accounts are printed for the newcomer.
    accounts = dict(re.findall(r"^(agent\.\S+)\s+(\S+)", output, re.MULTILINE))
    assert accounts, output[-2000:]
    username, password = next(iter(accounts.items()))
    # Babadjou's reviewers, and its previous year signed off (its generated diagnostic, seed 1,
    # is of 2025: the demo cannot submit a later year, and says so).
    assert re.search(r"^reviewer\.bamboutos\s+demo-relecteur-reless\s+"
                     r"Relecteur départemental Bamboutos$", output, re.MULTILINE)
    assert re.search(r"^reviewer\.ouest\s+demo-relecteur-reless\s+Relecteur régional Ouest$",
                     output, re.MULTILINE)
    last = datetime.date.today().year - 1
    assert (f"Demo sign-off: Babadjou {last} submitted, approved and closed." if last == 2025
            else f"Demo sign-off: Babadjou {last} not submitted: ") in output
    page = browser.new_page()
    seen, failures = [], []
    page.on("response", lambda r: seen.append((r.status, r.url)))
    page.on("requestfailed", lambda r: failures.append(f"failed {r.url}"))

    page.goto(base + "/", wait_until="networkidle")
    # The stylesheet applied: the body is not the browser's default serif text.
    assert "serif" != page.evaluate("getComputedStyle(document.body).fontFamily")
    assert page.evaluate("document.styleSheets.length") >= 1
    page.goto(base + "/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("main form [type=submit]")
    page.wait_for_load_state("networkidle")
    assert "/accounts/login/" not in page.url  # landed on the agent's dashboard
    if last == 2025:  # the agent's timeline shows the closed year
        page.goto(base + "/reports/signoff/CM008001001/", wait_until="networkidle")
        assert page.locator(f"li:has(a:text-is('{last}')) .signoff-closed").count() == 1
    page.goto(base + "/api/v1/docs/", wait_until="networkidle")
    page.goto(base + "/api/v1/docs/try/", wait_until="networkidle")

    assets = [(status, url) for status, url in seen if "/static/" in url]
    assert any(url.endswith(".css") for _, url in assets)
    assert any("swagger-ui" in url for _, url in assets)
    failures += [f"{status} {url}" for status, url in seen if status >= 400]
    assert failures == []
