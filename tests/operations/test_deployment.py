"""Production settings from the environment pass Django's deployment checks; the compose file,
the Dockerfile and the Makefile install from the lock files and start a working platform."""

import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import dj_database_url
import pytest
import yaml
from django.test import Client
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from reless_platform.settings import DEVELOPMENT_KEY

ROOT = Path(__file__).resolve().parents[2]


def _environment() -> dict[str, str]:
    """This process's environment without what other tests set for themselves (the browser
    test allows async-unsafe calls, which a deployment must never do) nor the tests'
    development mode."""
    return {k: v for k, v in os.environ.items()
            if k not in ("DJANGO_ALLOW_ASYNC_UNSAFE", "RELESS_DEV", "DJANGO_SETTINGS_MODULE")}


def _check_deploy(**env: str) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in {**_environment(), **env}.items() if v is not None}
    return subprocess.run([sys.executable, "manage.py", "check", "--deploy", "--fail-level",
                           "WARNING"], cwd=ROOT, env=environment, capture_output=True, text=True)


def test_it_passes_check_deploy_with_production_settings():
    done = _check_deploy(SECRET_KEY="x9Vq-production-secret-" + "k" * 40, DEBUG="0", HTTPS="1",
                         ALLOWED_HOSTS="reless.example.cm")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "no issues" in done.stdout


@pytest.mark.parametrize("key", [None, "", DEVELOPMENT_KEY, "django-insecure-abc" + "d" * 40])
def test_it_refuses_to_start_in_production_without_its_own_key(key):
    done = _check_deploy(SECRET_KEY=key, DEBUG="0", HTTPS="1", ALLOWED_HOSTS="reless.example.cm")
    assert done.returncode == 1
    assert "ImproperlyConfigured: SECRET_KEY is not set (or is the development key)" in done.stderr
    assert "RELESS_DEV=1" in done.stderr


