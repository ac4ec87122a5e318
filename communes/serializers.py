"""Territory in the API: communes with their department and region (P-codes and names)."""

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from .models import Commune

COMMUNE_FIELDS = ("pcode", "name", "name_fr", "name_en", "department", "department_name",
                  "region", "region_name", "latitude", "longitude")


class CommuneSerializer(serializers.ModelSerializer):
    name = serializers.CharField(read_only=True, help_text=_(
        "Name in the requested language (Accept-Language), French when there is no English "
        "name."))
    department = serializers.CharField(source="department.pcode", read_only=True,
                                       help_text=_("P-code of the department."))
    department_name = serializers.CharField(source="department.name", read_only=True)
    region = serializers.CharField(source="department.region.pcode", read_only=True,
                                   help_text=_("P-code of the region."))
    region_name = serializers.CharField(source="department.region.name", read_only=True)

    class Meta:
        model = Commune
        fields = COMMUNE_FIELDS
        read_only_fields = COMMUNE_FIELDS


class CommuneDetailSerializer(CommuneSerializer):
    """One commune, with its boundary (GeoJSON geometry, WGS84) when known."""

    boundary = serializers.JSONField(read_only=True, allow_null=True, help_text=_(
        "GeoJSON geometry of the commune (WGS84), or null."))

    class Meta(CommuneSerializer.Meta):
        fields = (*COMMUNE_FIELDS, "boundary")
        read_only_fields = fields
