"""gunicorn for the 2-core machines: 2n+1 sync workers, bounded request time."""

import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count() * 2 + 1))
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
timeout = 30
graceful_timeout = 20
max_requests = 5000
# gunicorn's largest request line: a long filter query still fits; past it gunicorn answers
# 414 itself (declared in the API schema).
limit_request_line = 8190
# The application (Django, the URLconf and the views, scipy) is loaded once in the master and
# each worker is forked from it: a worker that starts, or restarts after max_requests, serves
# its first request at full speed. Database and Redis connections are opened lazily, in the
# workers, so none is shared across a fork.
preload_app = True
max_requests_jitter = 500
accesslog = os.environ.get("GUNICORN_ACCESS_LOG")  # off by default: the proxy logs requests


def post_fork(server, worker):
    """Move everything loaded in the master (Django, the URLconf, translations) out of the
    garbage collector's reach: its full collections then stay short under load, and the
    pages shared with the master are not written to by the collector."""
    import gc

    gc.freeze()
