from django.core.cache import cache
from django.db.models.signals import post_delete, post_save
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions, throttling

from . import throttle
from .models import ApiToken, User
from .stamps import create_stamp, retire_tokens, stamp_key

# A token and its user are read from the cache (Redis, or the database cache table) under the
# token's version stamp (accounts/stamps.py), read on every request: a revocation, expiry,
# deactivation or role change answers on the very next request on every worker. The entry
# is stored once, after a database read, with the stamp read *before* that read; recording
# the last use never stores it again.
CACHE_SECONDS = 300
LAST_USE_SECONDS = 60  # the last use is written at most this often per token


def cache_key(key_hash: str) -> str:
    return f"api-token:{key_hash}"


def used_key(key_hash: str) -> str:
    return f"api-token:used:{key_hash}"


def retire_token(sender, instance, **kwargs) -> None:
    retire_tokens([instance.key_hash])


def retire_user_tokens(sender, instance, **kwargs) -> None:
    retire_tokens(ApiToken.objects.filter(user_id=instance.pk).values_list("key_hash", flat=True))


def connect() -> None:
    for signal in (post_save, post_delete):
        signal.connect(retire_token, sender=ApiToken, dispatch_uid="api-token-cache")
        signal.connect(retire_user_tokens, sender=User, dispatch_uid="api-token-user-cache")


def load_token(key_hash: str) -> tuple[ApiToken | None, dict]:
    """The token with this hash and its user: cached if stored under the current stamp."""
    found = cache.get_many([cache_key(key_hash), stamp_key(key_hash), used_key(key_hash)])
    entry = found.get(cache_key(key_hash))
    if entry is not None and entry[0] == found.get(stamp_key(key_hash)):
        return entry[1], found
    stamp = found.get(stamp_key(key_hash)) or create_stamp(key_hash)
    token = ApiToken.objects.select_related("user").filter(key_hash=key_hash).first()
    if token is not None and stamp is not None:
        cache.set(cache_key(key_hash), (stamp, token), timeout=CACHE_SECONDS)
    return token, found


def record_use(token: ApiToken, found: dict, now) -> None:
    """Write the last use to the database (not the cache) at most once a minute."""
    if used_key(token.key_hash) in found or not cache.add(used_key(token.key_hash), 1,
                                                          LAST_USE_SECONDS):
        return
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)


class ApiTokenAuthentication(authentication.BaseAuthentication):
    """`Authorization: Token <key>`; refuses revoked and expired tokens. Failures count in
    the login throttle of the client's address (accounts/throttle.py)."""

    keyword = "Token"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        if throttle.is_locked(request, None):
            raise exceptions.Throttled(throttle.LOCK_SECONDS)
        if len(header) != 2:
            throttle.record_failure(request, None)
            raise exceptions.AuthenticationFailed(_("Malformed token header."))
        token, found = load_token(ApiToken.hash_key(header[1].decode(errors="replace")))
        now = timezone.now()
        if (token is None or token.revoked_at is not None or token.expires_at <= now
                or not token.user.is_active):
            throttle.record_failure(request, None)
            raise exceptions.AuthenticationFailed(_("Invalid, expired or revoked token."))
        record_use(token, found, now)
        return token.user, token

    def authenticate_header(self, request):
        return self.keyword


class TokenRateThrottle(throttling.SimpleRateThrottle):
    """Per-token rate limit, counted in the cache (Redis in production); web sessions pass."""

    scope = "token"

    def get_cache_key(self, request, view):
        if isinstance(request.auth, ApiToken):
            return self.cache_format % {"scope": self.scope, "ident": request.auth.pk}
        return None


class ApiTokenScheme(OpenApiAuthenticationExtension):
    target_class = "accounts.authentication.ApiTokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "`Authorization: Token <key>`; keys are issued by the national "
                           "admin, expire, and can be revoked.",
        }
