"""The access log of personal data (Law No. 2024/017): who was shown which person's data.

A view that shows personal data calls `record(...)` with the records it showed; `record`
only appends to an in-process bounded queue and returns (a page never waits for the log).
A daemon thread writes the queue in batches (every ACCESS_LOG_FLUSH_SECONDS, or sooner when
BATCH entries wait) on its own database connection, closed after each batch. A failing
write (database down) keeps the entries for the next try; past MAX_WAITING entries the
oldest are dropped, counted in `dropped` and warned about. `flush()` writes everything now in
the caller's thread (the tests, and the process's exit).
"""

import atexit
import logging
import os
import threading
from collections import deque
from collections.abc import Iterable

from django.conf import settings
from django.db import connection
from django.utils import timezone

from .models import AccessLog

logger = logging.getLogger(__name__)

MAX_WAITING = 100_000  # entries kept in memory while the database cannot take them
BATCH = 1000  # entries per insert; this many waiting wakes the writer at once

# (user_id, at, model, object_id, commune_id, fields, channel, path)
_queue: deque = deque(maxlen=MAX_WAITING)
_lock = threading.Lock()  # guards _queue and dropped
_writing = threading.Lock()  # one writer at a time (the thread, or a flush)
_wake = threading.Event()
_writer: dict = {"thread": None, "pid": None}
dropped = 0


def record(user, *, model: str, rows: Iterable[tuple[int, int | None]],
           fields: Iterable[str], channel: str, path: str) -> int:
    """Queue one log entry per (object_id, commune_id) of `rows`: `user` was shown `fields`
    (names, never values) of those records of `model` ("cooperatives.Organisation") through
    `channel` (page, api or export) at `path`. Nothing for an anonymous user or no field.
    Never blocks on the database; returns how many entries were queued."""
    fields_text = ",".join(fields)[:200]
    if not (fields_text and user is not None and user.is_authenticated):
        return 0
    head = (user.pk, timezone.now(), model)
    tail = (fields_text, channel, path[:200])
    entries = [(*head, object_id, commune_id, *tail) for object_id, commune_id in rows]
    if entries:
        _enqueue(entries)
    return len(entries)


def waiting() -> int:
    return len(_queue)


def flush(*, close_connection: bool = False) -> int:
    """Write every waiting entry now, in batches; how many were written. A failing batch is
    put back (for the next try) and ends the flush."""
    written = 0
    with _writing:
        while batch := _take(BATCH):
            try:
                AccessLog.objects.bulk_create([_row(entry) for entry in batch])
            except Exception:  # noqa: BLE001 - database down, locked, or gone: try later
                logger.exception("access log: %d entries not written, kept for the next try",
                                 len(batch))
                _put_back(batch)
                break
            finally:
                if close_connection:
                    connection.close()
            written += len(batch)
    return written


def _enqueue(entries: list[tuple]) -> None:
    global dropped
    with _lock:
        over = len(_queue) + len(entries) - _queue.maxlen
        _queue.extend(entries)  # a full deque drops its oldest entries
        if over > 0:
            dropped += over
    if over > 0:
        logger.warning("access log: %d oldest entries dropped (%d waiting, writer behind)",
                       over, len(_queue))
    if len(_queue) >= BATCH:
        _wake.set()
    _ensure_writer()


def _take(size: int) -> list[tuple]:
    with _lock:
        return [_queue.popleft() for _ in range(min(size, len(_queue)))]


def _put_back(batch: list[tuple]) -> None:
    """The batch back at the front, before what came since; the oldest beyond the bound go."""
    global dropped
    with _lock:
        newer = list(_queue)
        _queue.clear()
        _queue.extend(batch)
        _queue.extend(newer)
        dropped += max(0, len(batch) + len(newer) - _queue.maxlen)


def _row(entry: tuple) -> AccessLog:
    user_id, at, model, object_id, commune_id, fields, channel, path = entry
    return AccessLog(user_id=user_id, at=at, model=model, object_id=object_id,
                     commune_id=commune_id, fields=fields, channel=channel, path=path)


def _ensure_writer() -> None:
    """Start the writer thread of this process (again after a fork) unless the setting is 0."""
    seconds = settings.ACCESS_LOG_FLUSH_SECONDS
    if not seconds or (_writer["pid"] == os.getpid() and _writer["thread"].is_alive()):
        return
    with _lock:
        if _writer["pid"] == os.getpid() and _writer["thread"].is_alive():
            return
        thread = threading.Thread(target=_write_forever, args=(seconds,), daemon=True,
                                  name="access-log-writer")
        _writer.update(thread=thread, pid=os.getpid())
        thread.start()


def _write_forever(seconds: float) -> None:
    while True:
        _wake.wait(seconds)
        _wake.clear()
        try:
            flush(close_connection=True)
        except Exception:  # noqa: BLE001 - the writer never dies
            logger.exception("access log: writer failed")


def _flush_at_exit() -> None:
    try:
        flush(close_connection=True)
    except Exception:  # noqa: BLE001 - the process ends anyway
        logger.exception("access log: entries lost at exit")


atexit.register(_flush_at_exit)
