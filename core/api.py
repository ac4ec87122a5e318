"""API-wide plumbing: the JSON error shape, query-parameter rules and conditional GET (ETag).

Every error is JSON with a `detail` message (and `errors` per field or parameter), also when
the client asked for CSV. Every successful GET carries an ETag computed from the body, and an
`If-None-Match` with that ETag answers 304 with no body, so a nightly pull skips unchanged data.
"""

import hashlib

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.cache import get_conditional_response, patch_cache_control, patch_vary_headers
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema_field
from rest_framework import exceptions, serializers
from rest_framework.permissions import SAFE_METHODS
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler

from .conflicts import Conflict
from .parsers import nul_message


def exception_handler(exc, context):
    if isinstance(exc, Conflict):
        return Response({"detail": " ".join(exc.messages)}, status=409)
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(service_errors(exc))
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(response.data, dict) and isinstance(response.data.get("detail"), list):
        messages = response.data["detail"]
        response.data = {"detail": " ".join(str(m) for m in messages), "errors": messages}
    elif isinstance(response.data, dict) and "detail" not in response.data:
        response.data = {"detail": _first_message(response.data), "errors": response.data}
    elif isinstance(response.data, list):
        response.data = {"detail": " ".join(str(m) for m in response.data), "errors": response.data}
    return response


def service_errors(error: DjangoValidationError) -> dict:
    """A service's (or model's) ValidationError as messages per field, the whole-object
    rules under DRF's `non_field_errors`, as a serializer would name them."""
    errors = error.message_dict if hasattr(error, "error_dict") else {
        NON_FIELD_ERRORS: error.messages}
    return {(api_settings.NON_FIELD_ERRORS_KEY if field == NON_FIELD_ERRORS else field): messages
            for field, messages in errors.items()}


def _first_message(errors) -> str:
    """The first message, prefixed with its field unless it is about the whole object."""
    for field, messages in errors.items():
        first = messages[0] if isinstance(messages, list) and messages else messages
        return str(first) if field == api_settings.NON_FIELD_ERRORS_KEY else f"{field}: {first}"
    return "Invalid request."


@extend_schema_field({"description": "Messages per field or parameter (object or list)."})
class _AnyErrors(serializers.JSONField):
    pass


class ApiErrorSerializer(serializers.Serializer):
    """Shape of every error answer."""

    detail = serializers.CharField(help_text="A clear message, first error first.")
    errors = _AnyErrors(required=False)


def error_responses(*codes: int) -> dict:
    """OpenAPI responses for the given error statuses, all with the error shape."""
    meaning = {
        400: "Bad filter, parameter or body (JSON error).",
        401: "No credentials, or an invalid, expired or revoked token.",
        403: "Authenticated, but the account's role does not allow this.",
        404: "Unknown or out-of-scope object (never 403, so ids cannot be probed).",
        405: "Method not allowed.",
        429: "Rate limit reached: retry after the `Retry-After` header's seconds.",
    }
    return {(code, "application/json"): OpenApiResponse(ApiErrorSerializer, meaning[code])
            for code in codes}


class ApiViewMixin:
    """For every API view: errors rendered as JSON, query parameters checked, the body parsed
    up front, and conditional GET.

    Order of the answers: credentials (401), role (403) and rate (429) first, then the method
    (405), then a malformed request (400, 413, 415: a bad or empty query parameter on a read,
    a body that is not bounded JSON on a write), then what the view decides (404 out of scope,
    403 for an object the caller may read but not change, 400 for a broken rule). Writes
    answer JSON whatever `format` says, so query parameters play no part in them.

    The ETag is a hash of the rendered body (so it changes with any change of the data, the
    taxonomy, the language or the format); `Cache-Control: private, no-cache` keeps shared
    caches out and makes clients revalidate."""

    def get_renderers(self):
        request = getattr(self, "request", None)
        if request is not None and request.method not in SAFE_METHODS:
            return [JSONRenderer()]  # writes answer JSON; CSV is for reading
        return super().get_renderers()

    def perform_content_negotiation(self, request, force=False):
        try:
            return super().perform_content_negotiation(request, force=force)
        except Http404:  # an unknown ?format=: refused in initial(), after the credentials
            return JSONRenderer(), JSONRenderer.media_type

    # Parameters a view takes with an empty value (the docs page's `?script=`).
    empty_parameters: frozenset[str] = frozenset()

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if getattr(self, request.method.lower(), None) is None:
            return  # dispatch answers 405
        if any("\x00" in str(value) for value in kwargs.values()):
            raise exceptions.NotFound  # no P-code or id holds a NUL character
        if request.method in SAFE_METHODS:
            check_query_parameters(request, [r.format for r in self.get_renderers()],
                                   self.empty_parameters)
        else:
            request.data  # noqa: B018 - parse now: a malformed body is refused first

    def finalize_response(self, request, response, *args, **kwargs):
        renderer = getattr(request, "accepted_renderer", None)
        if response.status_code >= 400 and renderer is not None and renderer.format != "json":
            request.accepted_renderer = JSONRenderer()
            request.accepted_media_type = JSONRenderer.media_type
        response = super().finalize_response(request, response, *args, **kwargs)
        if request.method not in ("GET", "HEAD") or response.status_code != 200:
            return response
        response.render()
        etag = f'"{hashlib.blake2b(response.content, digest_size=16).hexdigest()}"'
        response["ETag"] = etag
        patch_cache_control(response, private=True, no_cache=True)
        patch_vary_headers(response, ("Accept", "Accept-Language", "Authorization", "Cookie"))
        return get_conditional_response(request, etag=etag, response=response)


