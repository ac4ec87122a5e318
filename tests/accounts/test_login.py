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


# One throttle for every way in: the admin's login, password-reset requests and API tokens
# count on the same counters.

def _admin_login(client, username, password, address="10.0.0.1"):
    return client.post("/admin/login/?next=/admin/",
                       {"username": username, "password": password, "next": "/admin/"},
                       REMOTE_ADDR=address, HTTP_ACCEPT_LANGUAGE="en")


def test_it_locks_the_admin_login_after_five_failures_even_with_the_right_password(admin_user):
    client = Client()
    for _ in range(5):
        response = _admin_login(client, "admin", "wrong")
        assert response.status_code == 200 and LOCKED not in response.content.decode()
    response = _admin_login(client, "admin", "correct horse battery")
    assert response.status_code == 200 and LOCKED in response.content.decode()


@pytest.mark.parametrize("first, then", [(_login, _admin_login), (_admin_login, _login)])
def test_it_shares_the_lock_between_the_site_and_the_admin(admin_user, first, then):
    client = Client()
    for _ in range(3):
        first(client, "admin", "wrong")
    for _ in range(2):
        then(client, "admin", "wrong")
    assert LOCKED in first(client, "admin", "correct horse battery").content.decode()
    assert LOCKED in then(client, "admin", "correct horse battery").content.decode()


def test_it_lets_the_admin_in_after_four_failures(admin_user):
    client = Client()
    for _ in range(4):
        _admin_login(client, "admin", "wrong")
    assert _admin_login(client, "admin", "correct horse battery").status_code == 302


def _reset(client, email, address="10.0.0.1", language="en"):
    return client.post("/accounts/password/reset/", {"email": email}, REMOTE_ADDR=address,
                       HTTP_ACCEPT_LANGUAGE=language)


def test_it_limits_password_reset_requests_per_address_and_says_so(agent_a, mailoutbox):
    client = Client()
    assert [_reset(client, "agent_a@example.org").status_code for _ in range(5)] == [302] * 5
    assert len(mailoutbox) == 5
    refused = _reset(client, "agent_a@example.org")
    assert refused.status_code == 200
    assert "Too many password reset requests" in refused.content.decode()
    assert "Trop de demandes" in _reset(client, "agent_a@example.org",
                                        language="fr").content.decode()
    assert len(mailoutbox) == 5
    elsewhere = _reset(client, "agent_a@example.org", address="10.1.1.1")
    assert "Too many password reset requests" in elsewhere.content.decode()
    assert _reset(client, "other@example.org", address="10.1.1.1").status_code == 302


def test_it_counts_reset_requests_against_the_address_for_logins_too(agent_a):
    client = Client()
    for n in range(20):
        _reset(client, f"someone{n}@example.org", address="10.7.7.7")
    blocked = _login(client, "agent_a", "correct horse battery", address="10.7.7.7")
    assert LOCKED in blocked.content.decode()


def test_it_locks_an_address_after_twenty_bad_api_tokens(analyst, agent_a):
    from ..api_helpers import issue_key

    key = issue_key(analyst)
    client = Client()
    for n in range(20):
        response = client.get("/api/v1/aggregates/", HTTP_AUTHORIZATION=f"Token bad{n}",
                              REMOTE_ADDR="10.8.8.8")
        assert response.status_code == 401
    refused = client.get("/api/v1/aggregates/", HTTP_AUTHORIZATION=f"Token {key}",
                         REMOTE_ADDR="10.8.8.8")
    assert refused.status_code == 429 and int(refused["Retry-After"]) == 900
    login = _login(client, "agent_a", "correct horse battery", address="10.8.8.8")
    assert LOCKED in login.content.decode()
    elsewhere = client.get("/api/v1/aggregates/", HTTP_AUTHORIZATION=f"Token {key}",
                           REMOTE_ADDR="10.8.8.9")
    assert elsewhere.status_code == 200


def test_it_counts_in_its_table_when_the_cache_is_the_database(settings, agent_a):
    from accounts.models import FailureCounter

    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache",
                                   "LOCATION": "reless_cache"}}
    client = Client()
    for _ in range(5):
        _login(client, "agent_a", "wrong")
    counts = dict(FailureCounter.objects.values_list("key", "count"))
    assert counts == {"login-fail:user:agent_a": 5, "login-fail:addr:10.0.0.1": 5}
    assert LOCKED in _login(client, "agent_a", "correct horse battery").content.decode()
    assert _login(client, "agent_a", "correct horse battery", address="10.2.2.2").status_code \
        == 200  # the account stays locked from anywhere


def test_it_opens_a_new_window_once_the_lock_ends(settings, agent_a, monkeypatch):
    from django.utils import timezone

    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache",
                                   "LOCATION": "reless_cache"}}
    client = Client()
    for _ in range(5):
        _login(client, "agent_a", "wrong")
    later = timezone.now() + timezone.timedelta(seconds=901)
    monkeypatch.setattr("accounts.throttle.timezone.now", lambda: later)
    assert _login(client, "agent_a", "correct horse battery").status_code == 302


@pytest.mark.parametrize("cache_backend", ["default", "database"])
def test_it_unlocks_an_account_from_a_shell(settings, agent_a, cache_backend):
    from accounts import throttle

    if cache_backend == "database":
        settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache",
                                       "LOCATION": "reless_cache"}}
    client = Client()
    for _ in range(5):
        _login(client, "agent_a", "wrong")
    assert LOCKED in _login(client, "agent_a", "correct horse battery").content.decode()
    throttle.unlock(account=" Agent_A ")
    assert _login(client, "agent_a", "correct horse battery").status_code == 302
