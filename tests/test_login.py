"""Login: throttled per account and per address, password rules, sessions that expire."""

import pytest
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.test import Client

pytestmark = pytest.mark.django_db
LOCKED = "Too many failed attempts"


@pytest.fixture(autouse=True)
def _fresh_counters():
    cache.clear()
    yield
    cache.clear()


def _login(client, username, password, address="10.0.0.1"):
    return client.post("/accounts/login/", {"username": username, "password": password},
                       REMOTE_ADDR=address, HTTP_ACCEPT_LANGUAGE="en")


def test_it_logs_in_with_the_right_password(agent_a):
    response = _login(Client(), "agent_a", "correct horse battery")
    assert response.status_code == 302


def test_it_locks_an_account_after_five_failures_even_with_the_right_password(agent_a):
    client = Client()
    for _ in range(5):
        assert _login(client, "agent_a", "wrong").status_code == 200
    response = _login(client, "agent_a", "correct horse battery")
    assert response.status_code == 200 and LOCKED in response.content.decode()
    other_account = _login(client, "nobody-else", "wrong")
    assert LOCKED not in other_account.content.decode()


def test_it_locks_an_address_trying_many_accounts(agent_a):
    client = Client()
    for n in range(20):
        _login(client, f"guess{n}", "wrong", address="10.9.9.9")
    blocked = _login(client, "agent_a", "correct horse battery", address="10.9.9.9")
    assert LOCKED in blocked.content.decode()
    elsewhere = _login(client, "agent_a", "correct horse battery", address="10.1.1.1")
    assert elsewhere.status_code == 302


def test_it_says_so_in_french(agent_a):
    client = Client()
    for _ in range(5):
        _login(client, "agent_a", "wrong")
    response = client.post("/accounts/login/", {"username": "agent_a", "password": "x"},
                           REMOTE_ADDR="10.0.0.1", HTTP_ACCEPT_LANGUAGE="fr")
    assert "Trop de tentatives" in response.content.decode()


def test_it_refuses_weak_passwords():
    for weak in ("12345678901", "password123", "court"):
        with pytest.raises(ValidationError):
            validate_password(weak)


def test_it_expires_sessions_after_a_working_day():
    assert settings.SESSION_COOKIE_AGE == 8 * 3600
    assert settings.SESSION_EXPIRE_AT_BROWSER_CLOSE
