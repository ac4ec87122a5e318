"""Reads of the ministries' API from a PostgreSQL read replica, when one is configured.

`DATABASE_REPLICA_URL` (settings) adds the `replica` alias; without it nothing here changes
where a query goes. The views that only read aggregated figures (the aggregates, the stored
reports, the ILO statistics: what the ministries pull, tolerant of a second of replication
lag) mark their GET requests with `ReplicaReadsMixin`: after authentication, permissions and
throttling, which read the primary (a session created a moment ago may not have reached the
replica), the view's reads go to the replica. Everything else reads and writes the primary:
every write, every other page and API view, report runs and other tasks (a refresh computed
on a replica that has not replayed its triggering edit would store stale figures), and the
work a marked view does that must lock or write (`primary_reads()`, e.g. the aggregates'
summary refresh). docs/operations.md says how to run one."""

import contextlib
import contextvars

from django.conf import settings
from rest_framework.permissions import SAFE_METHODS

_replica_reads = contextvars.ContextVar("reless_replica_reads", default=False)


def replica_alias() -> str:
    """The replica's alias when one is configured, else ""."""
    return settings.REPLICA_DATABASE


@contextlib.contextmanager
def replica_reads():
    """Reads inside go to the replica (when one is configured)."""
    token = _replica_reads.set(bool(replica_alias()))
    try:
        yield
    finally:
        _replica_reads.reset(token)


@contextlib.contextmanager
def primary_reads():
    """Reads inside go to the primary, even within `replica_reads()`."""
    token = _replica_reads.set(False)
    try:
        yield
    finally:
        _replica_reads.reset(token)


class ReplicaRouter:
    """Reads to the replica inside `replica_reads()`, everything else to the primary; the
    replica is never migrated (it replays the primary)."""

    def db_for_read(self, model, **hints):
        return replica_alias() if _replica_reads.get() else "default"

    def db_for_write(self, model, **hints):
        return "default"

    def allow_relation(self, obj1, obj2, **hints):
        return True  # the same data on both

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == "default"


class ReplicaReadsMixin:
    """For a read-only API view of aggregated figures: its GET and HEAD requests read the
    replica once the caller is authenticated, allowed and within its rate; whatever happens
    in the view, the primary again after it."""

    def dispatch(self, request, *args, **kwargs):
        token = _replica_reads.set(False)
        try:
            return super().dispatch(request, *args, **kwargs)
        finally:
            _replica_reads.reset(token)

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if request.method in SAFE_METHODS and replica_alias():
            _replica_reads.set(True)
