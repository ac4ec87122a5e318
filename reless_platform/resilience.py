"""Keep serving when a backing service fails.

- The database down: requests answer 503 with a clear message (JSON under /api/) instead
  of a bare 500, and the next request after it returns reconnects (health checks on).
- Redis down: the cache degrades to misses (rate limits and login counters pause) rather
  than failing every request; report requests stay queued and are sent when it returns.
"""

import logging

from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from django.db import InterfaceError, OperationalError
from django.http import HttpResponse
from django.utils.translation import gettext as _

from core.errors import api_error_response, is_api_request

logger = logging.getLogger(__name__)


class DatabaseUnavailableMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, OperationalError | InterfaceError):
            return None
        logger.error("database unavailable: %s", exception)
        message = _("The registry database is unavailable for a moment. Try again shortly.")
        if is_api_request(request):
            response = api_error_response(message, 503)
        else:
            response = HttpResponse(
                f"<!DOCTYPE html><title>503</title><h1>503</h1><p>{message}</p>",
                status=503, content_type="text/html; charset=utf-8")
        response["Retry-After"] = "30"
        return response


class ReusingRedisCacheClient(RedisCacheClient):
    """Django's Redis client builds a new `redis.Redis` around the pool for every operation;
    keep one per pool instead (the hot API paths make several cache calls per request)."""

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        clients = self.__dict__.setdefault("_clients", {})
        client = clients.get(id(pool))
        if client is None:
            client = clients[id(pool)] = self._client(connection_pool=pool)
        return client


class TolerantRedisCache(RedisCache):
    """Redis cache whose failures are logged and read as misses."""

    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = ReusingRedisCacheClient

    def _safe(self, name, default, *args, **kwargs):
        try:
            return getattr(super(), name)(*args, **kwargs)
        except Exception as error:  # noqa: BLE001 - any client/connection error
            logger.warning("cache %s failed: %s", name, error)
            return default

    def get(self, key, default=None, version=None):
        return self._safe("get", default, key, default, version)

    def get_many(self, keys, version=None):
        return self._safe("get_many", {}, keys, version)

    def set(self, key, value, timeout=None, version=None):
        return self._safe("set", None, key, value, timeout, version)

    def add(self, key, value, timeout=None, version=None):
        return self._safe("add", False, key, value, timeout, version)

    def incr(self, key, delta=1, version=None):
        return self._safe("incr", delta, key, delta, version)

    def delete(self, key, version=None):
        return self._safe("delete", False, key, version)

    def set_many(self, data, timeout=None, version=None):
        return self._safe("set_many", [], data, timeout, version)

    def touch(self, key, timeout=None, version=None):
        return self._safe("touch", False, key, timeout, version)
