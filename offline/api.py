"""The offline API: POST /api/v1/sync/ applies the outbox, GET /api/v1/offline/snapshot/
answers the user's offline data (docs/offline-sync.md). Session clients send the CSRF token
(DRF's SessionAuthentication enforces it), token clients their token."""

import uuid

from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import APIView

from cooperatives.access import log_organisations
from cooperatives.permissions import HasRole, scope_of
from core.api import ApiViewMixin, error_responses

from .snapshot import may_work_offline, snapshot
from .sync import sync_apply

MAX_CHANGES = 50


def _checked(body) -> list[dict]:
    """The items of a well-formed body, or 400."""
    changes = body.get("changes") if isinstance(body, dict) else None
    if not isinstance(changes, list) or not 1 <= len(changes) <= MAX_CHANGES:
        raise exceptions.ValidationError({"changes": [
            _("Give a list of 1 to %(max)s changes.") % {"max": MAX_CHANGES}]})
    for index, item in enumerate(changes):
        if not (isinstance(item, dict) and isinstance(item.get("kind"), str)
                and isinstance(item.get("values"), dict)):
            raise exceptions.ValidationError({"changes": [
                _("Change %(index)s: give its id, kind and values.") % {"index": index}]})
        try:
            uuid.UUID(str(item.get("id")))
        except ValueError:
            raise exceptions.ValidationError({"changes": [
                _("Change %(index)s: its id is not a UUID.") % {"index": index}]}) from None
    return changes


class SyncView(ApiViewMixin, APIView):
    """Apply offline changes, each once, in order; one result per change."""

    permission_classes = [HasRole]
    http_method_names = ["post", "options"]

    @extend_schema(
        summary="Apply offline changes (the outbox)",
        request=OpenApiTypes.OBJECT,
        responses={(200, "application/json"): OpenApiResponse(
            OpenApiTypes.OBJECT, "One result per change, in order (docs/offline-sync.md)."),
            **error_responses(400, 401, 403, 429)})
    def post(self, request):
        changes = _checked(request.data)
        return Response({"results": [sync_apply(user=request.user, item=item)
                                     for item in changes]})


class SnapshotView(ApiViewMixin, APIView):
    """What a CTD agent or a representative keeps offline."""

    permission_classes = [HasRole]
    http_method_names = ["get", "head", "options"]

    @extend_schema(
        summary="The user's offline data (agents: their communes; representatives: their "
                "organisations)",
        responses={(200, "application/json"): OpenApiResponse(
            OpenApiTypes.OBJECT, "The snapshot (docs/offline-sync.md)."),
            **error_responses(400, 401, 403, 404, 429)})
    def get(self, request):
        scope = scope_of(request.user)
        if not may_work_offline(scope):
            raise Http404
        data, organisations = snapshot(request.user, scope)
        log_organisations(request, organisations, channel="api")
        return Response(data)
