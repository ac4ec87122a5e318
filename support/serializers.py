"""API shapes of programmes and enrolments: codes for references (P-codes, acronyms)."""

from rest_framework import serializers

from communes.models import Commune
from cooperatives.models import Organisation
from diagnostics.forms import AMOUNT_MAX
from sectors.models import Ministry

from .models import Enrolment, Programme


class ProgrammeSerializer(serializers.ModelSerializer):
    ministry = serializers.CharField(source="ministry.acronym", read_only=True, allow_null=True,
                                     default=None)
    owner_commune = serializers.CharField(source="owner_commune.pcode", read_only=True,
                                          allow_null=True, default=None)
    owner = serializers.CharField(source="owner_name", read_only=True)
    communes = serializers.SlugRelatedField(slug_field="pcode", many=True, read_only=True)
    enrolled = serializers.IntegerField(read_only=True,
                                        help_text="Enrolments the caller may read.")

    class Meta:
        model = Programme
        fields = ["id", "name", "owner_type", "owner", "ministry", "owner_commune", "partner",
                  "kind", "start_date", "end_date", "budget", "communes", "description",
                  "enrolled", "created_at"]
        read_only_fields = fields


class EnrolmentSerializer(serializers.ModelSerializer):
    programme_name = serializers.CharField(source="programme.name", read_only=True)
    owner_type = serializers.CharField(source="programme.owner_type", read_only=True)
    owner = serializers.CharField(source="programme.owner_name", read_only=True)
    kind = serializers.CharField(source="programme.kind", read_only=True)
    organisation_name = serializers.CharField(source="organisation.name", read_only=True)
    commune = serializers.CharField(source="organisation.commune.pcode", read_only=True)

    class Meta:
        model = Enrolment
        fields = ["id", "programme", "programme_name", "owner_type", "owner", "kind",
                  "organisation", "organisation_name", "commune", "start_date", "end_date",
                  "outcome", "note", "created_at"]
        read_only_fields = fields


def _slug(model, slug_field: str, **kwargs):
    return serializers.SlugRelatedField(slug_field=slug_field, queryset=model.objects.all(),
                                        **kwargs)


class ProgrammeWriteSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    owner_type = serializers.ChoiceField(choices=Programme.OwnerType.choices)
    ministry = _slug(Ministry, "acronym", required=False, allow_null=True, default=None,
                     help_text="Owner ministry's acronym (owner_type ministry).")
    owner_commune = _slug(Commune, "pcode", required=False, allow_null=True, default=None,
                          help_text="Owner commune's P-code (owner_type commune).")
    partner = serializers.CharField(max_length=200, required=False, allow_blank=True,
                                    default="", help_text="Partner's name (owner_type partner).")
    kind = serializers.ChoiceField(choices=Programme.Kind.choices)
    start_date = serializers.DateField()
    end_date = serializers.DateField(required=False, allow_null=True, default=None)
    budget = serializers.IntegerField(min_value=0, max_value=AMOUNT_MAX, default=0,
                                      help_text="FCFA.")
    communes = _slug(Commune, "pcode", many=True, required=False,
                     help_text="P-codes of the communes covered (the owner commune is added).")
    description = serializers.CharField(required=False, allow_blank=True, default="")


class EnrolmentUpdateSerializer(serializers.Serializer):
    start_date = serializers.DateField()
    end_date = serializers.DateField(required=False, allow_null=True, default=None)
    outcome = serializers.ChoiceField(choices=Enrolment.Outcome.choices,
                                      default=Enrolment.Outcome.ONGOING)
    note = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


class EnrolmentCreateSerializer(EnrolmentUpdateSerializer):
    programme = serializers.IntegerField(min_value=1, max_value=2**63 - 1)
    organisation = serializers.PrimaryKeyRelatedField(queryset=Organisation.objects.all())
