"""The login throttle and token revocation across worker processes: gunicorn with two
workers on the test database, with Redis and without it (the database cache table and the
failure counter table). gunicorn's access log names the worker (pid) of every answer, so each
claim is checked on every worker.

PostgreSQL only: a SQLite test database lives in this process's memory."""

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from django.conf import global_settings
from django.test import Client
from django.utils import timezone

from accounts.models import ApiToken, FailureCounter, User
from cooperatives.models import Role, RoleAssignment

from ..celery_worker import _test_database_url, wait_for
from ..conftest import PASSWORD
from ..factories import RoleFactory, UserFactory

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not os.environ.get("DATABASE_URL", "").startswith("postgres"),
                       reason="needs DATABASE_URL (PostgreSQL): `.ci/run` sets it"),
]
ROOT = Path(__file__).resolve().parents[2]
LOCKED = "Too many failed attempts"
WRONG = {"site": "Please enter a correct username and password",
         "admin": "Please enter the correct username and password for a staff account"}
LOGIN = {"site": "/accounts/login/", "admin": "/admin/login/"}
DATABASE_CACHE = {"default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache",
                              "LOCATION": "reless_cache"}}
WORKERS = 2
URL = "/api/v1/aggregates/"


class Server:
    """gunicorn with WORKERS sync workers; `get`/`post` answer (status, text, worker pid)."""

    def __init__(self, kind: str, log: Path):
        self.kind, self.log, self.lines = kind, log, 0
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
        env.update({"DJANGO_SETTINGS_MODULE": "reless_platform.settings", "RELESS_DEV": "1",
                    "DATABASE_URL": _test_database_url(), "STATIC_MANIFEST": "0",
                    "ALLOWED_HOSTS": "127.0.0.1"})
        if kind == "database":
            env.pop("REDIS_URL", None)
        self.process = subprocess.Popen(
            [str(Path(sys.executable).with_name("gunicorn")), "reless_platform.wsgi:application",
             "-b", self.url.removeprefix("http://"), "-w", str(WORKERS), "--timeout", "60",
             "--access-logfile", str(log), "--access-logformat", "%(p)s %(s)s %(U)s"],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            start_new_session=True)

    def wait_ready(self) -> None:
        def answers():
            try:
                return requests.get(self.url + "/api/v1/communes/", timeout=5).status_code == 200
            except requests.RequestException:
                return False
        wait_for(answers, timeout=90)
        wait_for(lambda: self._log_lines(), timeout=10)
        self.lines = len(self._log_lines())

    def stop(self) -> None:
        os.killpg(self.process.pid, signal.SIGTERM)
        self.process.wait(15)

    def _log_lines(self) -> list[str]:
        return self.log.read_text().splitlines() if self.log.exists() else []

    def request(self, session: requests.Session, method: str, path: str, **kwargs):
        # One connection per request (sync workers do not keep it alive): any worker may answer.
        response = session.request(method, self.url + path, allow_redirects=False,
                                   headers={"Accept-Language": "en", "Connection": "close",
                                            **kwargs.pop("headers", {})}, timeout=30, **kwargs)
        self.lines += 1
        line = wait_for(lambda: (lines := self._log_lines()) and len(lines) >= self.lines
                        and lines[self.lines - 1], timeout=10)
        pid, status, logged_path = line.split(" ", 2)
        assert (int(status), logged_path) == (response.status_code, path.split("?")[0]), line
        return response.status_code, response.text, int(pid.strip("<>"))


@pytest.fixture(scope="module", params=["redis", "database"])
def server(request, django_db_setup, tmp_path_factory):
    if request.param == "redis" and not os.environ.get("REDIS_URL"):
        pytest.skip("needs REDIS_URL")
    started = Server(request.param, tmp_path_factory.mktemp("gunicorn") / "access.log")
    try:
        started.wait_ready()
        yield started
    finally:
        started.stop()


@pytest.fixture
def shared_cache(server, settings):
    """This process writes (revocations, role changes) to the cache the workers read, and
    hashes passwords as they check them."""
    settings.PASSWORD_HASHERS = global_settings.PASSWORD_HASHERS
    if server.kind == "database":
        settings.CACHES = DATABASE_CACHE
    from django.core.cache import cache

    cache.clear()
    return server


