"""core.warm: what a Celery worker builds before its pool forks (the URL resolver)."""

import sys

from django.conf import settings
from django.urls import clear_url_caches, get_resolver, reverse
from django.utils import translation

from core.warm import warm_worker
from reless_platform import celery


def test_the_worker_builds_the_url_resolver_of_every_language_before_forking(monkeypatch):
    clear_url_caches()
    monkeypatch.delitem(sys.modules, settings.ROOT_URLCONF, raising=False)
    resolver = get_resolver()
    assert resolver._populated is False
    celery._warm()  # the worker_init receiver
    assert settings.ROOT_URLCONF in sys.modules
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            assert code in resolver._reverse_dict and "reports" in resolver.namespace_dict
            assert reverse("reports:cooperation_commune", args=["CM000000"]).endswith(
                "/CM000000/")
    warm_worker()  # again: nothing to do, nothing breaks
