"""API tokens: issued in the admin (key shown once), refused when expired, revoked or
malformed, and rate-limited per token (429 with Retry-After)."""

import re

import pytest
from django.test import Client
from django.utils import timezone

from accounts.authentication import TokenRateThrottle
from accounts.models import ApiToken

from ..api_helpers import api_client, issue_key
from ..factories import UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_cache")]
URL = "/api/v1/aggregates/"


@pytest.fixture
def superuser():
    user = UserFactory(username="root", is_staff=True, is_superuser=True)
    return user


@pytest.fixture
def admin_client(superuser):
    client = Client()
    client.force_login(superuser)
    return client


def test_it_issues_a_token_in_the_admin_and_shows_the_key_once(admin_client, analyst):
    response = admin_client.post("/admin/accounts/apitoken/add/",
                                 {"user": analyst.pk, "name": "MINADER nightly", "days": 90},
                                 follow=True)
    assert response.redirect_chain, response.content
    token = ApiToken.objects.get()
    key = re.search(r"<code>([^<]+)</code>", response.content.decode()).group(1)
    assert (token.user, token.name, token.prefix) == (analyst, "MINADER nightly", key[:8])
    assert token.key_hash == ApiToken.hash_key(key) and key not in token.key_hash
    assert 89 <= (token.expires_at - timezone.now()).days <= 90
    assert api_client(key=key).get(URL).status_code == 200
    page = admin_client.get(f"/admin/accounts/apitoken/{token.pk}/change/").content.decode()
    assert key not in page


def test_it_lists_tokens_with_their_dates(admin_client, analyst):
    issue_key(analyst)
    page = admin_client.get("/admin/accounts/apitoken/").content.decode()
    assert ApiToken.objects.get().prefix in page
    for column in ("column-prefix", "column-user", "column-created_at", "column-expires_at",
                   "column-revoked_at", "column-last_used_at"):
        assert column in page


def test_it_revokes_tokens_from_the_admin(admin_client, analyst):
    key = issue_key(analyst)
    token = ApiToken.objects.get()
    response = admin_client.post("/admin/accounts/apitoken/", {
        "action": "revoke", "_selected_action": [token.pk]})
    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert api_client(key=key).get(URL).status_code == 401


def test_it_never_deletes_a_token_from_the_admin(admin_client, analyst):
    issue_key(analyst)
    token = ApiToken.objects.get()
    assert admin_client.get(f"/admin/accounts/apitoken/{token.pk}/delete/").status_code == 403


@pytest.mark.parametrize("state", ["expired", "revoked"])
def test_it_refuses_a_dead_token(analyst, state):
    response = api_client(analyst, **{state: True}).get(URL)
    assert response.status_code == 401
    assert response.json()["detail"]
    assert response["WWW-Authenticate"] == "Token"


@pytest.mark.parametrize("header", ["Token", "Token a b", "Token nope"])
def test_it_refuses_a_malformed_or_unknown_token(analyst, header):
    client = api_client()
    client.credentials(HTTP_AUTHORIZATION=header)
    assert client.get(URL).status_code == 401


def test_it_refuses_the_token_of_a_deactivated_user(analyst):
    key = issue_key(analyst)
    analyst.is_active = False
    analyst.save()
    assert api_client(key=key).get(URL).status_code == 401


def test_it_records_the_last_use(analyst):
    key = issue_key(analyst)
    api_client(key=key).get(URL)
    assert ApiToken.objects.get().last_used_at is not None


def test_it_answers_429_with_retry_after_past_the_rate(analyst, agent_a, monkeypatch):
    monkeypatch.setattr(TokenRateThrottle, "THROTTLE_RATES", {"token": "3/minute"})
    client = api_client(analyst)
    assert [client.get(URL).status_code for _ in range(3)] == [200, 200, 200]
    refused = client.get(URL)
    assert refused.status_code == 429
    assert 0 < int(refused["Retry-After"]) <= 60
    assert refused.json()["detail"]
    # The limit is per token: another token, and web sessions, still pass.
    assert api_client(analyst).get(URL).status_code == 200
    session = api_client(agent_a, session=True)
    assert [session.get(URL).status_code for _ in range(5)] == [200] * 5