def check_query_parameters(request, formats: list[str], allowed_empty=frozenset()) -> None:
    """The rules every API read applies to its query string: no parameter given with an empty
    value (`?year=` is an error, not an absent year) and a known `format`."""
    nul = sorted({name for name, values in request.query_params.lists()
                  if any("\x00" in text for text in (name, *values))})
    if nul:
        raise exceptions.ValidationError({name: [nul_message()] for name in nul})
    empty = sorted({name for name, values in request.query_params.lists()
                    if "" in values and name not in allowed_empty})
    if empty:
        raise exceptions.ValidationError({name: [
            _("Give a value for %(name)s, or leave the parameter out.") % {"name": name}]
            for name in empty})
    fmt = request.query_params.get("format")
    if fmt is not None and fmt not in formats:
        raise exceptions.ValidationError({"format": [
            _("Unknown format %(format)s: use one of %(formats)s.")
            % {"format": fmt, "formats": ", ".join(formats)}]})


FORMAT_PARAMETER = OpenApiParameter(
    "format", OpenApiTypes.STR, enum=["json", "csv"],
    description="Response format; `csv` gives the same rows as JSON (for a paginated answer, "
                "the page's rows, with `X-Total-Count` and a `Link` header to the next page). "
                "`Accept: text/csv` does the same.",
)


COMMON_ERRORS = {
    "400": "Malformed parameter, filter or body (for example `format` or `page_size`).",
    "404": "Unknown or out-of-scope object, or a page number past the last page.",
    "401": "No credentials, or an invalid, expired or revoked token.",
    "429": "Rate limit reached: retry after the `Retry-After` header's seconds.",
    "503": "The database is unavailable for a moment: retry after `Retry-After` seconds.",
}
# Answered by the HTTP server (gunicorn, `limit_request_line`) before the platform sees the
# request, so not in the JSON error shape.
URI_TOO_LONG = ("The address with its query string is longer than the server accepts "
                "(8,190 bytes); answered by the HTTP server, not in the JSON shape.")
BODY_ERRORS = {
    "413": "The body is larger than the platform accepts (2.5 MB).",
    "415": "The body is not JSON (`Content-Type: application/json`).",
}


def add_common_errors(result, generator, request, public):
    """Spectacular post-processing: every operation may answer 400 (a malformed `format` or
    `page_size` is refused everywhere), 401 (a bad token is refused
    even on public endpoints), 429 (per-token rate limit) and 503 (database down), and one
    with a body 413 and 415, all with the error shape."""
    schema_ref = {"$ref": "#/components/schemas/ApiError"}
    has_error_component = "ApiError" in result.get("components", {}).get("schemas", {})
    content = {"application/json": {"schema": schema_ref if has_error_component else {
        "type": "object", "properties": {"detail": {"type": "string"}}}}}
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            errors = {**COMMON_ERRORS, **(BODY_ERRORS if "requestBody" in operation else {})}
            for code, text in errors.items():
                responses.setdefault(code, {"description": text, "content": content})
            responses.setdefault("414", {"description": URI_TOO_LONG})
    return result


def declare_parameter_rules(result, generator, request, public):
    """Spectacular post-processing: a query parameter given with an empty value answers 400
    (see `check_query_parameters`), so every text parameter declares `minLength: 1`."""
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            for parameter in operation.get("parameters", []):
                schema = parameter.get("schema", {})
                if parameter.get("in") == "query" and schema.get("type") == "string":
                    schema.setdefault("minLength", 1)
    return result
