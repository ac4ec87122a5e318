"""The OpenAPI schema validates with no warning, and the docs page loads nothing from a CDN."""

import re

import pytest
import yaml
from django.contrib.staticfiles import finders
from django.core.management import call_command

pytestmark = pytest.mark.django_db


def test_it_generates_a_valid_schema_with_no_warnings(tmp_path):
    target = tmp_path / "schema.yml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))
    schema = yaml.safe_load(target.read_text())
    paths = schema["paths"]
    for path in ("/api/v1/communes/", "/api/v1/communes/{pcode}/",
                 "/api/v1/communes/{pcode}/aggregates/", "/api/v1/organisations/",
                 "/api/v1/organisations/{id}/", "/api/v1/aggregates/"):
        assert path in paths, path
    aggregates = paths["/api/v1/aggregates/"]["get"]
    names = {p["name"] for p in aggregates["parameters"]}
    assert {"level", "by", "format", "page", "page_size", "commune", "department", "region",
            "filiere", "ministry", "legal_form", "status", "q"} <= names
    assert set(aggregates["responses"]) >= {"200", "400", "401", "403", "429"}
    assert set(aggregates["responses"]["200"]["content"]) == {"application/json", "text/csv"}
    assert "delete" not in paths["/api/v1/organisations/{id}/"]
    assert "contact_name" not in schema["components"]["schemas"]["AggregateRow"]["properties"]


def test_it_serves_the_schema(client):
    response = client.get("/api/v1/schema/")
    assert response.status_code == 200
    assert b"/api/v1/aggregates/" in response.content


def test_it_lists_every_operation_of_the_schema_on_a_light_reference_page(client):
    schema = client.get("/api/v1/schema/?format=json").json()
    page = client.get("/api/v1/docs/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    operations = [(method.upper(), path) for path, item in schema["paths"].items()
                  for method in item if method in ("get", "post", "put", "patch", "delete")]
    assert len(operations) > 20
    for method, path in operations:
        shown = path.replace("/", "/<wbr>")
        assert (f'<span class="api-method">{method}</span> <code class="api-path">{shown}</code>'
                in page), (method, path)
    assert "<code>page_size</code>" in page
    assert 'href="/api/v1/docs/try/"' in page
    assert "<script" not in page  # no script to download on a phone


def test_it_serves_the_interactive_docs_from_its_own_static_files(client, settings):
    # Plain storage: the test needs no collectstatic manifest to resolve the sidecar's URLs.
    settings.STORAGES = {**settings.STORAGES, "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
    response = client.get("/api/v1/docs/try/")
    assert response.status_code == 200
    page = response.content.decode()
    assets = re.findall(r'(?:src|href)=["\']([^"\']+)["\']', page)
    assert any(a.startswith("/static/drf_spectacular_sidecar/") and a.endswith(".js")
               for a in assets)
    assert any(a.endswith(".css") and a.startswith("/static/") for a in assets)
    assert all(a.startswith("/") and not a.startswith("//") for a in assets), assets
    assert not re.search(r"https?://", page), re.findall(r"https?://[^\s\"']+", page)
    for asset in assets:
        if asset.startswith("/static/"):
            assert finders.find(asset.removeprefix("/static/")), asset
        else:  # a same-origin page such as the split view's start-up script
            script = client.get(asset.replace("&amp;", "&"))
            assert script.status_code == 200, asset
            assert not re.search(rb"https?://", script.content), asset


def test_it_declares_the_bounds_the_api_enforces(tmp_path):
    target = tmp_path / "schema.yml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))
    paths = yaml.safe_load(target.read_text())["paths"]

    def parameter(path, name):
        found = [p for p in paths[path]["get"]["parameters"] if p["name"] == name]
        assert len(found) == 1, (path, name)
        return found[0]["schema"]

    for path in ("/api/v1/organisations/", "/api/v1/aggregates/", "/api/v1/communes/",
                 "/api/v1/diagnostics/", "/api/v1/interventions/", "/api/v1/scorecards/"):
        assert parameter(path, "page") == {"type": "integer", "minimum": 1}
        assert parameter(path, "page_size") == {"type": "integer", "minimum": 1,
                                                "maximum": 1000, "default": 50}
    for path in ("/api/v1/reports/convergence/", "/api/v1/reports/cooperation/"):
        assert parameter(path, "year") == {"type": "integer", "minimum": 1990, "maximum": 2100}
    for path in ("/api/v1/diagnostics/", "/api/v1/interventions/"):
        assert parameter(path, "year") == {"type": "integer", "minimum": 1990, "maximum": 2100}
    assert parameter("/api/v1/organisations/", "q")["minLength"] == 1  # empty values: 400
    post = paths["/api/v1/organisations/"]["post"]["responses"]
    assert {"400", "401", "403", "413", "415", "429", "503"} <= set(post)
    for path in ("/api/v1/organisations/{id}/history/", "/api/v1/links/{id}/history/",
                 "/api/v1/change-requests/{id}/history/"):
        assert set(paths[path]) == {"get"}