# The token and its user are cached between requests: every way a token dies still refuses
# it on the very next request.

def test_it_reads_a_used_token_from_the_cache(analyst, django_assert_num_queries):
    key = issue_key(analyst)
    client = api_client(key=key)
    client.get(URL)
    # The aggregate (the summaries' dirty marks, their rows, the sectors' names): the token
    # and the roles come from the cache.
    with django_assert_num_queries(3):
        assert client.get(URL, {"by": "sector"}).status_code == 200


@pytest.mark.parametrize("kill", ["revoke", "expire", "deactivate", "delete user"])
def test_it_refuses_a_cached_token_at_once_once_it_dies(analyst, kill):
    key = issue_key(analyst)
    client = api_client(key=key)
    assert client.get(URL).status_code == 200  # now cached
    token = ApiToken.objects.get()
    if kill == "revoke":
        token.revoke()
    elif kill == "expire":
        token.expires_at = timezone.now() - timezone.timedelta(seconds=1)
        token.save()
    elif kill == "deactivate":
        analyst.is_active = False
        analyst.save()
    else:
        analyst.delete()
    assert client.get(URL).status_code == 401


def test_it_refuses_a_cached_token_once_its_date_passes(analyst, monkeypatch):
    key = issue_key(analyst)
    client = api_client(key=key)
    assert client.get(URL).status_code == 200  # cached with its expiry date
    later = ApiToken.objects.get().expires_at + timezone.timedelta(seconds=1)
    monkeypatch.setattr("accounts.authentication.timezone.now", lambda: later)
    assert client.get(URL).status_code == 401


def test_it_refuses_a_cached_token_revoked_in_the_admin(admin_client, analyst):
    key = issue_key(analyst)
    assert api_client(key=key).get(URL).status_code == 200  # now cached
    admin_client.post("/admin/accounts/apitoken/", {
        "action": "revoke", "_selected_action": [ApiToken.objects.get().pk]})
    assert api_client(key=key).get(URL).status_code == 401


@pytest.mark.parametrize("kill", ["revoke", "expire", "deactivate"])
def test_it_refuses_a_cached_token_killed_by_a_bulk_update(analyst, kill):
    """A shell's `update()` sends no signal: the querysets retire the cached tokens."""
    from accounts.models import User

    key = issue_key(analyst)
    client = api_client(key=key)
    assert client.get(URL).status_code == 200  # now cached
    tokens = ApiToken.objects.filter(user=analyst)
    if kill == "revoke":
        assert tokens.update(revoked_at=timezone.now()) == 1
    elif kill == "expire":
        assert tokens.update(expires_at=timezone.now() - timezone.timedelta(seconds=1)) == 1
    else:
        assert User.objects.filter(pk=analyst.pk).update(is_active=False) == 1
    assert client.get(URL).status_code == 401


def test_it_answers_403_at_once_when_the_role_is_removed(analyst):
    from cooperatives.models import RoleAssignment

    client = api_client(key=issue_key(analyst))
    assert client.get(URL).status_code == 200
    RoleAssignment.objects.get(user=analyst).delete()
    assert client.get(URL).status_code == 403


def test_it_never_stores_a_token_again_when_it_records_its_use(analyst, monkeypatch):
    """A request that read the token just before its revocation records the last use after
    it: the next request is still refused (the revocation is never undone by the cache)."""
    key = issue_key(analyst)
    client = api_client(key=key)
    real_now = timezone.now
    revoked = []

    def now_revoking_in_between():
        if not revoked:  # the first call comes after the read, before the last use is written
            revoked.append(True)
            ApiToken.objects.get().revoke()
        return real_now()

    monkeypatch.setattr("accounts.authentication.timezone.now", now_revoking_in_between)
    assert client.get(URL).status_code == 200  # it was read before the revocation
    monkeypatch.setattr("accounts.authentication.timezone.now", real_now)
    assert ApiToken.objects.get().last_used_at is not None
    assert client.get(URL).status_code == 401


def test_it_records_the_last_use_at_most_once_a_minute(analyst):
    key = issue_key(analyst)
    client = api_client(key=key)
    client.get(URL)
    first = ApiToken.objects.get().last_used_at
    client.get(URL, {"by": "sector"})
    assert ApiToken.objects.get().last_used_at == first
