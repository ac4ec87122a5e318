from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions, throttling

from .models import ApiToken, User

# A token and its user are read from the cache (Redis in production) rather than the database
# on each request. Any save of the token or of its user (revocation, deactivation, a new
# password) drops the entry at once and again after the commit; the expiry date is checked on
# every request; an entry lives at most CACHE_SECONDS.
CACHE_SECONDS = 300


def cache_key(key_hash: str) -> str:
    return f"api-token:{key_hash}"


def _forget(key_hashes: list[str]) -> None:
    keys = [cache_key(h) for h in key_hashes]
    cache.delete_many(keys)
    transaction.on_commit(lambda: cache.delete_many(keys))


def forget_token(sender, instance, **kwargs) -> None:
    _forget([instance.key_hash])


def forget_user_tokens(sender, instance, **kwargs) -> None:
    _forget(list(ApiToken.objects.filter(user_id=instance.pk).values_list("key_hash", flat=True)))


def connect() -> None:
    for signal in (post_save, post_delete):
        signal.connect(forget_token, sender=ApiToken, dispatch_uid="api-token-cache")
        signal.connect(forget_user_tokens, sender=User, dispatch_uid="api-token-user-cache")


class ApiTokenAuthentication(authentication.BaseAuthentication):
    """`Authorization: Token <key>`; refuses revoked and expired tokens."""

    keyword = "Token"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(_("Malformed token header."))
        key_hash = ApiToken.hash_key(header[1].decode(errors="replace"))
        token = cache.get(cache_key(key_hash))
        if token is None:
            token = ApiToken.objects.select_related("user").filter(key_hash=key_hash).first()
            if token is not None:
                cache.set(cache_key(key_hash), token, timeout=CACHE_SECONDS)
        now = timezone.now()
        if (token is None or token.revoked_at is not None or token.expires_at <= now
                or not token.user.is_active):
            raise exceptions.AuthenticationFailed(_("Invalid, expired or revoked token."))
        if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
            token.last_used_at = now
            cache.set(cache_key(key_hash), token, timeout=CACHE_SECONDS)
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
