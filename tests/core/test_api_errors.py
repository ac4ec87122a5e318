"""The API's error contract, on every API route of the URLconf.

Each API route (walked from the URLconf as tests/platform/test_route_matrix.py does, so a new
route is covered as soon as it has its MATRIX entry there) receives a malformed request of each
class: a bad token (401), an account with no role (403), a method no route allows (405), a body
nested 2,000 deep (400), a body over 2.5 MB (413), a form body (415), broken JSON (400), more
than 1,000 query parameters (400), an empty or unknown parameter value (400), page 0 (400), an
address under the route that does not exist (404), a rate limit hit (429), an uncaught exception
(500) and the database down (503). Every answer is JSON in the error shape: `{"detail": text}`
and optionally `errors`.

Then the order of the answers, checked against the matrix's expectations: the query string
never changes what a write answers (401/403/405 stay due with `?format=csv`), and a caller
who may not write gets its 403 whatever is wrong with the body.
"""

import json
from io import BytesIO
from urllib.parse import urlsplit

import pytest
from django.db import OperationalError
from django.test import Client
from django.urls import resolve, reverse
from django.utils.translation import override
from rest_framework.exceptions import ParseError
from rest_framework.views import APIView

from accounts.authentication import TokenRateThrottle
from accounts.models import ApiToken
from core.parsers import MAX_DEPTH, JSONParser, RequestTooLarge

from ..factories import UserFactory
from ..platform import test_route_matrix
from ..platform.test_route_matrix import (
    MATRIX,
    ROLES,
    _payload,
    changed_tables,
    client_of,
    database_checksum,
    expected_code,
    is_api,
    url_of,
    urlconf_routes,
)

pytestmark = pytest.mark.django_db
# The route matrix's world of commune A and B objects, built once for the module.
world = test_route_matrix.world
_fresh_caches = test_route_matrix._fresh_caches

API_ROUTES = sorted(name for name in urlconf_routes() if is_api(name))
WRITES = ("POST", "PUT", "PATCH")
BOMB = "[" * 2000 + "]" * 2000  # 4 KB


def test_it_knows_every_api_route():
    assert len(API_ROUTES) >= 26
    missing = [name for name in API_ROUTES if name not in MATRIX]
    assert not missing, f"API routes without a MATRIX entry: {missing}"


# Helpers -------------------------------------------------------------------------------------

def assert_error(response, status: int) -> dict:
    """The status, and the JSON error shape: a non-empty `detail`, maybe `errors`."""
    assert response.status_code == status, (
        f"{response.request['REQUEST_METHOD']} {response.request['PATH_INFO']}: "
        f"{response.status_code}, expected {status}: {response.content[:300]!r}")
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    body = json.loads(response.content)
    assert isinstance(body, dict) and set(body) <= {"detail", "errors"}, body
    assert isinstance(body["detail"], str) and body["detail"].strip(), body
    return body


def allowed_methods(url: str) -> set[str]:
    """The methods the route's view answers (GET, POST, PUT, PATCH, DELETE)."""
    view = resolve(urlsplit(url).path).func
    if getattr(view, "actions", None):
        return {method.upper() for method in view.actions}
    return {m.upper() for m in view.cls.http_method_names
            if m not in ("options", "head") and hasattr(view.cls, m)}


@pytest.fixture
def raw():
    """A client that answers 500 like the server does instead of raising."""
    return Client(raise_request_exception=False)


@pytest.fixture
def admin(world, raw):
    raw.defaults["HTTP_AUTHORIZATION"] = f"Token {world.tokens['admin_user']}"
    raw.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return raw


def send(client, method: str, url: str, body: str | bytes | None = None,
         content_type: str = "application/json", **extra):
    if method == "GET":
        return client.get(url, **extra)
    return client.generic(method, url, body or b"", content_type=content_type, **extra)


def write_methods(url: str) -> list[str]:
    return [m for m in WRITES if m in allowed_methods(url)] or ["POST"]


