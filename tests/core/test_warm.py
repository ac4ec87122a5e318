"""core.warm: what a Celery worker builds before its pool forks (the URL resolver), and the
frozen heap of workers and web servers."""

import gc
import os
import subprocess
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


def test_the_worker_freezes_what_it_loaded_before_forking():
    """What a worker loads lives as long as it: frozen (gc.freeze), later collections inside
    its tasks do not walk it again."""
    gc.unfreeze()
    assert gc.get_freeze_count() == 0
    celery._warm()
    assert gc.get_freeze_count() > 10_000


def test_the_web_server_freezes_what_it_loaded_before_its_first_request():
    """reless_platform.wsgi, as gunicorn imports it: the application, its URL modules and
    views loaded, then frozen (core.warm.freeze_loaded)."""
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "reless_platform.settings"}
    script = ("import gc, sys; import reless_platform.wsgi; "
              "print(gc.get_freeze_count(), settings_urls in sys.modules)")
    script = script.replace("settings_urls", repr(settings.ROOT_URLCONF))
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True,
                          text=True, timeout=120, check=True, cwd=settings.BASE_DIR)
    frozen, urls_loaded = done.stdout.split()
    assert int(frozen) > 50_000 and urls_loaded == "True"