@pytest.mark.parametrize("flag", [{"DEBUG": "1"}, {"RELESS_DEV": "1"}])
def test_it_starts_with_the_development_key_in_development_mode(flag):
    done = subprocess.run([sys.executable, "manage.py", "shell", "-c",
                           "from django.conf import settings; print(settings.SECRET_KEY)"],
                          cwd=ROOT, env={**_environment(), "SECRET_KEY": "", **flag},
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == DEVELOPMENT_KEY


def test_it_still_warns_of_the_development_key_in_development_mode():
    done = _check_deploy(SECRET_KEY=None, RELESS_DEV="1", DEBUG="0", HTTPS="1")
    assert done.returncode != 0
    assert "security.W009" in done.stderr + done.stdout


@pytest.mark.django_db
def test_it_sends_security_headers_on_pages():
    response = Client().get("/")
    policy = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "script-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"


@pytest.mark.parametrize("command", [["makemigrations", "--check", "--dry-run"],
                                     ["compilemessages", "--ignore=.venv", "-v", "0"]])
def test_commands_that_read_only_the_code_need_no_key(command):
    environment = {**_environment(), "SECRET_KEY": "", "DEBUG": "0"}
    done = subprocess.run([sys.executable, "manage.py", *command], cwd=ROOT, env=environment,
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    refused = subprocess.run([sys.executable, "manage.py", "migrate", "--plan"], cwd=ROOT,
                             env=environment, capture_output=True, text=True)
    assert refused.returncode == 1
    assert "SECRET_KEY is not set" in refused.stderr


# The compose file, the Dockerfile and the lock files: what `docker-compose up` and an image
# build install and start.

APP_SERVICES = ("web", "worker", "worker-exports", "beat")
APP_ENVIRONMENT = {"DATABASE_URL", "REDIS_URL", "SECRET_KEY", "ALLOWED_HOSTS", "HTTPS", "DEBUG"}


def _compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def _settings_environment_names() -> set[str]:
    """The variables settings.py reads: through its helpers, and DATABASE_URL through
    dj_database_url.config()."""
    text = (ROOT / "reless_platform" / "settings.py").read_text()
    names = set(re.findall(r'\benv(?:_bool|_list)?\(\s*"([A-Z0-9_]+)"', text))
    assert "dj_database_url.config(" in text
    return names | {dj_database_url.DEFAULT_ENV}


def test_compose_file_starts_web_worker_and_beat_after_a_one_off_setup():
    services = _compose()["services"]
    assert set(services) == {"setup", *APP_SERVICES, "db", "redis"}
    setup = services["setup"]
    assert setup["command"] == (
        'sh -c "python manage.py migrate --no-input && python manage.py setup_platform"')
    assert setup["restart"] == "no"
    assert setup["depends_on"] == {"db": {"condition": "service_healthy"},
                                   "redis": {"condition": "service_healthy"}}
    for name in APP_SERVICES:
        assert services[name]["depends_on"] == {
            "db": {"condition": "service_healthy"},
            "redis": {"condition": "service_healthy"},
            "setup": {"condition": "service_completed_successfully"}}, name
        assert services[name]["image"] == setup["image"] == "reless-platform:latest"
    assert services["web"]["ports"] == ["8000:8000"]
    assert services["db"]["healthcheck"]["test"] == ["CMD", "pg_isready", "-U", "reless",
                                                     "-d", "reless"]
    assert services["redis"]["healthcheck"]["test"] == ["CMD", "redis-cli", "ping"]


def test_compose_setup_reads_the_reference_folder_read_only_from_the_host():
    setup = _compose()["services"]["setup"]
    assert setup["volumes"] == ["${RELESS_REFERENCE_DIR:-../shared/data}:/reference:ro"]
    assert setup["environment"]["RELESS_REFERENCE_DIR"] == "/reference"
    # The reference folder is the setup's alone; the web and worker processes share only the
    # files volume (export jobs' files and open data, written by the worker).
    services = _compose()["services"]
    assert {name: services[name].get("volumes") for name in APP_SERVICES} == {
        name: (["files:/srv/files"] if name != "beat" else None) for name in APP_SERVICES}


def test_compose_runs_reports_and_exports_on_separate_workers():
    services = _compose()["services"]
    assert services["worker"]["command"].endswith("-Q reless")
    assert services["worker-exports"]["command"].endswith("-Q exports")


def test_compose_environment_names_are_the_ones_settings_read():
    services = _compose()["services"]
    read = _settings_environment_names()
    assert set(services["setup"]["environment"]) == APP_ENVIRONMENT | {"RELESS_REFERENCE_DIR"}
    for name in APP_SERVICES:
        assert set(services[name]["environment"]) == APP_ENVIRONMENT, name
    assert APP_ENVIRONMENT | {"RELESS_REFERENCE_DIR"} <= read
    assert services["web"]["environment"]["SECRET_KEY"] == (
        "${SECRET_KEY:?set SECRET_KEY to 50+ random characters}")
    assert services["web"]["environment"]["DEBUG"] == "0"


@pytest.mark.skipif(not shutil.which("docker-compose"), reason="docker-compose not installed")
def test_docker_compose_accepts_the_file_and_demands_a_secret_key():
    command = ["docker-compose", "-f", str(ROOT / "docker-compose.yml"), "config", "-q"]
    environment = {k: v for k, v in _environment().items() if k != "SECRET_KEY"}
    done = subprocess.run(command, env={**environment, "SECRET_KEY": "k" * 50},
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    refused = subprocess.run(command, env=environment, capture_output=True, text=True)
    assert refused.returncode == 1
    assert "set SECRET_KEY to 50+ random characters" in refused.stderr


def test_the_image_installs_the_runtime_lock_with_hashes_and_runs_unprivileged():
    lines = [line.strip() for line in (ROOT / "Dockerfile").read_text().splitlines()]
    installs = [line for line in lines if "pip install" in line]
    assert installs == ["RUN pip install --require-hashes -r requirements.lock"]
    assert lines.index("COPY requirements.lock .") < lines.index(installs[0])
    assert lines.index(installs[0]) < lines.index("COPY . .")
    assert "&& RELESS_DEV=1 python manage.py collectstatic --no-input -v 0" in lines
    users = [line for line in lines if line.startswith("USER ")]
    assert users == ["USER reless"]
    assert lines.index(users[0]) < next(i for i, line in enumerate(lines)
                                        if line.startswith("CMD "))
    ignored = (ROOT / ".dockerignore").read_text().splitlines()
    assert {".git", ".venv", "db.sqlite3", "staticfiles/"} <= set(ignored)


def test_make_installs_the_dev_lock_with_hashes_and_reinstalls_when_a_lock_changes():
    makefile = (ROOT / "Makefile").read_text()
    rule = makefile.split("$(STAMP): ", 1)[1].split("\n\n", 1)[0].splitlines()
    assert rule[0] == "$(LOCK) $(DEV_LOCK) pyproject.toml"
    assert [line.strip() for line in rule[1:]] == [
        "test -x $(PY) || $(PYTHON) -m venv $(VENV)",
        "awk '/^pip==/ { on = 1 } on { print } on && !/\\\\$$/ { exit }' $(DEV_LOCK) "
        "> $(VENV)/pip.lock",
        "$(PY) -m pip install -q --require-hashes -r $(VENV)/pip.lock",
        "$(PY) -m pip install -q --require-hashes -r $(DEV_LOCK)",
        "$(PY) -m pip install -q --no-deps -e .",
        "touch $(STAMP)",
    ]
    assert "LOCK := requirements.lock\nDEV_LOCK := requirements-dev.lock\n" in makefile


def _pins(name: str) -> dict[str, tuple[str, int]]:
    """A lock file's pins: normalized name -> (version, number of hashes)."""
    text = (ROOT / name).read_text()
    assert text.startswith("# This file was autogenerated by uv via the following command:\n"
                           "#    make lock\n")
    pins = {}
    for block in re.split(r"\n(?=[A-Za-z0-9])", text.split("\n", 2)[2]):
        requirement = block.split(" \\", 1)[0].split(" ;", 1)[0]
        project, version = requirement.split("==")
        pins[canonicalize_name(project)] = (version, block.count("--hash=sha256:"))
    return pins


def test_lock_files_pin_every_dependency_with_hashes_and_agree_with_each_other():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    runtime, dev = _pins("requirements.lock"), _pins("requirements-dev.lock")
    for pins, requirements in ((runtime, project["dependencies"]),
                               (dev, project["dependencies"]
                                + project["optional-dependencies"]["dev"])):
        for requirement in map(Requirement, requirements):
            version, _ = pins[canonicalize_name(requirement.name)]
            assert requirement.specifier.contains(version, prereleases=True), requirement
        assert all(hashes >= 1 for _, hashes in pins.values())
    assert {name: pin for name, pin in dev.items() if name in runtime} == runtime
    assert not {"pytest", "ruff", "playwright", "uv", "pip"} & set(runtime)
