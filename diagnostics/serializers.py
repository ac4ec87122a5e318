"""Serializers shape API input and output only; writes go through diagnostics.services."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import exceptions, serializers

from communes.models import Commune
from cooperatives.permissions import can_write_commune, scope_of
from core.years import YEAR_MAX, YEAR_MIN
from sectors.models import Filiere, Ministry, Sector

from .forms import AMOUNT_MAX, RANK_MAX
from .models import (
    DiagnosticActor,
    DiagnosticEntry,
    Intervention,
    Level,
    ProjectIdea,
    TerritorialDiagnostic,
    TerritorialResource,
)
from .permissions import PERSON_ACTOR_KINDS

# ---- output


class EntrySerializer(serializers.ModelSerializer):
    sector = serializers.CharField(source="sector.code", read_only=True)
    sector_name = serializers.CharField(source="sector.name", read_only=True)
    ministry = serializers.CharField(source="sector.ministry.acronym", read_only=True)

    class Meta:
        model = DiagnosticEntry
        fields = ["id", "sector", "sector_name", "ministry", "level", "locality", "problem",
                  "potentials", "need", "priority_rank"]
        read_only_fields = fields


class ProjectIdeaSerializer(serializers.ModelSerializer):
    sector = serializers.CharField(source="sector.code", read_only=True, allow_null=True,
                                   default=None)

    class Meta:
        model = ProjectIdea
        fields = ["id", "sector", "title", "locality", "cost_estimate", "rank", "year",
                  "status"]
        read_only_fields = fields


class ActorSerializer(serializers.ModelSerializer):
    """An actor's name is null for readers without access to personal data (analysts) when
    the actor may be a person: a traditional authority or an 'other' actor."""

    name = serializers.SerializerMethodField()
    sector = serializers.CharField(source="sector.code", read_only=True, allow_null=True,
                                   default=None)

    class Meta:
        model = DiagnosticActor
        fields = ["id", "name", "kind", "sector", "role"]
        read_only_fields = fields

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_name(self, actor: DiagnosticActor) -> str | None:
        if actor.kind in PERSON_ACTOR_KINDS and not self.context.get("show_people", False):
            return None
        return actor.name


class ResourceSerializer(serializers.ModelSerializer):
    class Meta:
        model = TerritorialResource
        fields = ["id", "kind", "description"]
        read_only_fields = fields


class DiagnosticSerializer(serializers.ModelSerializer):
    commune = serializers.CharField(source="commune.pcode", read_only=True)
    commune_name = serializers.CharField(source="commune.name", read_only=True)
    entries = EntrySerializer(many=True, read_only=True)
    project_ideas = ProjectIdeaSerializer(many=True, read_only=True)
    actors = ActorSerializer(many=True, read_only=True)
    resources = ResourceSerializer(many=True, read_only=True)

    class Meta:
        model = TerritorialDiagnostic
        fields = ["id", "commune", "commune_name", "year", "source", "status", "validated_at",
                  "created_at", "entries", "project_ideas", "actors", "resources"]
        read_only_fields = fields


class BeneficiarySerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)


class InterventionSerializer(serializers.ModelSerializer):
    ministry = serializers.CharField(source="ministry.acronym", read_only=True)
    commune = serializers.CharField(source="commune.pcode", read_only=True)
    filiere = serializers.CharField(source="filiere.code", read_only=True, allow_null=True,
                                    default=None)
    sector = serializers.CharField(source="sector.code", read_only=True, allow_null=True,
                                   default=None)
    beneficiaries = BeneficiarySerializer(many=True, read_only=True)

    class Meta:
        model = Intervention
        fields = ["id", "ministry", "commune", "programme", "filiere", "sector", "start_date",
                  "end_date", "budget", "beneficiaries", "created_at"]
        read_only_fields = fields


class FieldChangeSerializer(serializers.Serializer):
    field = serializers.CharField()
    old = serializers.CharField(allow_null=True)
    new = serializers.CharField(allow_null=True)


class ChangeSerializer(serializers.Serializer):
    """One history row. `user` is null when unknown or hidden from the reader (analysts)."""

    when = serializers.DateTimeField()
    user = serializers.CharField(allow_null=True)
    action = serializers.ChoiceField(choices=["created", "changed", "deleted"])
    kind = serializers.CharField()
    label = serializers.CharField()
    fields = FieldChangeSerializer(many=True)


# ---- input


def _slug(model, slug_field: str, **kwargs):
    return serializers.SlugRelatedField(slug_field=slug_field, queryset=model.objects.all(),
                                        **kwargs)


class DiagnosticUpdateSerializer(serializers.Serializer):
    year = serializers.IntegerField(min_value=YEAR_MIN, max_value=YEAR_MAX)
    source = serializers.ChoiceField(choices=TerritorialDiagnostic.Source.choices)


def _refuse(allowed: bool) -> None:
    """A commune or ministry the caller may not write for is refused (403) as soon as its
    field is read, before the other fields' errors: P-codes and acronyms are public, so the
    refusal tells nothing, and a caller without the right learns nothing from validation."""
    if not allowed:
        raise exceptions.PermissionDenied


class DiagnosticCreateSerializer(DiagnosticUpdateSerializer):
    commune = _slug(Commune, "pcode", help_text="The commune's P-code.")
    source = serializers.ChoiceField(choices=TerritorialDiagnostic.Source.choices,
                                     default=TerritorialDiagnostic.Source.PCD)

    def validate_commune(self, commune: Commune) -> Commune:
        _refuse(can_write_commune(self.context["request"].user, commune.pk))
        return commune


class DiagnosticCopySerializer(serializers.Serializer):
    year = serializers.IntegerField(min_value=YEAR_MIN, max_value=YEAR_MAX)


class EntryWriteSerializer(serializers.Serializer):
    sector = _slug(Sector, "code", help_text="The sector's code.")
    level = serializers.ChoiceField(choices=Level.choices, default=Level.VILLAGE)
    locality = serializers.CharField(max_length=120, allow_blank=True, default="")
    problem = serializers.CharField(allow_blank=True, default="")
    potentials = serializers.CharField(allow_blank=True, default="")
    need = serializers.CharField()
    priority_rank = serializers.IntegerField(min_value=1, max_value=RANK_MAX)


class InterventionUpdateSerializer(serializers.Serializer):
    ministry = _slug(Ministry, "acronym", help_text="The ministry's acronym.")
    programme = serializers.CharField(max_length=200)
    filiere = _slug(Filiere, "code", required=False, allow_null=True, default=None,
                    help_text="The filière's code (a filière or a sector is required).")
    sector = _slug(Sector, "code", required=False, allow_null=True, default=None,
                   help_text="The sector's code; filled from the filière when omitted.")
    start_date = serializers.DateField()
    end_date = serializers.DateField(required=False, allow_null=True, default=None)
    budget = serializers.IntegerField(min_value=0, max_value=AMOUNT_MAX, default=0,
                                      help_text="FCFA.")
    beneficiaries = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=2**63 - 1), required=False,
        max_length=10_000, help_text="Ids of organisations of the intervention's commune.")

    def validate_ministry(self, ministry: Ministry) -> Ministry:
        scope = scope_of(self.context["request"].user)
        _refuse(scope.is_admin or scope.is_agent or ministry.pk in scope.ministry_ids)
        return ministry


class InterventionCreateSerializer(InterventionUpdateSerializer):
    commune = _slug(Commune, "pcode", help_text="The commune's P-code.")
    beneficiaries = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=2**63 - 1), default=list,
        max_length=10_000, help_text="Ids of organisations of the commune.")

    def validate_commune(self, commune: Commune) -> Commune:
        scope = scope_of(self.context["request"].user)
        _refuse(scope.is_admin or commune.pk in scope.commune_ids or scope.is_analyst)
        return commune
