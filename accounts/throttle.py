"""One throttle for every way in: site and admin logins, password-reset requests and API
token failures count against the account tried and the client's address. Past a limit the
attempt is refused, even with the right password, until the window ends.

The counters are shared by every worker process: in the cache when it is Redis (atomic
increments), otherwise in the `FailureCounter` table (one atomic UPDATE per failure). A
window opens with an account's or address's first failure and lasts LOCK_SECONDS.
"""

from datetime import timedelta

from django.conf import settings
from django.core.cache import cache, caches
from django.core.cache.backends.db import DatabaseCache
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from .models import FailureCounter

FAILURES_PER_ACCOUNT = getattr(settings, "LOGIN_FAILURES_PER_ACCOUNT", 5)
FAILURES_PER_ADDRESS = getattr(settings, "LOGIN_FAILURES_PER_ADDRESS", 20)
LOCK_SECONDS = getattr(settings, "LOGIN_LOCK_SECONDS", 900)


def client_address(request) -> str:
    return request.META.get("REMOTE_ADDR", "unknown")


def _keys(request, account: str | None) -> list[tuple[str, int]]:
    """(counter key, limit) of the address, then of the account if one is named."""
    keys = [(f"login-fail:addr:{client_address(request)}", FAILURES_PER_ADDRESS)]
    if account is not None:
        keys.append((f"login-fail:user:{account.strip().lower()}", FAILURES_PER_ACCOUNT))
    return keys


def _in_table() -> bool:
    # The database cache's incr() is a read then a write (lost counts under concurrency),
    # and it culls entries when full: its counters live in their own table instead.
    return isinstance(caches["default"], DatabaseCache)


def _count(key: str) -> int:
    if not _in_table():
        return cache.get(key) or 0
    return (FailureCounter.objects.filter(key=key, expires_at__gt=timezone.now())
            .values_list("count", flat=True).first() or 0)


def _hit(key: str) -> None:
    if not _in_table():
        if not cache.add(key, 1, LOCK_SECONDS):
            try:
                cache.incr(key)
            except ValueError:  # expired between add and incr
                cache.set(key, 1, LOCK_SECONDS)
        return
    now = timezone.now()
    rows = FailureCounter.objects.filter(key=key)
    for _attempt in range(3):
        if rows.filter(expires_at__gt=now).update(count=F("count") + 1):
            return
        ends = now + timedelta(seconds=LOCK_SECONDS)
        if rows.filter(expires_at__lte=now).update(count=1, expires_at=ends):
            return
        FailureCounter.objects.filter(expires_at__lte=now).delete()  # ended windows go
        try:
            with transaction.atomic():
                FailureCounter.objects.create(key=key, count=1, expires_at=ends)
            return
        except IntegrityError:  # another worker created it first: count on it
            continue


def _reset(key: str) -> None:
    if _in_table():
        FailureCounter.objects.filter(key=key).delete()
    else:
        cache.delete(key)


def is_locked(request, account: str | None) -> bool:
    """Whether the address, or the account if named, has reached its limit of failures."""
    return any(_count(key) >= limit for key, limit in _keys(request, account))


def record_failure(request, account: str | None) -> None:
    for key, _limit in _keys(request, account):
        _hit(key)


def clear_failures(request, account: str) -> None:
    """After a successful login: the account's count starts again (the address's stays)."""
    _reset(_keys(request, account)[-1][0])


def unlock(*, address: str | None = None, account: str | None = None) -> None:
    """Forget the failures of an address or an account at once (from a shell, for someone
    locked out; between tests)."""
    if address is not None:
        _reset(f"login-fail:addr:{address}")
    if account is not None:
        _reset(f"login-fail:user:{account.strip().lower()}")
