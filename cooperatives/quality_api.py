"""Registry health scorecards in the REST API (/api/v1/scorecards/).

Every commune's scorecard for admins and ministry analysts; CTD agents and representatives
read the scorecards of the communes whose reports they read. A commune out of the caller's
scope answers 404 like an unknown P-code; an account with no role answers 403.
"""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers
from rest_framework.response import Response

from communes.models import Commune, Region
from core.api import ApiViewMixin, error_responses

from .permissions import (
    HasRole,
    get_commune_for_user,
    scope_of,
)
from .scorecards import ORDERINGS, WEIGHTS, scorecards, sort_scorecards


class PointsSerializer(serializers.Serializer):
    completeness = serializers.FloatField(help_text=_("Out of %(n)s.") % {
        "n": WEIGHTS["completeness"]})
    freshness = serializers.FloatField(help_text=_("Out of %(n)s.") % {"n": WEIGHTS["freshness"]})
    map_points = serializers.FloatField(help_text=_("Out of %(n)s.") % {
        "n": WEIGHTS["map_points"]})
    verification = serializers.FloatField(help_text=_("Out of %(n)s.") % {
        "n": WEIGHTS["verification"]})
    requests = serializers.FloatField(help_text=_("Out of %(n)s.") % {"n": WEIGHTS["requests"]})
    duplicates = serializers.FloatField(help_text=_("Out of %(n)s.") % {
        "n": WEIGHTS["duplicates"]})
    diagnostic = serializers.FloatField(help_text=_("Out of %(n)s.") % {
        "n": WEIGHTS["diagnostic"]})


class ScorecardSerializer(serializers.Serializer):
    """One commune's registry health (documentation of the plain dicts the views return)."""

    pcode = serializers.CharField(help_text=_("Commune P-code."))
    name = serializers.CharField()
    department = serializers.CharField(help_text=_("Department P-code."))
    region = serializers.CharField(help_text=_("Region P-code."))
    region_name = serializers.CharField()
    organisations = serializers.IntegerField(help_text=_("Organisations not dissolved."))
    required_fields = serializers.IntegerField(help_text=_(
        "Required fields over those organisations: locality, members, a contact, and the RSC "
        "number and date of SCOOPS, COOP-CA, unions and federations."))
    filled_fields = serializers.IntegerField()
    completeness = serializers.FloatField(allow_null=True, help_text=_(
        "filled_fields ÷ required_fields (0 to 1), null without organisations."))
    fresh = serializers.IntegerField(help_text=_("Organisations updated in the last 365 days."))
    freshness = serializers.FloatField(allow_null=True, help_text=_("fresh ÷ organisations."))
    with_point = serializers.IntegerField(help_text=_("Organisations with a map point."))
    map_points = serializers.FloatField(allow_null=True, help_text=_(
        "with_point ÷ organisations."))
    verified = serializers.IntegerField(help_text=_(
        "Organisations whose latest verification visit, in the last 24 months, found them."))
    verification = serializers.FloatField(allow_null=True, help_text=_(
        "verified ÷ organisations."))
    pending_requests = serializers.IntegerField(help_text=_("Change requests to review."))
    organisations_with_pending = serializers.IntegerField()
    open_duplicates = serializers.IntegerField(help_text=_("Open possible-duplicate flags."))
    organisations_in_duplicates = serializers.IntegerField()
    last_diagnostic_year = serializers.IntegerField(allow_null=True, help_text=_(
        "Year of the latest validated territorial diagnostic."))
    points = PointsSerializer()
    score = serializers.FloatField(help_text=_("0 to 100: the sum of the points."))


class ScorecardParamsSerializer(serializers.Serializer):
    ordering = serializers.ChoiceField(choices=ORDERINGS, default="-score")
    region = serializers.CharField(required=False)

    def validate_region(self, value: str) -> str:
        if not Region.objects.filter(pcode=value).exists():
            raise serializers.ValidationError(_("Unknown region P-code: %(value)s.")
                                              % {"value": value})
        return value


@extend_schema(
    summary="Registry health scorecards",
    description="One scorecard per commune the caller reads (admins and analysts: every "
                "commune), sorted by `ordering` (default: best score first; ties by P-code), "
                "paginated (a page past the last answers 404). Computed at request time with "
                "a handful of grouped queries.",
    parameters=[
        OpenApiParameter("ordering", OpenApiTypes.STR, enum=list(ORDERINGS), default="-score",
                         description="Sort key; `-` for descending. Null ratios come last."),
        OpenApiParameter("region", OpenApiTypes.STR, description="Region P-code, e.g. CM004."),
    ],
    responses={(200, "application/json"): ScorecardSerializer(many=True),
               **error_responses(400, 401, 403, 404, 429)},
)
class ScorecardListView(ApiViewMixin, generics.GenericAPIView):
    queryset = Commune.objects.none()  # the schema's model; scorecards are computed
    permission_classes = [HasRole]
    serializer_class = ScorecardSerializer
    filter_backends = []

    def get(self, request, *args, **kwargs):
        params = ScorecardParamsSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        communes = scope_of(request.user).in_readable_communes(Commune.objects.all(), "pk")
        if params.validated_data.get("region"):
            communes = communes.filter(department__region__pcode=params.validated_data["region"])
        cards = scorecards(communes.values_list("pk", flat=True))
        cards = sort_scorecards(cards, params.validated_data["ordering"])
        page = self.paginate_queryset([card.as_dict() for card in cards])
        return self.get_paginated_response(page)


@extend_schema(
    summary="One commune's registry health scorecard",
    description="Communes out of the caller's scope answer 404 like unknown P-codes.",
    parameters=[OpenApiParameter("pcode", OpenApiTypes.STR, OpenApiParameter.PATH,
                                 description="Commune P-code, e.g. CM004005001.")],
    responses={(200, "application/json"): ScorecardSerializer,
               **error_responses(401, 403, 404, 429)},
)
class ScorecardDetailView(ApiViewMixin, generics.GenericAPIView):
    queryset = Commune.objects.none()  # the schema's model; scorecards are computed
    permission_classes = [HasRole]
    serializer_class = ScorecardSerializer
    filter_backends = []

    def get(self, request, pcode, *args, **kwargs):
        commune = get_commune_for_user(request.user, pcode, need="reports")
        return Response(scorecards([commune.pk])[0].as_dict())