def _until_every_worker(server: Server, answer, most: int = 16) -> list[tuple[int, str, int]]:
    """Call `answer()` until every worker has answered (at most `most` times).

    On an idle machine one worker may win every accept; so every other call is made while an
    idle connection keeps one worker waiting for a request line, and another worker answers."""
    answers = []
    while len({pid for _s, _t, pid in answers}) < WORKERS:
        assert len(answers) < most, f"only workers {[a[2] for a in answers]} answered"
        if len(answers) % 2:
            host, port = server.url.removeprefix("http://").split(":")
            with socket.create_connection((host, int(port))):
                # A worker accepts it and waits for its request (given a second: on a loaded
                # machine a worker may take a while to come back to accept).
                time.sleep(1.0)
                answers.append(answer())
        else:
            answers.append(answer())
    return answers


def _login(server: Server, page: str, username: str, password: str):
    session = requests.Session()
    _s, form, _pid = server.request(session, "GET", LOGIN[page])
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form).group(1)
    return server.request(session, "POST", LOGIN[page], data={
        "username": username, "password": password, "csrfmiddlewaretoken": csrf, "next": "/"},
        headers={"Referer": server.url + LOGIN[page]})


def _staff(username: str):
    return UserFactory(username=username, is_staff=True)


def _outcome(answer) -> str:
    status, text, _pid = answer
    if status == 302:
        return "in"
    if LOCKED in text:
        return "locked"
    return "wrong" if any(message in text for message in WRONG.values()) else f"{status}?"


def test_it_locks_at_the_sixth_attempt_on_every_worker_at_both_login_pages(shared_cache):
    server = shared_cache
    _staff("target")
    attempts = [_login(server, page, "target", "wrong password")
                for page in ("site", "admin", "site", "admin", "site")]
    assert [_outcome(a) for a in attempts] == ["wrong"] * 5
    # Whichever workers counted the failures, every worker now refuses, at both pages.
    for page in ("site", "admin"):
        answers = _until_every_worker(server, lambda p=page: _login(server, p, "target", PASSWORD))
        assert {_outcome(a) for a in answers} == {"locked"}
    if server.kind == "database":
        assert FailureCounter.objects.get(key="login-fail:user:target").count == 5


def test_it_still_lets_the_right_password_in_after_four_failures(shared_cache):
    server = shared_cache
    _staff("careful")
    attempts = [_login(server, page, "careful", "wrong password")
                for page in ("admin", "site", "admin", "site")]
    assert [_outcome(a) for a in attempts] == ["wrong"] * 4
    assert _outcome(_login(server, "admin", "careful", PASSWORD)) == "in"


def _analyst_key(minader) -> tuple[User, ApiToken, str]:
    user = UserFactory(username="integrator")
    RoleFactory(user=user, role=Role.ANALYST, ministry=minader)
    token, key = ApiToken.issue(user=user, name="nightly", days=30)
    return user, token, key


def _admin_revoke(token: ApiToken) -> None:
    admin = UserFactory(username="root", is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(admin)
    response = client.post("/admin/accounts/apitoken/", {"action": "revoke",
                                                          "_selected_action": [token.pk]})
    assert response.status_code == 302


KILLS = {
    "admin action": lambda user, token: _admin_revoke(token),
    "model save": lambda user, token: token.revoke(),
    "queryset update": lambda user, token: ApiToken.objects.filter(pk=token.pk).update(
        revoked_at=timezone.now()),
    "expiry": lambda user, token: ApiToken.objects.filter(pk=token.pk).update(
        expires_at=timezone.now() - timezone.timedelta(seconds=1)),
    "user deactivated": lambda user, token: (setattr(user, "is_active", False), user.save()),
    "user deactivated in bulk": lambda user, token: User.objects.filter(pk=user.pk).update(
        is_active=False),
    "role removed": lambda user, token: RoleAssignment.objects.filter(user=user).delete(),
}


@pytest.mark.parametrize("kill", KILLS)
def test_it_refuses_a_dead_token_on_the_very_next_request_on_every_worker(shared_cache,
                                                                            minader, kill):
    server = shared_cache
    user, token, key = _analyst_key(minader)
    session = requests.Session()

    def call():
        return server.request(session, "GET", URL, headers={"Authorization": f"Token {key}"})

    warm = _until_every_worker(server, call)  # now cached by every worker's reads
    assert {status for status, *_rest in warm} == {200}
    KILLS[kill](user, token)
    after = _until_every_worker(server, call)
    expected = 403 if kill == "role removed" else 401
    assert [status for status, *_rest in after] == [expected] * len(after)
