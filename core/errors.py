"""Errors Django answers itself, before or outside DRF, in the API's JSON error shape.

Under /api/ every error is `{"detail": ...}` (see core/api.py): a request Django refuses
before any view runs (a body over DATA_UPLOAD_MAX_MEMORY_SIZE, more than
DATA_UPLOAD_MAX_NUMBER_FIELDS parameters), an unknown path, an uncaught exception. Elsewhere
the pages keep Django's own error views (and templates).
"""

from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent
from django.http import JsonResponse
from django.utils.translation import gettext as _
from django.views import defaults

from .parsers import too_large_message

API_PREFIX = "/api/"


def is_api_request(request) -> bool:
    return request.path.startswith(API_PREFIX)


def api_error_response(detail: str, status: int, **errors) -> JsonResponse:
    body = {"detail": detail, **({"errors": errors} if errors else {})}
    return JsonResponse(body, status=status, json_dumps_params={"ensure_ascii": False})


def bad_request(request, exception):
    if not is_api_request(request):
        return defaults.bad_request(request, exception)
    if isinstance(exception, RequestDataTooBig):
        return api_error_response(too_large_message(), 413)
    return api_error_response(_("Malformed request: %(reason)s")
                              % {"reason": _reason(exception)}, 400)


def _reason(exception) -> str:
    if isinstance(exception, TooManyFieldsSent):
        return _("too many parameters.")
    return _("the request could not be read.")


def permission_denied(request, exception):
    if not is_api_request(request):
        return defaults.permission_denied(request, exception)
    return api_error_response(_("You do not have permission to perform this action."), 403)


def page_not_found(request, exception):
    if not is_api_request(request):
        return defaults.page_not_found(request, exception)
    return api_error_response(_("Unknown address: %(path)s") % {"path": request.path}, 404)


def server_error(request):
    if not is_api_request(request):
        return defaults.server_error(request)
    return api_error_response(_("Internal error: it has been logged. Try again later."), 500)
