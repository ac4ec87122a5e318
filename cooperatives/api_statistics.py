"""Statistics of cooperatives by the ILO guidelines in the REST API (cooperatives.ilo;
definitions in docs/ilo-statistics.md)."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers
from rest_framework.renderers import JSONRenderer

from core.api import FORMAT_PARAMETER, ApiViewMixin, error_responses
from core.renderers import CSVRenderer
from core.replica import ReplicaReadsMixin

from .api import CSV_RESPONSE
from .ilo import COLUMNS, LEVELS, ilo_statistics_for
from .models import Organisation
from .permissions import HasRole


class IloParamsSerializer(serializers.Serializer):
    level = serializers.ChoiceField(choices=LEVELS, default="commune")


class IloRowSerializer(serializers.Serializer):
    """One row of the ILO table (documentation only: the rows are plain dicts)."""

    pcode = serializers.CharField(help_text=_("P-code of the unit (CM for the country)."))
    name = serializers.CharField(help_text=_("Name of the unit."))
    cooperatives = serializers.IntegerField(help_text=_(
        "Active primary cooperatives (SCOOPS and COOP-CA)."))
    producer = serializers.IntegerField(help_text=_("Producer cooperatives."))
    worker = serializers.IntegerField(help_text=_("Worker cooperatives."))
    consumer_user = serializers.IntegerField(help_text=_("Consumer or user cooperatives."))
    multi_stakeholder = serializers.IntegerField(help_text=_("Multi-stakeholder cooperatives."))
    interest_not_recorded = serializers.IntegerField(help_text=_(
        "Cooperatives whose type by member interest is not recorded."))
    members = serializers.IntegerField(help_text=_("Members of these cooperatives."))
    women = serializers.IntegerField(help_text=_("Women members."))
    men = serializers.IntegerField(help_text=_("Men members (members less women)."))
    under_35 = serializers.IntegerField(help_text=_("Members under 35."))
    aged_35_and_over = serializers.IntegerField(help_text=_("Members aged 35 and over."))
    employees = serializers.IntegerField(help_text=_("Employees."))
    worker_members = serializers.IntegerField(help_text=_("Worker-members."))
    producer_members = serializers.IntegerField(help_text=_("Producer-members."))


@extend_schema(
    summary="Statistics of cooperatives by the ILO guidelines (20th ICLS, 2018)",
    description="Per commune, department, region or the country: active primary "
                "cooperatives (SCOOPS, COOP-CA) by type by member interest, their members by "
                "sex and age group, and the work in them (employees, worker-members, "
                "producer-members), over the organisations the caller may aggregate (as "
                "the aggregates: analysts and admins the country, the others their "
                "communes; the country row then sums those communes). Units with no "
                "cooperative give no row. Definitions: docs/ilo-statistics.md.",
    parameters=[OpenApiParameter("level", OpenApiTypes.STR, enum=list(LEVELS),
                                 default="commune", description="Unit of each row."),
                FORMAT_PARAMETER],
    responses={(200, "application/json"): IloRowSerializer(many=True),
               (200, "text/csv"): CSV_RESPONSE,
               **error_responses(400, 401, 403, 429)},
)
class IloStatisticsView(ReplicaReadsMixin, ApiViewMixin, generics.ListAPIView):
    queryset = Organisation.objects.none()  # the schema's model; requests use get_queryset
    permission_classes = [HasRole]
    renderer_classes = [JSONRenderer, CSVRenderer]
    serializer_class = IloRowSerializer

    def csv_columns(self, request):
        return COLUMNS

    def list(self, request, *args, **kwargs):
        params = IloParamsSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        rows = ilo_statistics_for(request.user, params.validated_data["level"])
        return self.get_paginated_response(self.paginate_queryset(rows))
