"""Schemathesis over every operation of /api/v1/schema/, as an anonymous client and with a
ministry token: no server error, no response outside the schema, no invalid input accepted.

Each runs twice: with the fixed seed (deterministic, the same cases on every run) and with a
random seed printed in the log, so every run explores new cases and any failure is
reproduced with `RELESS_FUZZ_SEED=<seed> pytest tests/platform/test_api_fuzz.py -k random`."""

import os
import random
import signal
import socket
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest
from django.db import connection

from accounts.models import ApiToken

from ..celery_worker import _test_database_url, wait_for
from ..factories import InterventionFactory, LinkFactory, OrganisationFactory

pytestmark = pytest.mark.django_db(transaction=True)
SCHEMATHESIS = str(Path(sys.executable).with_name("schemathesis"))
FIXED_SEED = 20261127
CHECKS = ("not_a_server_error,status_code_conformance,content_type_conformance,"
          "response_schema_conformance,negative_data_rejection")


@pytest.fixture
def server(live_server):
    """The API as deployed: gunicorn on the test database when it is PostgreSQL (CI); on a
    local SQLite run, Django's live test server."""
    if connection.vendor != "postgresql":
        yield live_server.url
        return
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {**os.environ, "DATABASE_URL": _test_database_url(), "STATIC_MANIFEST": "0",
           "ALLOWED_HOSTS": "127.0.0.1"}
    process = subprocess.Popen(
        [str(Path(sys.executable).with_name("gunicorn")), "reless_platform.wsgi:application",
         "-b", f"127.0.0.1:{port}", "-w", "2", "--timeout", "60"],
        cwd=Path(__file__).resolve().parents[2], env=env, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: _answers(url), timeout=30)
        yield url
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(15)


def _answers(url: str) -> bool:
    try:
        return urllib.request.urlopen(url + "/api/v1/schema/", timeout=5).status == 200
    except OSError:
        return False


@pytest.fixture
def registry(commune_a, commune_b, org_a, org_b, cassava, minader):
    third = OrganisationFactory(commune=commune_a, primary_filiere=cassava)
    LinkFactory(source=org_a, target=third)
    InterventionFactory(commune=commune_a, ministry=minader, beneficiaries=[org_a])


def random_seed() -> int:
    """RELESS_FUZZ_SEED when set (to replay a failure), else a new random seed.

    Under pytest-xdist every worker collects every test and the seed names them: the seed
    comes from the run's id (PYTEST_XDIST_TESTRUNUID, the same in every worker, new each run),
    so the workers collect the same tests."""
    value = os.environ.get("RELESS_FUZZ_SEED")
    if value:
        return int(value)
    run_id = os.environ.get("PYTEST_XDIST_TESTRUNUID")
    if run_id:
        return int(run_id, 16) % 2**31
    return random.SystemRandom().randrange(2**31)


RANDOM_SEED = random_seed()  # once per session: it names the tests, so every log shows it


@pytest.fixture(params=[(FIXED_SEED, True), (RANDOM_SEED, False)],
                ids=[f"fixed-seed-{FIXED_SEED}", f"random-seed-{RANDOM_SEED}"])
def seed(request) -> tuple[int, bool]:
    """(seed, deterministic): the fixed seed's cases, or the random seed's, printed too."""
    if not request.param[1]:
        print(f"\nschemathesis seed: {RANDOM_SEED} (replay: RELESS_FUZZ_SEED={RANDOM_SEED} "
              f"pytest tests/platform/test_api_fuzz.py -k random)")
    return request.param


def _fuzz(url: str, tmp_path, seed: tuple[int, bool],
          *headers: str) -> subprocess.CompletedProcess:
    value, deterministic = seed
    command = [SCHEMATHESIS, "run", f"{url}/api/v1/schema/", "--url", url,
               "--checks", CHECKS, "--seed", str(value),
               "--max-examples", "15", "--phases", "examples,coverage,fuzzing",
               "--request-timeout", "60",
               "--workers", "1", "--no-color", "--report-dir", str(tmp_path)]
    if deterministic:
        command.append("--generation-deterministic")
    for header in headers:
        command += ["-H", header]
    return subprocess.run(command, capture_output=True, text=True, timeout=900)


def test_it_survives_fuzzing_as_an_anonymous_client(server, tmp_path, registry, seed):
    done = _fuzz(server, tmp_path, seed)
    assert done.returncode == 0, _failure(done, seed)


def test_it_survives_fuzzing_with_a_ministry_token(server, tmp_path, registry, analyst, seed):
    _token, key = ApiToken.issue(user=analyst, name="fuzz")
    done = _fuzz(server, tmp_path, seed, f"Authorization: Token {key}")
    assert done.returncode == 0, _failure(done, seed)


def _failure(done: subprocess.CompletedProcess, seed: tuple[int, bool]) -> str:
    failures = done.stdout.find("FAILURES")  # the cases, then the summary
    report = done.stdout[failures:] if failures >= 0 else done.stdout
    return (f"seed {seed[0]} (RELESS_FUZZ_SEED={seed[0]}):\n"
            + report[:12000] + done.stderr[-2000:])
