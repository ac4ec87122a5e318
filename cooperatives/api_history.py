"""The audit history of registry objects in the REST API: the records the pages show.

`history_entries` (views_common.py) is the one presentation of django-simple-history records,
shared with the pages. Each object is fetched with its fetch-and-check helper (out of scope:
404), personal fields the reader may not see are left out of the changes, and the author's
name is null for readers who see no personal data (analysts).
"""

from drf_spectacular.utils import extend_schema
from rest_framework import generics
from rest_framework.response import Response

from core.api import ApiViewMixin, error_responses

from .permissions import HasRole, get_change_request_for_user, get_link_for_user, scope_of
from .serializers import HistoryEntrySerializer
from .views_common import HistoryEntry, history_entries


def history_data(entries: list[HistoryEntry], *, show_people: bool) -> list[dict]:
    """The entries as the API's rows, newest first."""
    return HistoryEntrySerializer([{
        "when": entry.date,
        "user": entry.user.get_username() if show_people and entry.user else None,
        "action": entry.action, "kind": str(entry.kind),
        "fields": [{"field": str(name), "old": old, "new": new}
                   for name, old, new in entry.changes],
    } for entry in entries], many=True).data


def history_response(user, history_qs, *, exclude: tuple[str, ...] = ()) -> Response:
    entries = history_entries(history_qs, exclude=exclude, raw=True)
    return Response(history_data(entries, show_people=scope_of(user).sees_personal_data))


HISTORY_SCHEMA = {
    "responses": {200: HistoryEntrySerializer(many=True),
                  **error_responses(400, 401, 403, 404, 429)},
}


class HistoryView(ApiViewMixin, generics.GenericAPIView):
    """The history of the object `fetch(user, pk)` returns (its fetch-and-check helper)."""

    permission_classes = [HasRole]
    serializer_class = HistoryEntrySerializer
    pagination_class = None
    filter_backends = []
    fetch = None

    def get(self, request, pk: str):
        obj = self.fetch(request.user, pk)
        return history_response(request.user, obj.history.all())


@extend_schema(summary="Who changed what in a cooperation link, newest first",
               description="For those who speak for a side of the link (404 otherwise).",
               **HISTORY_SCHEMA)
class LinkHistoryView(HistoryView):
    fetch = staticmethod(get_link_for_user)


@extend_schema(summary="Who changed what in a change request, newest first",
               description="For those who see the organisation's profile (404 otherwise).",
               **HISTORY_SCHEMA)
class ChangeRequestHistoryView(HistoryView):
    fetch = staticmethod(get_change_request_for_user)
