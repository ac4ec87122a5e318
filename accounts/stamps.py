"""Version stamps of API tokens, in the shared cache (Redis, or the database cache table).

A token read from the database is cached together with the stamp it was read under, and is
served only while that stamp is unchanged; the stamp is read on every request. Whatever can
kill a token renews its stamp: a save or delete of the token or of its user (revocation,
expiry, deactivation, a new password), and a bulk `update()` of either (a shell). A stamp is
a random token, so one lost with a Redis restart is never re-issued with an old entry's value.

Stamps are renewed twice: at once, and after the commit (a request between the two may have
cached the old row under the new stamp).
"""

import uuid
from collections.abc import Iterable

from django.core.cache import cache
from django.db import transaction


def stamp_key(key_hash: str) -> str:
    return f"api-token:stamp:{key_hash}"


def _renew(keys: list[str]) -> None:
    cache.set_many({key: uuid.uuid4().hex for key in keys}, timeout=None)


def retire_tokens(key_hashes: Iterable[str]) -> None:
    """Renew the stamps of these tokens: their cached copies are never served again."""
    keys = [stamp_key(h) for h in sorted(set(key_hashes))]
    if not keys:
        return
    _renew(keys)
    if transaction.get_connection().in_atomic_block:
        transaction.on_commit(lambda: _renew(keys))


def create_stamp(key_hash: str) -> str | None:
    """The token's stamp, created if missing; None if the cache cannot be reached."""
    cache.add(stamp_key(key_hash), uuid.uuid4().hex, timeout=None)
    return cache.get(stamp_key(key_hash))
