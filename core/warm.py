"""What a worker loads once, before its pool forks, rather than in its first task.

Django builds the URL resolver on the first `reverse()`, importing every app's views, forms
and URL modules: about 0.6 s on this code base. Web servers pay that on their first request;
a Celery worker paid it in the first task that names a page (a cooperation run links each new
opportunity to its commune's page), so the first national recompute after a worker started
took that much longer. Built in the worker's main process, it is inherited by every pool
process (fork) and shared with them until written.
"""

import gc

from django.conf import settings
from django.urls import get_resolver
from django.utils import translation


def warm_worker(**_kwargs) -> None:
    """Build the URL resolver (its names and namespaces, in every language) and load the
    translation catalogues, then freeze what is loaded (`freeze_loaded`); connected to
    Celery's `worker_init` signal."""
    resolver = get_resolver()
    for code, _name in settings.LANGUAGES:
        with translation.override(code):  # activating a language loads its catalogues
            resolver.namespace_dict  # noqa: B018 - the property builds the language's tables
    freeze_loaded()


def freeze_loaded() -> None:
    """Leave every object alive now out of the garbage collector's later passes
    (`gc.freeze`): what a process loads before its first request or task (modules, the URL
    resolver, catalogues: about 160,000 objects) lives as long as the process, yet a full
    collection walks all of it again inside whichever request or task sets it off (77 ms on
    the national benchmark's machine, the spike in the cold national aggregates' slowest
    answers). Collected once first, so that no garbage is kept; forked processes (gunicorn's
    preloaded workers, Celery's pool) inherit the frozen set, and leaving it alone also
    keeps its pages shared with them."""
    gc.collect()
    gc.freeze()
