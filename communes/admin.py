import json

from django.contrib import admin
from django.db.models import BooleanField, Count, ExpressionWrapper, Q
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from .models import Commune, Department, Region


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ["pcode", "name_fr", "name_en", "iso_code", "department_count"]
    search_fields = ["pcode", "name_fr", "name_en", "iso_code"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(_departments=Count("departments"))

    @admin.display(description=_("departments"), ordering="_departments")
    def department_count(self, obj):
        return obj._departments


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ["pcode", "name_fr", "name_en", "region", "commune_count"]
    list_filter = ["region"]
    list_select_related = ["region"]
    search_fields = ["pcode", "name_fr", "name_en"]
    autocomplete_fields = ["region"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(_communes=Count("communes"))

    @admin.display(description=_("communes"), ordering="_communes")
    def commune_count(self, obj):
        return obj._communes


@admin.register(Commune)
class CommuneAdmin(admin.ModelAdmin):
    list_display = ["pcode", "name_fr", "name_en", "department", "region", "latitude",
                    "longitude", "has_boundary"]
    list_filter = ["department__region", "department"]
    list_select_related = ["department__region"]
    search_fields = ["pcode", "name_fr", "name_en"]
    autocomplete_fields = ["department"]
    fields = ["pcode", "name_fr", "name_en", "department", "latitude", "longitude",
              "boundary_summary", "boundary_geojson"]
    readonly_fields = ["boundary_summary", "boundary_geojson"]

    def get_queryset(self, request):
        # The polygons weigh ~3 kB per commune: never fetch them for the list.
        return super().get_queryset(request).defer("boundary").annotate(
            _has_boundary=ExpressionWrapper(Q(boundary__isnull=False),
                                            output_field=BooleanField()))

    @admin.display(description=_("region"), ordering="department__region__pcode")
    def region(self, obj):
        return obj.department.region

    @admin.display(description=_("boundary"), boolean=True, ordering="_has_boundary")
    def has_boundary(self, obj):
        return obj._has_boundary

    @admin.display(description=_("boundary"))
    def boundary_summary(self, obj):
        geometry = obj.boundary or {}
        polygons = {"Polygon": [geometry.get("coordinates")],
                    "MultiPolygon": geometry.get("coordinates")}.get(geometry.get("type"))
        if not polygons:
            return "-"
        vertices = sum(len(ring) for polygon in polygons for ring in polygon)
        return _("%(type)s, %(polygons)d polygon(s), %(vertices)d vertices") % {
            "type": geometry["type"], "polygons": len(polygons), "vertices": vertices}

    @admin.display(description=_("boundary (GeoJSON)"))
    def boundary_geojson(self, obj):
        if not obj.boundary:
            return "-"
        return format_html(
            '<pre style="max-height:20em;overflow:auto;white-space:pre-wrap">{}</pre>',
            json.dumps(obj.boundary, separators=(",", ":")))