def body_status(url: str, method: str, status: int) -> int:
    """A malformed body is refused with `status` where the method is allowed, else 405."""
    return status if method in allowed_methods(url) else 405


# One malformed request of each class, on every API route --------------------------------------

@pytest.mark.parametrize("name", API_ROUTES)
def test_it_refuses_a_bad_token_with_401(world, raw, name):
    url = url_of(name, MATRIX[name], world)
    response = raw.get(url, HTTP_AUTHORIZATION="Token not-a-real-token")
    assert_error(response, 401)
    assert response["WWW-Authenticate"] == "Token"


@pytest.mark.parametrize("name", API_ROUTES)
def test_it_refuses_an_account_with_no_role_with_403(world, raw, name):
    user = UserFactory(username="no_role")
    raw.defaults["HTTP_AUTHORIZATION"] = f"Token {ApiToken.issue(user=user, name='t')[1]}"
    url = url_of(name, MATRIX[name], world)
    response = raw.get(url)
    if MATRIX[name].get["anonymous"] == 200:  # public reference data and the schema
        assert response.status_code == 200
    else:
        assert_error(response, 403)
    for method in write_methods(url):
        status = 403 if method in allowed_methods(url) else (
            405 if MATRIX[name].get["anonymous"] == 200 else 403)
        assert_error(send(raw, method, url, BOMB), status)


@pytest.mark.parametrize("name", API_ROUTES)
def test_it_refuses_delete_everywhere_with_405(world, admin, name):
    url = url_of(name, MATRIX[name], world)
    assert "DELETE" not in allowed_methods(url)  # the registry archives, never deletes
    assert_error(send(admin, "DELETE", url), 405)


@pytest.mark.parametrize("name", API_ROUTES)
def test_it_refuses_a_nesting_bomb_with_400(world, admin, name):
    url = url_of(name, MATRIX[name], world)
    for method in write_methods(url):
        body = assert_error(send(admin, method, url, BOMB), body_status(url, method, 400))
        if method in allowed_methods(url):
            assert body["detail"] == f"The body is nested deeper than {MAX_DEPTH} levels."


@pytest.mark.parametrize("name", API_ROUTES)
def test_it_refuses_a_body_over_the_size_limit_with_413(world, admin, name, settings):
    url = url_of(name, MATRIX[name], world)
    big = json.dumps({"note": "x" * settings.DATA_UPLOAD_MAX_MEMORY_SIZE})
    for method in write_methods(url):
        assert_error(send(admin, method, url, big), body_status(url, method, 413))


@pytest.mark.parametrize("name", API_ROUTES)
def test_it_refuses_a_form_body_with_415_and_broken_json_with_400(world, admin, name):
    url = url_of(name, MATRIX[name], world)
    for method in write_methods(url):
        assert_error(send(admin, method, url, "a=1", "application/x-www-form-urlencoded"),
                     body_status(url, method, 415))
        assert_error(send(admin, method, url, '{"year": '), body_status(url, method, 400))
        assert_error(send(admin, method, url, "NaN"), body_status(url, method, 400))


@pytest.mark.parametrize("name", API_ROUTES)
def test_it_refuses_a_nul_character_anywhere(world, admin, name):
    """NUL cannot be stored (PostgreSQL raises an error for it): a body or a parameter holding
    one is a 400, a path segment a 404, never a 500 from the database."""
    route = MATRIX[name]
    url = url_of(name, route, world)
    for method in write_methods(url):
        body = assert_error(send(admin, method, url, '{"commune": "CM9\\u0000", "a": 1}'),
                            body_status(url, method, 400))
        if method in allowed_methods(url):
            assert body["detail"] == "Text may not contain the NUL character (\\u0000)."
    sep = "&" if "?" in url else "?"
    assert_error(admin.get(f"{url}{sep}commune=CM%00"),
                 400 if "GET" in allowed_methods(url) else 405)
    kwargs = route.kwargs(world)
    if kwargs and "GET" in allowed_methods(url):
        first = next(iter(kwargs))
        broken = {**kwargs, first: f"{kwargs[first]}\x00"}
        assert_error(admin.get(reverse(name, kwargs=broken)), 404)


