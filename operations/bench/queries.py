"""P3: the number of SQL queries of every list and report endpoint must not depend on the
page size. Endpoints come from the URLconf: list routes under /api/v1/ (router lists, list
views, GET extra actions), the report API and the report pages."""

from dataclasses import asdict, dataclass

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from rest_framework.mixins import ListModelMixin

from cooperatives import freshness

API_PREFIX = "api/v1/"
REPORT_NAMESPACE = "reports"
PAGE_SIZES = (1, 100)


@dataclass
class Endpoint:
    name: str
    url: str


@dataclass
class Count:
    url: str
    status: dict[int, int]  # page size -> HTTP status
    queries: dict[int, int]  # page size -> queries

    @property
    def equal(self) -> bool:
        return len(set(self.queries.values())) == 1

    def as_dict(self) -> dict:
        return {**asdict(self), "equal": self.equal}


def _walk(patterns, prefix: str = "", namespace: str = ""):
    for p in patterns:
        if isinstance(p, URLResolver):
            ns = f"{namespace}{p.namespace}:" if p.namespace else namespace
            yield from _walk(p.url_patterns, prefix + str(p.pattern), ns)
        elif isinstance(p, URLPattern):
            yield prefix + str(p.pattern), namespace, p


def _is_list(pattern: URLPattern) -> bool:
    callback = pattern.callback
    actions = getattr(callback, "actions", None)
    if actions is not None:  # a viewset route: its list, or a GET extra action
        action = actions.get("get")
        return action == "list" or (action not in (None, "retrieve") and pattern.name and
                                    not pattern.name.endswith("-detail"))
    view_class = getattr(callback, "view_class", None) or getattr(callback, "cls", None)
    return view_class is not None and issubclass(view_class, ListModelMixin)


def _params(pattern: URLPattern) -> list[str]:
    return list(pattern.pattern.regex.groupindex)


def _object_id(pattern: URLPattern) -> int | None:
    """Some object of the viewset's model, for detail extra actions (history, entries)."""
    cls = getattr(pattern.callback, "cls", None)
    queryset = getattr(cls, "queryset", None)
    if queryset is None:
        return None
    return queryset.model._default_manager.order_by("pk").values_list("pk", flat=True).first()


def endpoints(pcode: str) -> list[Endpoint]:
    """The list and report endpoints, with `pcode` for commune parameters."""
    found: dict[str, Endpoint] = {}
    for route, namespace, pattern in _walk(get_resolver().url_patterns):
        if not pattern.name:
            continue
        name = namespace + pattern.name
        params = _params(pattern)
        if "format" in params:
            continue
        if route.startswith(API_PREFIX) and _is_list(pattern):
            kwargs = {}
            for param in params:
                if param == "pcode":
                    kwargs[param] = pcode
                elif param == "pk":
                    object_id = _object_id(pattern)
                    if object_id is None:
                        break
                    kwargs[param] = object_id
                else:
                    break
            else:
                url = reverse(name, kwargs=kwargs)
                found[url] = Endpoint(name, url)
        elif (route.startswith(API_PREFIX + "reports/") and not params
              and "GET" in _allowed(pattern)):
            url = reverse(name)
            found[url] = Endpoint(name, url)
            found[f"{url}?commune={pcode}"] = Endpoint(name, f"{url}?commune={pcode}")
        elif namespace.startswith(REPORT_NAMESPACE + ":") and "recompute" not in name:
            if set(params) <= {"pcode"} and "GET" in _allowed(pattern):
                url = reverse(name, kwargs={p: pcode for p in params})
                found[url] = Endpoint(name, url)
    return sorted(found.values(), key=lambda e: e.url)


def _allowed(pattern: URLPattern) -> set[str]:
    """HTTP methods of the view (function views decorated with require_GET and the like
    cannot tell: assume GET)."""
    view_class = getattr(pattern.callback, "view_class", None)
    if view_class is None:
        return {"GET"}
    return {m.upper() for m in view_class.http_method_names
            if hasattr(view_class, m) and m not in ("options", "head")}


def count_queries(user, pcode: str) -> list[Count]:
    """Queries of each endpoint at page sizes 1 and 100 (after one warm-up request), each
    computed: the cached figures are retired before each measured request."""
    client = Client()
    client.force_login(user)
    counts = []
    # Static URLs render without a collectstatic manifest; counting queries needs none.
    with override_settings(STORAGES={
            "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
            "staticfiles": {"BACKEND":
                            "django.contrib.staticfiles.storage.StaticFilesStorage"}}):
        for endpoint in endpoints(pcode):
            joiner = "&" if "?" in endpoint.url else "?"
            client.get(f"{endpoint.url}{joiner}page_size={PAGE_SIZES[0]}")
            statuses, queries = {}, {}
            for size in PAGE_SIZES:
                freshness.renew_all()
                with CaptureQueriesContext(connection) as captured:
                    response = client.get(f"{endpoint.url}{joiner}page_size={size}")
                statuses[size], queries[size] = response.status_code, len(captured)
            counts.append(Count(endpoint.url, statuses, queries))
    return counts
