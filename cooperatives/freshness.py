"""Version stamps of the registry's figures, for caches of what is computed from them.

Three kinds of stamp live in the cache (Redis in production):

- one per commune, renewed by every write to that commune's organisations;
- one national, renewed by every write to any organisation;
- one for the reference data (territory and taxonomy: names shown beside the figures),
  renewed when they change.

A cached read stores the stamps it was computed under and is served only while they are all
unchanged (`cached`). A stamp is a random token, never a counter, so a stamp lost with a
Redis restart can never be re-issued with the value an old entry holds.

Writes renew the stamps twice: at once (the writing transaction then reads its own changes)
and after the commit (a read between the first renewal and the commit may have cached the
old figures under the new stamp). Bulk writes (imports, merges) send
`cooperatives.signals.organisations_bulk_changed`, which renews them too (the receivers
are in cooperatives.signals). If Redis cannot be
reached, reads compute without the cache; a renewal lost to an unreachable Redis while reads
still reach it is bounded by `TIMEOUT`.
"""

import uuid
from collections.abc import Callable, Iterable
from typing import Any

from django.core.cache import cache
from django.db import transaction

TIMEOUT = 3600  # seconds an entry lives at most, whatever its stamps
NATIONAL = "registry:stamp:national"
REFERENCE = "registry:stamp:reference"
ROLES = "registry:stamp:roles"  # every role assignment and account
_MISSING = object()


def commune_stamp_key(commune_key: Any) -> str:
    """The stamp of one commune, by P-code (what the API is asked for)."""
    return f"registry:stamp:commune:{commune_key}"


def _renew(keys: list[str]) -> None:
    cache.set_many({key: uuid.uuid4().hex for key in keys}, timeout=None)


def renew(pcodes: Iterable[str] = (), *, reference: bool = False) -> None:
    """Renew the stamps of these communes and the national one (and the reference data's)."""
    keys = [commune_stamp_key(p) for p in sorted(set(pcodes))] + [NATIONAL]
    if reference:
        keys.append(REFERENCE)
    _renew(keys)
    if transaction.get_connection().in_atomic_block:
        transaction.on_commit(lambda: _renew(keys))


def renew_roles() -> None:
    """Renew the stamp of the role assignments (each user's scope is cached under it)."""
    _renew([ROLES])
    if transaction.get_connection().in_atomic_block:
        transaction.on_commit(lambda: _renew([ROLES]))


def reference_stamp() -> str | None:
    """The reference data's stamp, created when missing (as `cached` creates it); None when
    the cache cannot be reached."""
    [stamp] = _created([REFERENCE], (cache.get(REFERENCE, _MISSING),))
    return None if stamp is _MISSING else stamp


def renew_all() -> None:
    """Renew every stamp at once: after a restore, or between tests."""
    _renew([NATIONAL, REFERENCE])
    # Commune stamps are read with the reference stamp: renewing it retires every entry.


def cached(key: str, stamps: list[str], compute: Callable[[], Any]) -> Any:
    """`compute()`, or what it gave last time under the same stamps.

    One cache round trip on a hit (the entry and its stamps together); on a miss, missing
    stamps are created and the result is stored with the stamps read *before* computing, so a
    write during the computation leaves an entry that is never served."""
    return cached_many({key: compute}, stamps)[key]


def cached_many(computes: dict[str, Callable[[], Any]], stamps: list[str]) -> dict[str, Any]:
    """`cached` for several entries under the same stamps, in one round trip when they are
    all kept: each key's value, computed (and stored) only for the keys missing."""
    stamps = [*stamps, REFERENCE]
    found = cache.get_many([*computes, *stamps])
    current = tuple(found.get(s, _MISSING) for s in stamps)
    values: dict[str, Any] = {}
    for key in computes:
        entry = found.get(key)
        if entry is not None and _MISSING not in current and entry[0] == current:
            values[key] = entry[1]
    if len(values) == len(computes):
        return values
    current = _created(stamps, current)
    computed = {key: compute() for key, compute in computes.items() if key not in values}
    if _MISSING not in current:
        cache.set_many({key: (current, value) for key, value in computed.items()},
                       timeout=TIMEOUT)
    return {key: values[key] if key in values else computed[key] for key in computes}


def _created(stamps: list[str], current: tuple) -> tuple:
    """The stamps' values (`current`, read with them), the missing ones created first (a
    random token each, added only if still absent) and read again; _MISSING where the cache
    cannot be reached."""
    missing = [s for s, value in zip(stamps, current, strict=True) if value is _MISSING]
    if not missing:
        return current
    for stamp in missing:
        cache.add(stamp, uuid.uuid4().hex, timeout=None)
    found = cache.get_many(stamps)
    return tuple(found.get(s, _MISSING) for s in stamps)
