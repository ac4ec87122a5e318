"""The settings of the test run: the platform's own, in development mode (the built-in key).

Processes the tests start (gunicorn, Celery workers) inherit RELESS_DEV with the rest of
the environment."""

import os

os.environ.setdefault("RELESS_DEV", "1")

from reless_platform.settings import *  # noqa: E402, F403
from reless_platform.settings import REDIS_URL  # noqa: E402

# No timer threads outliving a test: a delayed refresh stays a queued row the test can see.
REPORT_REFRESH_IN_PROCESS = False

if not REDIS_URL:
    # One process: its own memory is the shared cache, and the query counts the tests assert
    # are those of a deployment with Redis (no cache table to read). The multi-worker tests
    # switch to the database cache themselves (tests/accounts/test_auth_workers.py).
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
