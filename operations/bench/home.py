"""HOME: the public home page's server time, in-process (Django's whole request cycle, the
middleware included, without a network or a WSGI server): cold (every cache stamp renewed
before the request, so the figures and the territory are recomputed) and warm (the cached
overview; issue 14 asks under 10 ms on the national dataset)."""

import statistics
import time

from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from cooperatives import freshness

from .context import Context, add_row
from .web import ensure_static_collected

COLD_REQUESTS = 5
WARM_REQUESTS = 200


def _host() -> str:
    """A host the settings accept (the test client's 'testserver' may not be one)."""
    return next((h for h in settings.ALLOWED_HOSTS if h and "*" not in h
                 and not h.startswith(".")), "localhost")


def _timed_get(client: Client, path: str) -> float:
    started = time.perf_counter()
    response = client.get(path)
    elapsed = (time.perf_counter() - started) * 1000
    if response.status_code != 200:
        raise RuntimeError(f"{path} answered {response.status_code}")
    return elapsed


def _percentile(times: list[float], share: float) -> float:
    ordered = sorted(times)
    return round(ordered[min(len(ordered) - 1, int(share * len(ordered)))], 2)


def measure_home(ctx: Context, *, warm_requests: int = WARM_REQUESTS,
                 cold_requests: int = COLD_REQUESTS) -> None:
    if settings.STORAGES["staticfiles"]["BACKEND"].endswith("ManifestStaticFilesStorage"):
        ensure_static_collected(ctx)  # pages name the hashed files of the manifest
    client = Client(HTTP_ACCEPT_LANGUAGE="fr", SERVER_NAME=_host())
    cold = []
    for _ in range(cold_requests):
        freshness.renew_all()
        cold.append(_timed_get(client, "/"))
    _timed_get(client, "/")  # the overview is cached again
    with CaptureQueriesContext(connection) as queries:
        _timed_get(client, "/")
    warm = [_timed_get(client, "/") for _ in range(warm_requests)]
    search = [_timed_get(client, "/?q=ngaoundere") for _ in range(min(20, warm_requests))]
    details = {"cold_ms": [round(t, 2) for t in cold], "warm_requests": warm_requests,
               "warm_p50_ms": _percentile(warm, 0.5), "warm_p95_ms": _percentile(warm, 0.95),
               "warm_queries": len(queries), "search_p50_ms": _percentile(search, 0.5)}
    add_row(ctx, "HOME", f"home page (public), cache warm: server time p95 of {warm_requests} "
            "requests, in-process", details["warm_p95_ms"], "ms", 10, "<",
            note=f"p50 {details['warm_p50_ms']} ms, {len(queries)} database queries per "
                 f"request (the cache table's read without Redis); a search by name (?q=) "
                 f"p50 {details['search_p50_ms']} ms", details=details)
    add_row(ctx, "HOME", f"home page (public), cache cold (every stamp renewed): server time, "
            f"median of {cold_requests}", round(statistics.median(cold), 2), "ms", 200, "<",
            note=f"max {max(cold):.1f} ms; the overview (national figures and the territory "
                 "tree) recomputed and cached again", details=details)
