"""A real Celery worker process for the tests marked `worker`.

It runs `celery worker` against the machine's Redis and the test database, on a queue of
its own, so nothing from another test run reaches it."""

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent
CELERY = str(Path(sys.executable).with_name("celery"))


def requires_services():
    """Mark for tests that need PostgreSQL and Redis (CI sets both)."""
    url = os.environ.get("DATABASE_URL", "")
    return pytest.mark.skipif(
        not (url.startswith("postgres") and os.environ.get("REDIS_URL")),
        reason="needs DATABASE_URL (PostgreSQL) and REDIS_URL: `.ci/run` sets both")


def _test_database_url() -> str:
    s = connection.settings_dict
    auth = s["USER"] + (f":{s['PASSWORD']}" if s.get("PASSWORD") else "")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


class Worker:
    def __init__(self, queue: str, extra_env: dict[str, str]):
        self.queue = queue
        self.env = {**os.environ, "DATABASE_URL": _test_database_url(), "CELERY_QUEUE": queue,
                    "PYTHONUNBUFFERED": "1", **extra_env}
        self.process: subprocess.Popen | None = None
        self.log = Path(f"/tmp/reless-worker-{queue}.log")

    def start(self) -> "Worker":
        offset = self.log.stat().st_size if self.log.exists() else 0
        log = self.log.open("ab")
        self.process = subprocess.Popen(
            [CELERY, "-A", "reless_platform", "worker", "-Q", self.queue, "-c", "1",
             "--without-gossip", "--without-mingle", "--without-heartbeat", "-l", "info"],
            cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True)
        # Consuming starts only once the worker says it is ready (slow on a loaded machine).
        wait_for(lambda: b" ready." in self.log.read_bytes()[offset:], timeout=180)
        return self

    def kill(self) -> None:
        """SIGKILL the whole worker (main process and pool children) at once."""
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.kill()


def wait_for(predicate, timeout: float = 60, interval: float = 0.2):
    """Poll `predicate` until it returns a truthy value or `timeout` seconds pass."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout} s")


@pytest.fixture
def worker_factory(transactional_db):
    """Start real workers bound to a fresh queue; the test process sends to that queue."""
    from reless_platform.celery import app

    queue = f"test-{uuid.uuid4().hex[:8]}"
    old_queue = app.conf.task_default_queue
    app.conf.task_default_queue = queue
    workers: list[Worker] = []

    def start(**extra_env) -> Worker:
        worker = Worker(queue, {k: str(v) for k, v in extra_env.items()}).start()
        workers.append(worker)
        return worker

    yield start
    for worker in workers:
        worker.stop()
    app.conf.task_default_queue = old_queue
    connection.close()
