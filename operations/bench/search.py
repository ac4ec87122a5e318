"""SEARCH: name search over the whole registry (issue 20: p95 under 50 ms at national size).

The national administrator's views (every organisation in scope): the API list and the HTML
list with `?q=`, ranked, and the HTML list sorted by name (`&ordering=name`), in-process
(Django's whole request cycle), for words taken from the dataset's own names, acronyms and
localities, typed in capitals without accents, so the folding and the trigram indexes
(core/search.py) are what is measured. The figure is the worst of the three p95s."""

import gc
import statistics

from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import Client

from cooperatives.models import Organisation, Role, RoleAssignment
from core.search import fold

from .context import Context, add_row, spread_pks
from .home import _host, _percentile, _timed_get
from .web import ensure_static_collected

TERMS = 60
ROUNDS = 3


def search_terms(count: int = TERMS) -> list[str]:
    """Words of 4+ letters from names, acronyms and localities spread over the table, folded
    and in capitals (what a user types on a phone), without repeats."""
    pks = spread_pks(count)
    if not pks:
        raise RuntimeError("no organisation to search")
    rows = (Organisation.objects.filter(pk__in=pks).order_by("pk")
            .values_list("name", "acronym", "locality"))
    terms: list[str] = []
    for i, row in enumerate(rows):
        words = [w for w in row[i % 3].replace("-", " ").split() if len(w) >= 4] or [
            w for w in row[0].split() if len(w) >= 4]
        if words:
            term = fold(words[len(words) // 2])[:8].upper()
            if term not in terms:
                terms.append(term)
    return terms


def _admin():
    user, _created = get_user_model().objects.get_or_create(username="bench.search.admin")
    RoleAssignment.objects.get_or_create(user=user, role=Role.ADMIN)
    return user


def measure_search(ctx: Context, *, terms: int = TERMS, rounds: int = ROUNDS) -> None:
    words = search_terms(terms)
    if settings.STORAGES["staticfiles"]["BACKEND"].endswith("ManifestStaticFilesStorage"):
        ensure_static_collected(ctx)  # the HTML list names the hashed files of the manifest
    client = Client(HTTP_ACCEPT_LANGUAGE="fr", SERVER_NAME=_host())
    client.force_login(_admin())
    # Ranked (the default), and sorted by name as the list's form offers.
    paths = {"api": "/api/v1/organisations/?q={}", "html": "/organisations/?q={}",
             "html_by_name": "/organisations/?q={}&ordering=name"}
    # As a gunicorn worker (gunicorn.conf.py's post_fork): what is loaded before the first
    # request is out of the collector's reach, so full collections stay short.
    gc.freeze()
    for template in paths.values():  # caches and connections warm
        _timed_get(client, template.format(words[0]))
    times: dict[str, list[float]] = {name: [] for name in paths}
    for _ in range(rounds):
        for word in words:
            for name, template in paths.items():
                times[name].append(_timed_get(client, template.format(word)))
    p95 = {name: _percentile(values, 0.95) for name, values in times.items()}
    details = {"terms": len(words), "requests": sum(len(v) for v in times.values()),
               "api_p95_ms": p95["api"], "html_p95_ms": p95["html"],
               "html_by_name_p95_ms": p95["html_by_name"],
               "api_median_ms": round(statistics.median(times["api"]), 2),
               "html_median_ms": round(statistics.median(times["html"]), 2),
               "organisations": Organisation.objects.count(), "examples": words[:5]}
    add_row(ctx, "SEARCH", f"name search (national admin, whole registry), {len(words)} "
            f"words × {rounds}, API and HTML lists (and HTML sorted by name): p95, in-process",
            max(p95.values()), "ms", 50, "<",
            note=f"API p95 {p95['api']} ms (median {details['api_median_ms']}), HTML p95 "
                 f"{p95['html']} ms (median {details['html_median_ms']}), sorted by name "
                 f"{p95['html_by_name']} ms, over "
                 f"{details['organisations']:,} organisations", details=details)
