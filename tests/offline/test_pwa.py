"""The installable web app (issue 18): manifest, service worker at the root, the page hooks
of base.html, and the size of the offline layer."""

import gzip
import json
import re
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders

from offline import views_pwa

from ..conftest import client_for, english_client

ROOT = Path(__file__).resolve().parents[2]
BUDGET = 40 * 1024  # the whole offline layer, gzipped (issue 18)


def test_the_offline_layer_stays_under_40_kb_gzipped():
    source = b"".join((ROOT / "static/js" / name).read_bytes() for name in ("offline.js", "sw.js"))
    assert len(gzip.compress(source, compresslevel=9)) < BUDGET


@pytest.mark.django_db
def test_it_names_the_app_in_the_visitors_language():
    english = json.loads(english_client(None).get("/manifest.webmanifest").content)
    response = client_for(None, language="fr").get("/manifest.webmanifest")
    french = json.loads(response.content)
    assert response["Content-Type"] == "application/manifest+json"
    assert (english["name"], french["name"]) == ("RELESS platform", "Plateforme RELESS")
    assert (french["start_url"], french["scope"], french["display"]) == ("/offline/", "/",
                                                                          "standalone")
    assert french["theme_color"] == "#0b5d1e"
    assert [(i["sizes"], i.get("purpose")) for i in french["icons"]] == [
        ("192x192", None), ("512x512", None), ("512x512", "maskable")]
    for icon in french["icons"]:
        assert finders.find(icon["src"].removeprefix("/static/")), icon["src"]


@pytest.mark.django_db
def test_it_serves_the_worker_at_the_root_never_cached(settings):
    response = client_for(None).get("/sw.js")
    assert response["Service-Worker-Allowed"] == "/"
    assert "no-store" in response["Cache-Control"]
    assert response["Content-Type"].startswith("application/javascript")
    head = response.content.decode().splitlines()[:2]
    assert re.fullmatch(r'var VERSION = "[0-9a-f]{12}";', head[0])
    assert json.loads(head[1].removeprefix("var ASSETS = ").rstrip(";")) == [
        f"/static/{name}" for name in views_pwa.ASSETS]


def test_a_changed_file_changes_the_workers_version(monkeypatch):
    before = views_pwa._worker_source().splitlines()[0]
    real = views_pwa._read
    monkeypatch.setattr(views_pwa, "_read", lambda name: real(name) + (
        b"/* changed */" if name == "css/site.css" else b""))
    assert views_pwa._worker_source().splitlines()[0] != before


@pytest.mark.django_db
def test_base_tells_the_script_who_may_work_offline(agent_a, rep_a, analyst):
    agent = client_for(agent_a).get("/offline/").content.decode()
    assert f'<meta name="reless-user" content="{agent_a.pk}">' in agent
    assert '<meta name="reless-offline" content="1">' in agent
    assert 'id="offline-config"' in agent and 'id="outbox-badge"' in agent
    assert "data-outbox-logout" in agent
    assert '<meta name="reless-offline"' in client_for(rep_a).get("/me/space/").content.decode()
    reader = client_for(analyst).get("/").content.decode()
    assert '<meta name="reless-offline"' not in reader and 'id="outbox-badge"' not in reader
    anonymous = client_for(None).get("/").content.decode()
    assert '<meta name="reless-user" content="">' in anonymous
    assert 'id="offline-config"' not in anonymous
    assert 'rel="manifest" href="/manifest.webmanifest"' in anonymous
    # A visitor loads no script: signing out already cleared what the device kept.
    assert "<script" not in anonymous and 'name="csrf-token"' not in anonymous
    assert re.search(r'<script src="/static/js/offline\.js" defer>', agent)
