"""A serving process's garbage collection: what it loaded before its first request frozen out
of the collector's reach, and the collector run when each response is finished, not in the
middle of the next request.

Django builds reference cycles on every request: a template's context with everything it
holds, a prefetched relation's queryset and its organisation (its `_hints` and known related
objects), the request and its resolver. Refcounting cannot free them; the collector does,
when its thresholds say so: in the middle of a later request, and its full collections then
held 15,000–40,000 objects of earlier requests, 10–70 ms paused inside one user's request
(the national search list; docs/performance.md "Search"). Collected when each response is
finished, a request's garbage costs about 1.5 ms once (one request's 1,000–4,500 objects and
the process's few unfrozen ones), and the pauses inside requests stay short.

`request_finished` fires when the WSGI server closes the response, after its bytes are
written: under gunicorn the user does not wait for the collection, the worker's next request
does. Only serving processes do this (gunicorn.conf.py's `post_fork`, and the benchmark's
in-process requests, which mirror a worker and count the collection in each request's time):
elsewhere (tests, the development server, Celery) nothing is frozen, and a full collection
after each request would walk every object of the process.
"""

import gc

from django.core.signals import request_finished

DISPATCH_UID = "reless_collect_after_response"


def collect_after_response(sender=None, **kwargs) -> None:
    gc.collect()


def prepare_serving_process() -> None:
    """Once in each serving process, before its first request (gunicorn's `post_fork`)."""
    gc.freeze()
    request_finished.connect(collect_after_response, dispatch_uid=DISPATCH_UID)


def stop_serving_process() -> None:
    """Undo `prepare_serving_process` (tests)."""
    request_finished.disconnect(dispatch_uid=DISPATCH_UID)
    gc.unfreeze()
