"""Pages, CSV and JSON travel gzipped when the client accepts it; the admin never does (BREACH)."""

import gzip
import re

import pytest

from ..conftest import client_for
from ..factories import CommuneFactory

pytestmark = pytest.mark.django_db

GZIP = {"HTTP_ACCEPT_ENCODING": "gzip, deflate, br"}


def _body(response):
    if response.streaming:
        return b"".join(response.streaming_content)
    return response.content


@pytest.mark.parametrize("path, content_type", [
    ("/", "text/html"),
    ("/api/v1/communes/", "application/json"),
    ("/api/v1/communes/?format=csv", "text/csv"),
    ("/api/v1/schema/", "application/vnd.oai.openapi"),
])
def test_public_answers_are_gzipped_and_read_back_identical(department, client, path,
                                                            content_type):
    CommuneFactory.create_batch(30, department=department)
    plain = client.get(path)
    packed = client.get(path, **GZIP)
    assert packed.status_code == plain.status_code == 200
    assert packed["Content-Type"].startswith(content_type)
    assert packed["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in packed["Vary"]
    assert "Content-Encoding" not in plain
    unpacked = gzip.decompress(_body(packed))
    assert len(_body(packed)) < len(unpacked)
    if content_type != "text/html":  # pages carry a fresh CSRF mask each time
        assert unpacked == _body(plain)


def test_a_signed_in_page_and_its_csv_export_are_gzipped(agent_a, commune_a, org_a):
    client = client_for(agent_a)
    page = client.get(f"/communes/{commune_a.pcode}/dashboard/", **GZIP)
    assert (page.status_code, page["Content-Encoding"]) == (200, "gzip")
    export = client.get(f"/communes/{commune_a.pcode}/organisations/?format=csv", **GZIP)
    assert (export.status_code, export["Content-Encoding"]) == (200, "gzip")
    assert org_a.name in gzip.decompress(_body(export)).decode("utf-8-sig")


def test_the_csrf_token_differs_in_every_compressed_page(agent_a, commune_a):
    """Django masks the CSRF token afresh per response: no constant secret for BREACH."""
    client = client_for(agent_a)
    tokens = []
    for _ in range(2):
        html = gzip.decompress(_body(client.get("/accounts/password/change/", **GZIP)))
        tokens.append(set(re.findall(rb'name="csrfmiddlewaretoken" value="([^"]+)"', html)))
    assert all(len(found) == 1 for found in tokens)  # one mask per response...
    assert tokens[0] != tokens[1]  # ...and a new one in the next


def test_the_admin_is_never_compressed(admin_client):
    response = admin_client.get("/admin/", **GZIP)
    assert response.status_code == 200
    assert "Content-Encoding" not in response


def test_a_client_that_does_not_accept_gzip_gets_plain_text(client):
    response = client.get("/", HTTP_ACCEPT_ENCODING="identity")
    assert "Content-Encoding" not in response
