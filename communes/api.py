"""Communes in the REST API: public reference data (OCHA P-codes), read-only.

The list and detail need no login: the territory is public and holds no personal data (the
public overview page shows the same names and points). Invalid credentials still answer 401.
"""

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import permissions, viewsets
from rest_framework.renderers import JSONRenderer

from core.api import FORMAT_PARAMETER, ApiViewMixin, error_responses
from core.renderers import CSVRenderer

from .models import Commune, Department, Region
from .serializers import COMMUNE_FIELDS, CommuneDetailSerializer, CommuneSerializer


class CommuneFilterSet(django_filters.FilterSet):
    region = extend_schema_field(OpenApiTypes.STR)(django_filters.ModelChoiceFilter(
        queryset=Region.objects.all(), field_name="department__region", to_field_name="pcode",
        label=_("Region (P-code)"),
        error_messages={"invalid_choice": _("Unknown region P-code: %(value)s.")}))
    department = extend_schema_field(OpenApiTypes.STR)(django_filters.ModelChoiceFilter(
        queryset=Department.objects.all(), field_name="department", to_field_name="pcode",
        label=_("Department (P-code)"),
        error_messages={"invalid_choice": _("Unknown department P-code: %(value)s.")}))
    q = django_filters.CharFilter(method="filter_text", max_length=100,
                                  label=_("Text in the French or English name"))

    class Meta:
        model = Commune
        fields = ()

    def filter_text(self, queryset, name: str, value: str):
        text = value.strip()
        if not text:
            return queryset
        return queryset.filter(Q(name_fr__icontains=text) | Q(name_en__icontains=text))


CSV_RESPONSE = OpenApiResponse(OpenApiTypes.STR, description="The same rows as CSV.")


@extend_schema(
    summary="Communes",
    description="Communes ordered by P-code, with their department and region. Public.",
    parameters=[FORMAT_PARAMETER],
    responses={(200, "application/json"): CommuneSerializer(many=True),
               (200, "text/csv"): CSV_RESPONSE, **error_responses(400, 401, 404, 429)},
)
class CommuneViewSet(ApiViewMixin, viewsets.ReadOnlyModelViewSet):
    queryset = Commune.objects.select_related("department__region").order_by("pcode")
    serializer_class = CommuneSerializer
    filterset_class = CommuneFilterSet
    permission_classes = [permissions.AllowAny]
    renderer_classes = [JSONRenderer, CSVRenderer]
    lookup_field = "pcode"
    lookup_value_regex = "[^/]+"

    def get_serializer_class(self):
        return CommuneDetailSerializer if self.action == "retrieve" else CommuneSerializer

    def csv_columns(self, request):
        if self.action == "retrieve":
            return (*COMMUNE_FIELDS, "boundary")
        return COMMUNE_FIELDS

    @extend_schema(
        summary="One commune",
        description="The commune with this P-code (404 when unknown), with its boundary.",
        parameters=[FORMAT_PARAMETER],
        responses={(200, "application/json"): CommuneDetailSerializer,
                   (200, "text/csv"): CSV_RESPONSE, **error_responses(400, 401, 404, 429)},
    )
    def retrieve(self, request, *args, **kwargs):
        return super().retrieve(request, *args, **kwargs)
