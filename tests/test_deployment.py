"""Production settings from the environment pass Django's deployment checks."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client

ROOT = Path(__file__).resolve().parent.parent


def _environment() -> dict[str, str]:
    """This process's environment without what other tests set for themselves (the browser
    test allows async-unsafe calls, which a deployment must never do)."""
    return {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}


def test_it_passes_check_deploy_with_production_settings():
    env = {**_environment(), "SECRET_KEY": "x9Vq-production-secret-" + "k" * 40, "DEBUG": "0",
           "HTTPS": "1", "ALLOWED_HOSTS": "reless.example.cm"}
    done = subprocess.run([sys.executable, "manage.py", "check", "--deploy", "--fail-level",
                           "WARNING"], cwd=ROOT, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "no issues" in done.stdout


def test_it_fails_check_deploy_with_the_development_key():
    env = {**_environment(), "DEBUG": "0", "HTTPS": "1"}
    env.pop("SECRET_KEY", None)
    done = subprocess.run([sys.executable, "manage.py", "check", "--deploy", "--fail-level",
                           "WARNING"], cwd=ROOT, env=env, capture_output=True, text=True)
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
