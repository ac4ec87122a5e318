"""A read on a second database connection while this one goes on working.

A national report reads a few large tables; on PostgreSQL each read keeps one server process
busy while the report's own process waits. Sent on a thread of its own (its own connection,
closed when done), the largest read runs beside the others: on the national dataset the
cooperation report's three reads took 0.9-1.3 s one after the other, about the longest of
them side by side.

Only where the second connection sees what this one sees: on PostgreSQL, outside a
transaction (a transaction's uncommitted rows, a test's among them, are invisible to any
other connection). Elsewhere (SQLite, inside a transaction) the read simply runs at once.
"""

import contextvars
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import TypeVar

from django.db import DEFAULT_DB_ALIAS, connections

T = TypeVar("T")


def read_beside(function: Callable[..., T], *args, using: str = DEFAULT_DB_ALIAS
                ) -> Callable[[], T]:
    """Start `function(*args)` on a thread with its own connection when it can see the same
    rows (see the module), else call it now; returns a callable giving its result (raising
    its exception). The thread keeps the caller's context (the replica routing of
    core.replica)."""
    connection = connections[using]
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        done: Future = Future()
        try:
            done.set_result(function(*args))
        except Exception as error:  # noqa: BLE001 - raised by the result, as on a thread
            done.set_exception(error)
        return done.result
    future: Future = Future()
    context = contextvars.copy_context()
    threading.Thread(target=context.run, args=(_closing, future, function, args),
                     name="read-beside", daemon=True).start()  # it ends with its read
    return future.result


def _closing(future: Future, function: Callable[..., T], args: tuple) -> None:
    try:
        future.set_result(function(*args))
    except BaseException as error:  # noqa: BLE001 - raised by the result, in the caller
        future.set_exception(error)
    finally:
        connections.close_all()  # this thread's own connections
