"""Sending a task to the broker without letting an unreachable broker fail the request that
sends it (used by reports and the registry)."""

import logging

logger = logging.getLogger(__name__)


def send(task, *args, countdown: float | None = None) -> bool:
    """Send a task (after `countdown` seconds); False (logged) when the broker is
    unreachable: the caller's own sweeper (a Celery beat entry) sends it again later."""
    try:
        task.apply_async(args, countdown=countdown)
    except Exception:  # noqa: BLE001 - kombu/redis connection errors of every kind
        logger.exception("could not send %s%s to the broker", task.name, args)
        return False
    return True
