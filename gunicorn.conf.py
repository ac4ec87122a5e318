"""gunicorn for the 2-core machines: 2n+1 sync workers, bounded request time."""

import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count() * 2 + 1))
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
timeout = 30
graceful_timeout = 20
max_requests = 5000
max_requests_jitter = 500
accesslog = os.environ.get("GUNICORN_ACCESS_LOG")  # off by default: the proxy logs requests


def post_worker_init(worker):
    """Move everything loaded at start-up (Django, the URLconf, translations) out of the
    garbage collector's reach: its full collections then stay short under load."""
    import gc

    gc.freeze()
