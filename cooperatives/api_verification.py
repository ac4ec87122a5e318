"""Verification visits of an organisation in the REST API
(/api/v1/organisations/{id}/verifications/).

Read by those who list the organisation (404 otherwise): the day, the outcome and the new
locality for everyone, who recorded it, the phone's point and the note only for those who
see the organisation in full (cooperatives.api.sees_contacts). Recorded by the CTD agents of
its commune and national admins through cooperatives.verification; another reader of the
organisation gets 403."""

from django.http import Http404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import exceptions, generics, serializers, status
from rest_framework.response import Response

from core.api import ApiViewMixin, error_responses

from .api import sees_contacts
from .models import Organisation, VerificationOutcome, VerificationVisit
from .permissions import (
    HasRole,
    can_write_commune,
    organisations_listed_for,
    scope_of,
)
from .verification import verification_record

PUBLIC = ("id", "visited_on", "outcome", "new_locality", "recorded_at")
PERSONAL = ("visited_by", "latitude", "longitude", "note")


class VerificationSerializer(serializers.ModelSerializer):
    """A visit; `visited_by`, `latitude`, `longitude` and `note` are null for readers who
    see no personal data."""

    outcome = serializers.ChoiceField(choices=VerificationOutcome.choices)
    visited_by = serializers.CharField(source="visited_by.username", read_only=True,
                                       allow_null=True,
                                       help_text=_("The user name of who recorded it."))
    # Null for readers who see no personal data (an empty note for the others).
    note = serializers.CharField(required=False, allow_blank=True, allow_null=True)

    class Meta:
        model = VerificationVisit
        fields = PUBLIC + PERSONAL
        read_only_fields = ("id", "recorded_at")
        extra_kwargs = {"new_locality": {"required": False},
                        "latitude": {"required": False}, "longitude": {"required": False}}


def _organisation(user, pk: str) -> Organisation:
    """The organisation if the user lists it, else 404."""
    if not (str(pk).isascii() and str(pk).isdigit() and len(str(pk)) < 18):
        raise Http404
    organisation = (organisations_listed_for(user).select_related("commune")
                    .defer("commune__boundary").filter(pk=pk).first())
    if organisation is None:
        raise Http404
    return organisation


@extend_schema_view(
    get=extend_schema(
        summary="An organisation's verification visits, latest first",
        description="For those who list the organisation (404 otherwise). Who recorded a "
                    "visit, its point and its note only for admins, the CTD agents of the "
                    "organisation's commune and its representatives.",
        responses={200: VerificationSerializer(many=True),
                   **error_responses(400, 401, 403, 404, 429)}),
    post=extend_schema(
        summary="Record a verification visit (CTD agents of its commune, admins)",
        description="A visit on a day not in the future; `new_locality` is required when "
                    "the outcome is `moved`; a point needs both coordinates, within "
                    "Cameroon. The organisation's `last_verified_on` and "
                    "`last_verification_outcome` follow its latest visit.",
        request=VerificationSerializer,
        responses={201: VerificationSerializer, **error_responses(400, 401, 403, 404, 429)}),
)
class VerificationListView(ApiViewMixin, generics.ListCreateAPIView):
    queryset = VerificationVisit.objects.none()  # the schema's model
    serializer_class = VerificationSerializer
    permission_classes = [HasRole]
    filter_backends = []

    def get_queryset(self):
        self.organisation = _organisation(self.request.user, self.kwargs["pk"])
        return (VerificationVisit.objects.filter(organisation=self.organisation)
                .select_related("visited_by").order_by("-visited_on", "-id"))

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(self._represent(page))

    def create(self, request, *args, **kwargs):
        organisation = _organisation(request.user, self.kwargs["pk"])
        if not can_write_commune(request.user, organisation.commune_id):
            raise exceptions.PermissionDenied(
                _("Only the CTD agents of the organisation's commune and national admins "
                  "record verification visits."))
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        visit = verification_record(
            user=request.user, organisation=organisation, visited_on=data["visited_on"],
            outcome=data["outcome"], new_locality=data.get("new_locality", ""),
            latitude=data.get("latitude"), longitude=data.get("longitude"),
            note=data.get("note") or "")
        self.organisation = organisation
        return Response(self._represent([visit])[0], status=status.HTTP_201_CREATED)

    def _represent(self, visits) -> "list[dict]":
        full = sees_contacts(scope_of(self.request.user), self.organisation)
        rows = VerificationSerializer(list(visits), many=True).data
        if not full:
            for row in rows:
                row.update(dict.fromkeys(PERSONAL))
        return rows
