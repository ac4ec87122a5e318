"""Fault scenarios on the machine's real services (`make faults`, run by `.ci/run`).

These tests stop and restart PostgreSQL and Redis themselves, so they never run inside
`make test`; tests/conftest.py collects them only when RELESS_FAULTS=1."""

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.db import connection

from accounts.models import ApiToken
from reports import compute, tasks
from reports.models import ReportRun

from ..celery_worker import _test_database_url, requires_services, wait_for, worker_factory  # noqa: F401
from ..factories import LinkFactory, OrganisationFactory

pytestmark = [pytest.mark.worker, requires_services(),
              pytest.mark.django_db(transaction=True)]
ROOT = Path(__file__).resolve().parents[2]
PG_VERSION = sorted(os.listdir("/etc/postgresql"))[-1] if os.path.isdir("/etc/postgresql") else ""
REDIS_START = ["redis-server", "--daemonize", "yes", "--bind", "127.0.0.1", "-::1", "--port",
               "6379", "--save", "", "--appendonly", "no", "--dir", "/var/lib/redis",
               "--logfile", "/var/log/redis/ci.log"]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _get(url: str, headers: dict | None = None, data: bytes | None = None) -> tuple[int, str]:
    request = urllib.request.Request(url, headers=headers or {}, data=data)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


@pytest.fixture
def server():
    """gunicorn serving the test database, as in production (one worker is enough here)."""
    port = _free_port()
    env = {**os.environ, "DATABASE_URL": _test_database_url(), "STATIC_MANIFEST": "0",
           "DEBUG": "0", "ALLOWED_HOSTS": "127.0.0.1", "DB_CONN_MAX_AGE": "60"}
    process = subprocess.Popen(
        [str(Path(sys.executable).with_name("gunicorn")), "reless_platform.wsgi:application",
         "-b", f"127.0.0.1:{port}", "-w", "1", "--timeout", "30"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: _reachable(base), timeout=30)
        yield base
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(15)


def _reachable(base: str) -> bool:
    try:
        return _get(base + "/")[0] == 200
    except OSError:
        return False


def _pg(action: str) -> None:
    subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", PG_VERSION, "main", action],
                   check=True, capture_output=True)


def _pg_ready() -> bool:
    return subprocess.run(["pg_isready", "-h", "127.0.0.1", "-q"]).returncode == 0


def _redis_up() -> bool:
    return subprocess.run(["redis-cli", "ping"], capture_output=True).returncode == 0


@pytest.fixture
def registry(commune_a, commune_b, org_a, org_b, cassava):
    third = OrganisationFactory(commune=commune_a, primary_filiere=cassava)
    LinkFactory(source=org_a, target=third)
    LinkFactory(source=org_a, target=org_b, kind="training")


def test_it_finishes_a_national_recompute_after_the_worker_dies(worker_factory, registry):  # noqa: F811
    slow = dict(REPORT_TASK_DELAY=2, CELERY_VISIBILITY_TIMEOUT=3, CELERY_RESTORE_INTERVAL=1,
                CELERY_RESTORE_THROTTLE=1)
    worker = worker_factory(**slow)
    national = tasks.request_national_recompute(year=2025)
    wait_for(lambda: ReportRun.objects.filter(status="running").exists())
    worker.kill()
    worker_factory(**slow)
    wait_for(lambda: not ReportRun.objects.exclude(status="done").exists(), timeout=120)
    expected = compute.compute_national("cooperation", 2025)
    stored = ReportRun.objects.get(pk=next(r.pk for r in national if r.kind == "cooperation"))
    assert json.dumps(stored.result, sort_keys=True) == json.dumps(expected, sort_keys=True)
    assert ReportRun.objects.filter(status="failed").count() == 0


def test_it_fails_cleanly_while_postgresql_restarts_and_recovers(server, registry):
    assert _get(server + "/", {"Accept-Language": "fr"})[0] == 200  # its list is now cached
    _pg("stop")
    try:
        status, body = _get(server + "/c/CM901001001/", {"Accept-Language": "en"})
        assert status == 503 and "The registry database is unavailable" in body
        status, body = _get(server + "/c/CM901001001/", {"Accept-Language": "fr"})
        assert status == 503 and "La base de données du registre est momentanément" in body
        # The home page's territory list comes from the cache: it still serves.
        status, body = _get(server + "/", {"Accept-Language": "fr"})
        assert status == 200 and "CM901001001" in body
        api_status, api_body = _get(server + "/api/v1/communes/")
        assert api_status == 503 and json.loads(api_body)["detail"]
    finally:
        _pg("start")
        wait_for(_pg_ready, timeout=60)
        connection.close()  # this test process's own connection died with the server
    wait_for(lambda: _get(server + "/")[0] == 200, timeout=30)
    assert _get(server + "/api/v1/communes/")[0] == 200


def test_it_keeps_serving_without_redis_and_loses_no_report_request(
        server, registry, admin_user, worker_factory):  # noqa: F811
    _token, key = ApiToken.issue(user=admin_user, name="faults")
    auth = {"Authorization": f"Token {key}", "Content-Type": "application/json"}
    subprocess.run(["redis-cli", "shutdown", "nosave"], capture_output=True)
    wait_for(lambda: not _redis_up(), timeout=20)
    try:
        assert _get(server + "/")[0] == 200
        assert _get(server + "/api/v1/communes/", auth)[0] == 200
        started = time.monotonic()
        status, body = _get(server + "/api/v1/reports/cooperation/runs/", auth,
                            data=json.dumps({"commune": "CM901001001"}).encode())
        assert status == 202 and time.monotonic() - started < 10
        run_id = json.loads(body)["id"]
        assert ReportRun.objects.get(pk=run_id).status == "queued"
    finally:
        subprocess.run(REDIS_START, check=True, capture_output=True)
        wait_for(_redis_up, timeout=20)
    worker_factory()
    tasks.requeue_queued_runs(min_age_seconds=0)
    wait_for(lambda: ReportRun.objects.get(pk=run_id).status == "done", timeout=60)
