"""The settings of the test run: the platform's own, in development mode (the built-in key).

Processes the tests start (gunicorn, Celery workers) inherit RELESS_DEV with the rest of
the environment."""

import os
from urllib.parse import urlsplit, urlunsplit

os.environ.setdefault("RELESS_DEV", "1")


def _redis_url_of_xdist_worker(url: str, worker: str) -> str:
    """REDIS_URL with the database index of this pytest-xdist worker: the given index + 1 + N
    for worker gwN (redis://host:6379/0 -> /1 for gw0, /2 for gw1).

    Every worker has its own test database (pytest-django names it test_<name>_gwN), so its
    cached figures, login counters and Celery queues must not meet another worker's either:
    `cache.clear()` empties the whole Redis database, queues included. A serial run keeps the
    given index. Redis has 16 databases by default: up to 15 workers on index 0."""
    parts = urlsplit(url)
    index = int(parts.path.strip("/") or 0) + 1 + int(worker.removeprefix("gw"))
    return urlunsplit(parts._replace(path=f"/{index}"))


# Set before the platform's settings read it, and inherited by the servers and Celery workers
# the tests start. Derived from the run's own URL, kept aside: a Celery worker loading these
# settings again (it inherits PYTEST_XDIST_WORKER) finds the same index, not the next one.
if os.environ.get("REDIS_URL") and os.environ.get("PYTEST_XDIST_WORKER"):
    os.environ["REDIS_URL"] = _redis_url_of_xdist_worker(
        os.environ.setdefault("RELESS_TESTS_REDIS_URL", os.environ["REDIS_URL"]),
        os.environ["PYTEST_XDIST_WORKER"])

from reless_platform.settings import *  # noqa: E402, F403
from reless_platform.settings import REDIS_URL  # noqa: E402

# No timer threads outliving a test: a delayed refresh stays a queued row the test can see.
REPORT_REFRESH_IN_PROCESS = False
# No access-log writer thread: the tests write the log with access_log.flush().
ACCESS_LOG_FLUSH_SECONDS = 0

if not REDIS_URL:
    # One process: its own memory is the shared cache, and the query counts the tests assert
    # are those of a deployment with Redis (no cache table to read). The multi-worker tests
    # switch to the database cache themselves (tests/accounts/test_auth_workers.py).
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# No erasure log file unless a test gives one (tests/privacy/test_backup_erasure.py).
PERSONAL_DATA_ERASURE_LOG = ""

# Export files and open-data files of the run in a directory of their own, removed at exit.
import atexit  # noqa: E402
import shutil  # noqa: E402
import tempfile  # noqa: E402

_FILES = tempfile.mkdtemp(prefix="reless-test-files-")
atexit.register(shutil.rmtree, _FILES, True)
EXPORT_DIR = f"{_FILES}/exports"
OPEN_DATA_DIR = f"{_FILES}/open-data"

# A second alias mirroring the test database, as a read replica would (core/replica.py): off
# unless a test turns it on (REPLICA_DATABASE), so every other test reads the primary alone.
if "replica" not in DATABASES:  # noqa: F405
    DATABASES["replica"] = {**DATABASES["default"], "TEST": {"MIRROR": "default"}}  # noqa: F405
REPLICA_DATABASE = ""
