"""The one request-body parser of the API: JSON, bounded in size and in nesting depth.

A body over MAX_BODY_BYTES answers 413 and a document nested deeper than MAX_DEPTH answers
400, both in the API's error shape, before any view sees the data. Python's decoder would
otherwise recurse once per bracket (a 4 KB body of 2,000 brackets raised RecursionError).
"""

import json

from django.conf import settings
from django.utils.translation import gettext as _
from rest_framework import exceptions, parsers, status

MAX_DEPTH = 32  # the deepest body of the API is three levels; 32 leaves room for any client


class RequestTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "request_too_large"


def max_body_bytes() -> int:
    """Django's own limit on a request body (DATA_UPLOAD_MAX_MEMORY_SIZE, 2.5 MB by default),
    so forms and the API refuse the same sizes."""
    return settings.DATA_UPLOAD_MAX_MEMORY_SIZE or 2_621_440


def too_large_message() -> str:
    return _("The request body is larger than %(size)s bytes.") % {"size": max_body_bytes()}


def too_large() -> RequestTooLarge:
    return RequestTooLarge(too_large_message())


def check_document(document) -> None:
    """Refuse (400) a decoded JSON document nested deeper than MAX_DEPTH (a scalar is 0, `[]`
    is 1) or holding a NUL character in a key or a text (`\\u0000`: no database column can
    store it; PostgreSQL answers it with an error). Walked without recursion."""
    stack = [(document, 0)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, str) and "\x00" in value:
            raise exceptions.ParseError(nul_message())
        if isinstance(value, dict | list):
            if depth + 1 > MAX_DEPTH:
                raise _too_deep()
            items = [*value, *value.values()] if isinstance(value, dict) else value
            stack.extend((item, depth + 1) for item in items)


def nul_message() -> str:
    return _("Text may not contain the NUL character (\\u0000).")


class JSONParser(parsers.JSONParser):
    """JSON bodies of at most `max_body_bytes()` bytes and MAX_DEPTH levels."""

    def parse(self, stream, media_type=None, parser_context=None):
        limit = max_body_bytes()
        raw = stream.read(limit + 1) if stream is not None else b""
        if len(raw) > limit:
            raise too_large()
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        try:
            document = json.loads(raw.decode(encoding), parse_constant=_no_constant)
        except RecursionError:
            raise _too_deep() from None
        except (ValueError, UnicodeDecodeError) as error:
            raise exceptions.ParseError(_("The body is not valid JSON: %(error)s")
                                        % {"error": error}) from None
        check_document(document)
        return document


def _too_deep() -> exceptions.ParseError:
    return exceptions.ParseError(_("The body is nested deeper than %(depth)s levels.")
                                 % {"depth": MAX_DEPTH})


def _no_constant(name: str):
    raise ValueError(_("%(name)s is not a JSON value.") % {"name": name})