@pytest.mark.parametrize("name", API_ROUTES)
def test_it_refuses_too_many_query_parameters_with_400(world, raw, name):
    path = urlsplit(url_of(name, MATRIX[name], world)).path
    query = "&".join(f"p{i}=1" for i in range(1001))
    assert_error(raw.get(f"{path}?{query}"), 400)


@pytest.mark.parametrize("name", API_ROUTES)
@pytest.mark.parametrize("query", ["format=", "format=xml", "by=", "year=", "commune="])
def test_it_refuses_an_empty_or_unknown_parameter_value_with_400(world, admin, name, query):
    url = url_of(name, MATRIX[name], world)
    sep = "&" if "?" in url else "?"
    body = assert_error(admin.get(f"{url}{sep}{query}"),
                        400 if "GET" in allowed_methods(url) else 405)
    if "GET" in allowed_methods(url):
        assert set(body["errors"]) == {query.split("=")[0]}


@pytest.mark.parametrize("name", API_ROUTES)
def test_it_refuses_page_zero_on_every_list_with_400(world, admin, name):
    url = url_of(name, MATRIX[name], world)
    if "GET" not in allowed_methods(url):
        return
    first = admin.get(url)
    if not (first["Content-Type"].startswith("application/json")
            and "results" in first.json()):
        return  # not a paginated list
    sep = "&" if "?" in url else "?"
    for page in ("0", "-1", "abc", "last", "1&page=2"):
        body = assert_error(admin.get(f"{url}{sep}page={page}"), 400)
        assert body["errors"] == {"page": ["Give one page number, a whole number from 1."]}
    for size in ("0", "1001", "x"):
        assert_error(admin.get(f"{url}{sep}page_size={size}"), 400)
    assert_error(admin.get(f"{url}{sep}page=99999"), 404)


@pytest.mark.parametrize("name", API_ROUTES)
def test_it_answers_an_unknown_address_under_the_route_with_404(world, admin, name):
    path = urlsplit(url_of(name, MATRIX[name], world)).path
    assert_error(admin.get(f"{path}no-such-thing/"), 404)


@pytest.mark.parametrize("name", API_ROUTES)
def test_it_answers_a_rate_limit_with_429(world, admin, name, monkeypatch):
    monkeypatch.setattr(TokenRateThrottle, "THROTTLE_RATES", {"token": "1/hour"})
    url = url_of(name, MATRIX[name], world)
    admin.get(url)
    response = admin.get(url)
    assert_error(response, 429)
    assert int(response["Retry-After"]) > 0


