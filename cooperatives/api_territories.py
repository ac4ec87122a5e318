"""Project territories in the REST API (read-only): the territories the caller reads, with
their members over time (docs/project-territories.md). Their reports are served by
/api/v1/reports/{kind}/?territory=CODE and their aggregates by /aggregates/?level=territory."""

from django.db.models import Prefetch
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers, viewsets

from core.api import ApiViewMixin, error_responses

from .models import ProjectTerritory, TerritoryMembership
from .permissions import HasRole, territories_visible_to


class MembershipSerializer(serializers.ModelSerializer):
    commune = serializers.CharField(source="commune.pcode")
    confirmed = serializers.BooleanField()

    class Meta:
        model = TerritoryMembership
        fields = ("commune", "localities", "start", "end", "confirmed")


class TerritorySerializer(serializers.ModelSerializer):
    filiere = serializers.CharField(source="filiere.code", allow_null=True, default=None)
    memberships = MembershipSerializer(many=True, help_text=(
        "Every membership, past ones included: a commune is a member from `start` until "
        "`end` (excluded; null: still a member)."))

    class Meta:
        model = ProjectTerritory
        fields = ("code", "name", "purpose", "filiere", "description", "status", "memberships")


@extend_schema_view(
    list=extend_schema(summary="Project territories",
                       description="The project territories the caller reads (admins and "
                                   "analysts: every one; others: those with one of the "
                                   "communes whose reports they read as a member), by name.",
                       responses={200: TerritorySerializer(many=True),
                                  **error_responses(400, 401, 403, 429)}),
    retrieve=extend_schema(summary="One project territory",
                           responses={200: TerritorySerializer,
                                      **error_responses(401, 403, 404, 429)}),
)
class TerritoryViewSet(ApiViewMixin, viewsets.ReadOnlyModelViewSet):
    queryset = ProjectTerritory.objects.none()  # the schema's model; requests use get_queryset
    serializer_class = TerritorySerializer
    permission_classes = [HasRole]
    lookup_field = "code"
    lookup_value_regex = "[^/]+"

    def get_queryset(self):
        memberships = TerritoryMembership.objects.select_related("commune").only(
            "territory_id", "commune__pcode", "localities", "start", "end", "confirmed_at"
        ).order_by("commune__pcode", "start")
        return (territories_visible_to(self.request.user).select_related("filiere")
                .prefetch_related(Prefetch("memberships", queryset=memberships)))
