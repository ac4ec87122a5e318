"""Production settings from the environment pass Django's deployment checks."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client

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