@pytest.mark.parametrize("name", API_ROUTES)
def test_it_answers_an_uncaught_error_with_500(world, admin, name, monkeypatch):
    def fail(self, request, *args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(APIView, "initial", fail)
    url = url_of(name, MATRIX[name], world)
    body = assert_error(admin.get(url), 500)
    assert "boom" not in body["detail"]


@pytest.mark.parametrize("name", API_ROUTES)
def test_it_answers_a_database_outage_with_503(world, admin, name, monkeypatch):
    def fail(self, request, *args, **kwargs):
        raise OperationalError("connection refused")

    monkeypatch.setattr(APIView, "initial", fail)
    url = url_of(name, MATRIX[name], world)
    response = admin.get(url)
    assert_error(response, 503)
    assert response["Retry-After"] == "30"


def test_it_answers_unknown_api_addresses_with_404_json_and_pages_with_html(raw):
    assert_error(raw.get("/api/v1/no-such-endpoint/"), 404)
    assert_error(raw.get("/api/v2/"), 404)
    page = raw.get("/no-such-page/")
    assert page.status_code == 404
    assert page["Content-Type"].startswith("text/html")


def test_it_answers_in_the_callers_language(world, admin):
    admin.defaults["HTTP_ACCEPT_LANGUAGE"] = "fr"
    body = assert_error(send(admin, "POST", "/api/v1/organisations/", BOMB), 400)
    assert body["detail"] == f"Le corps est imbriqué sur plus de {MAX_DEPTH} niveaux."


# The order of the answers -----------------------------------------------------------------------

def _write_cells():
    for name in API_ROUTES:
        route = MATRIX[name]
        for method in WRITES:
            if getattr(route, method.lower()) is None:
                continue
            for role in ROLES:
                yield pytest.param(name, role, method, id=f"{name}-{role}-{method}")


@pytest.mark.parametrize(("name", "role", "method"), list(_write_cells()))
def test_the_query_string_never_changes_what_a_write_answers(world, name, role, method):
    """`?format=csv` (and an empty `?year=`) on a write: the matrix's answer (401, 403, 405,
    404, 201, ...) and never a 400 about the query string."""
    route = MATRIX[name]
    expected = expected_code(name, route, method, role)
    expected = 401 if expected == "login" else expected
    payload = _payload(route, method)
    client = client_of(world, role, api=True)
    url = url_of(name, route, world)
    sep = "&" if "?" in url else "?"
    response = client.generic(method, f"{url}{sep}format=csv&year=",
                              json.dumps(payload(world) if payload else {}),
                              content_type="application/json")
    assert response.status_code == expected, response.content[:300]
    assert response["Content-Type"].startswith("application/json")


def _refused_writes():
    for name, role, method in (p.values for p in _write_cells()):
        if (expected_code(name, MATRIX[name], method, role) == 403
                and role not in MATRIX[name].refused_by_body):
            yield pytest.param(name, role, method, id=f"{name}-{role}-{method}")


@pytest.mark.parametrize(("name", "role", "method"), list(_refused_writes()))
def test_a_refused_caller_learns_nothing_from_validation(world, name, role, method):
    """A caller the matrix refuses (403) gets its 403 for a body whose every other field is
    wrong too: the right is checked before the body is validated, and nothing is written."""
    route = MATRIX[name]
    payload = _payload(route, method)
    body = dict(payload(world)) if payload else {}
    keep = {"commune", "ministry"}
    body = {key: (value if key in keep else {"not": "valid"}) for key, value in body.items()}
    body.update({"year": "not a year", "priority_rank": -5})
    client = client_of(world, role, api=True)
    response = client.generic(method, url_of(name, route, world), json.dumps(body),
                              content_type="application/json")
    assert_error(response, 403)
    assert not changed_tables(world.checksum, database_checksum())


# The parser itself ------------------------------------------------------------------------------

def _parse(raw: bytes):
    return JSONParser().parse(BytesIO(raw), "application/json", {"encoding": "utf-8"})


@override("en")
def test_the_parser_takes_32_levels_and_refuses_33():
    assert _parse(b"[" * MAX_DEPTH + b"]" * MAX_DEPTH) == _nested(MAX_DEPTH)
    assert _parse(b'{"a": ' * MAX_DEPTH + b"1" + b"}" * MAX_DEPTH)
    with pytest.raises(ParseError, match="nested deeper than 32 levels"):
        _parse(b"[" * (MAX_DEPTH + 1) + b"]" * (MAX_DEPTH + 1))
    with pytest.raises(ParseError, match="nested deeper than 32 levels"):
        _parse(b"[" * 100_000 + b"]" * 100_000)


def test_the_parser_refuses_one_byte_over_the_limit(settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100
    assert _parse(b'"' + b"x" * 98 + b'"') == "x" * 98
    with pytest.raises(RequestTooLarge):
        _parse(b'"' + b"x" * 99 + b'"')


def _nested(depth: int) -> list:
    value: list = []
    for _ in range(depth - 1):
        value = [value]
    return value
