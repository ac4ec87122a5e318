"""Shapes of organisations and aggregate rows in the API (input and output only: writes go
through cooperatives.services)."""

from operator import attrgetter

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from rest_framework import ISO_8601, exceptions, serializers
from rest_framework.fields import SkipField, empty
from rest_framework.relations import PKOnlyObject
from rest_framework.settings import api_settings

from communes.models import Commune
from sectors.models import Filiere

from .consent import CONTACT_FIELDS, contact_shown
from .models import (
    COUNT_FIELDS,
    ContactConsent,
    ContactConsentState,
    Organisation,
    OrganisationLabel,
    VerificationOutcome,
)
from .permissions import can_write_commune
from .selectors import GROUPINGS, LEVELS

# Personal data: only users who may see the organisation in full get these fields. The
# description is free text its representatives write, so it may name people too.
PERSONAL_FIELDS = ("contact_name", "contact_phone", "contact_email", "description")
# The contact is shown only while its person's consent stands (cooperatives.consent).
CONSENT_FIELD = "contact_consent"
PUBLIC_FIELDS = (
    "id", "name", "acronym", "legal_form", "status", "rsc_number", "rsc_date", "niu",
    "ues_number", "labels", "commune", "commune_name", "department", "region", "locality",
    "primary_filiere", "filieres", "ministries", "member_interest", "members_total",
    "members_women", "members_youth", "worker_members", "producer_members", "employees",
    "share_capital", "reless_member_since", "parent_union", "converted_from_gic",
    "latitude", "longitude", "last_verified_on", "last_verification_outcome", "verified",
    "created_at", "updated_at",
)


# Relations read from a prefetched list rather than through a related manager: Django's
# prefetch into a manager builds a manager and a filtered queryset per organisation and
# relation (about 3 ms of a page of 50), a prefetch into a list (`to_attr`) does not.
LISTED = ("filieres", "labels")


def listed_as(relation: str) -> str:
    """The attribute the API prefetches `relation` into (cooperatives.api)."""
    return f"listed_{relation}"


def listed(organisation: Organisation, relation: str):
    """The organisation's `relation` (one of LISTED): the prefetched list when there is one,
    else its manager's rows."""
    rows = getattr(organisation, listed_as(relation), None)
    return getattr(organisation, relation).all() if rows is None else rows


class LabelSerializer(serializers.ModelSerializer):
    """A label or certification the organisation holds (recorded on its page)."""

    class Meta:
        model = OrganisationLabel
        fields = ("kind", "name", "certifier", "number", "valid_from", "valid_until")


_DRF = object()  # the value is read by DRF's own walk


def _walk(field):
    """One `attrgetter` over the field's source attributes, where DRF's walk would only
    follow attributes: not for a method field, the whole object, a list or nested shape, or
    a related field that reads the key alone (DRF's `PKOnlyObject`)."""
    if (field.source == "*" or isinstance(field, (serializers.ManyRelatedField,
                                                  serializers.BaseSerializer))
            or (isinstance(field, serializers.RelatedField)
                and field.use_pk_only_optimization())):
        return None
    return attrgetter(".".join(field.source_attrs))


class OrganisationPublicSerializer(serializers.ModelSerializer):
    """An organisation without personal data: what ministry analysts read."""

    commune = serializers.SlugRelatedField(
        slug_field="pcode", queryset=Commune.objects.all(),
        help_text=_("P-code of the commune of the seat."))
    commune_name = serializers.CharField(source="commune.name", read_only=True)
    department = serializers.CharField(source="commune.department.pcode", read_only=True,
                                       help_text=_("P-code of the department."))
    region = serializers.CharField(source="commune.department.region.pcode", read_only=True,
                                   help_text=_("P-code of the region."))
    primary_filiere = serializers.SlugRelatedField(slug_field="code",
                                                   queryset=Filiere.objects.all())
    filieres = serializers.SlugRelatedField(
        slug_field="code", queryset=Filiere.objects.all(), many=True, required=False,
        help_text=_("Codes of every filière, the primary one included."))
    ministries = serializers.SerializerMethodField(
        help_text=_("Acronyms of the ministries supervising the organisation's filières."))
    labels = LabelSerializer(many=True, read_only=True, help_text=_(
        "Labels and certifications (recorded on the organisation's page)."))

    class Meta:
        model = Organisation
        fields = PUBLIC_FIELDS
        read_only_fields = ("id", "created_at", "updated_at", "last_verified_on",
                            "last_verification_outcome")
        validators = []  # model rules (RSC number unique, member counts) run in the services
        # Null (or absent on creation) means not known: stored as 0, except the members of a
        # SCOOPS or COOP-CA, which must be given (the model's rule).
        extra_kwargs = {name: {"allow_null": True} for name in COUNT_FIELDS}

    last_verification_outcome = serializers.ChoiceField(
        choices=[("", "")] + VerificationOutcome.choices, read_only=True,
        help_text=_("What the latest verification visit found; empty when never visited."))
    verified = serializers.SerializerMethodField(help_text=_(
        "Whether the latest verification visit, in the last 24 months "
        "(VERIFICATION_MONTHS), found the organisation (active, dormant or moved)."))

    def to_representation(self, instance):
        """DRF's own loop, with the plain columns (a field whose source is one attribute of a
        stored, non-relational column of the model) read with one getattr instead of DRF's
        general attribute walk (which tries mappings, callables and dotted paths for each of
        the 40 fields of each row), the filières and labels read from the lists the API
        gave each row (`LISTED`: labels prefetched, filières from cooperatives.reference_rows),
        dates and times written directly, and fields read through relations walked by one
        `attrgetter`: the same JSON, tested field by field."""
        data = {}
        zone = None
        for field, column, walk in self._reading_plan:
            if column in self._datetime_columns:
                # DRF's DateTimeField with its ISO format, the current time zone looked up
                # once per row rather than once per field (asgiref's local, about 10 µs).
                value = getattr(instance, column)
                if value is None or value.tzinfo is None:  # naive: DRF's own way
                    data[field.field_name] = None if value is None else field.to_representation(
                        value)
                    continue
                zone = zone or timezone.get_current_timezone()
                text = value.astimezone(zone).isoformat()
                data[field.field_name] = text[:-6] + "Z" if text.endswith("+00:00") else text
                continue
            if column is None:
                try:
                    attribute = walk(instance) if walk is not None else _DRF
                except (AttributeError, ObjectDoesNotExist):  # a missing link: DRF decides
                    attribute = _DRF
                if attribute is _DRF or callable(attribute):
                    try:
                        attribute = field.get_attribute(instance)
                    except SkipField:
                        continue
                if isinstance(attribute, PKOnlyObject):
                    attribute = attribute if attribute.pk is not None else None
            elif column in LISTED:
                attribute = listed(instance, column)
            else:
                attribute = getattr(instance, column)
            data[field.field_name] = (None if attribute is None
                                      else field.to_representation(attribute))
        return data

    @cached_property
    def _reading_plan(self) -> list:
        """(field, column attribute or None, walk or None) for each readable field, in order.
        `walk`: for a field read through relations (`commune.department.pcode`, a slug
        related field), its attributes in one `attrgetter`; DRF's own walk decides whenever
        a link is missing or a value is callable."""
        columns = {f.attname for f in Organisation._meta.concrete_fields if not f.is_relation}
        columns.update(LISTED)
        plan = []
        for field in self.fields.values():
            if field.write_only:
                continue
            column = field.source if field.source in columns else None
            plan.append((field, column, _walk(field) if column is None else None))
        return plan

    @cached_property
    def _datetime_columns(self) -> frozenset[str]:
        """The plain columns written by DRF's DateTimeField with its defaults (ISO 8601, the
        current time zone) of aware values: what the loop writes itself."""
        if not settings.USE_TZ or api_settings.DATETIME_FORMAT.lower() != ISO_8601:
            return frozenset()
        return frozenset(column for field, column, _walk in self._reading_plan
                         if column is not None and type(field) is serializers.DateTimeField
                         and getattr(field, "format", empty) is empty
                         and not hasattr(field, "timezone"))

    def get_verified(self, obj: Organisation) -> bool:
        return obj.is_verified()

    def get_ministries(self, obj: Organisation) -> list[str]:
        return sorted({f.sector.ministry.acronym for f in listed(obj, "filieres")})


class OrganisationSerializer(OrganisationPublicSerializer):
    """An organisation in full, contacts and description included: for admins, the CTD agents
    of its commune and its representatives. These four fields are absent for other readers."""

    # Not read-only only so that the schema does not require it where the reader gets the
    # public shape; a value sent is ignored (`consent_method` records a consent).
    contact_consent = serializers.ChoiceField(
        choices=ContactConsentState.choices, required=False,
        help_text=_("The contact person's consent: given, withdrawn or missing. The contact "
                    "is null unless it is given. Ignored on writes: send consent_method."))

    consent_method = serializers.ChoiceField(
        write_only=True, required=False,
        choices=[m for m in ContactConsent.Method.choices
                 if m[0] != ContactConsent.Method.ONLINE],
        help_text=_("With a contact: how its person consented (recorded with the write); "
                    "without a consent the contact is kept but hidden."))
    consent_document = serializers.CharField(
        write_only=True, required=False, allow_blank=True, max_length=120,
        help_text=_("For a paper form: where it is kept at the commune."))

    class Meta(OrganisationPublicSerializer.Meta):
        fields = PUBLIC_FIELDS + PERSONAL_FIELDS + (CONSENT_FIELD, "consent_method",
                                                    "consent_document")
        extra_kwargs = {**OrganisationPublicSerializer.Meta.extra_kwargs,
                        **{name: {"required": False} for name in PERSONAL_FIELDS}}

    def to_representation(self, instance):
        data = super().to_representation(instance)
        if not contact_shown(instance):
            data.update(dict.fromkeys(CONTACT_FIELDS))
        return data

    def validate_commune(self, commune: Commune) -> Commune:
        request = self.context.get("request")
        if request is not None and not can_write_commune(request.user, commune.pk):
            # A public P-code outside the caller's communes: refused (403) before the other
            # fields' errors, as for diagnostics and interventions.
            raise exceptions.PermissionDenied(
                _("You may not register or move organisations to this commune."))
        return commune


def consent_from(data: dict) -> dict | None:
    """Pop the consent fields of validated data: the consent to record, or None."""
    data.pop("contact_consent", None)  # read only in effect: the consent page sets it
    method, document = data.pop("consent_method", ""), data.pop("consent_document", "")
    return {"method": method, "document_reference": document} if method else None


class OrganisationSavedSerializer(OrganisationSerializer):
    """The answer to a creation or change: the organisation and what deserves a second look."""

    warnings = serializers.ListField(
        child=serializers.CharField(), read_only=True,
        help_text=_("Saved, but worth checking: a map point outside the commune's boundary."))

    class Meta(OrganisationSerializer.Meta):
        fields = PUBLIC_FIELDS + PERSONAL_FIELDS + (CONSENT_FIELD, "consent_method",
                                                    "consent_document", "warnings")


class AggregateRowSerializer(serializers.Serializer):
    """One aggregate row (documentation only: the rows are built as plain dicts)."""

    pcode = serializers.CharField(help_text=_("P-code of the region, department or commune."))
    name = serializers.CharField(help_text=_("Name of the unit (English with "
                                             "Accept-Language: en when it has one)."))
    group = serializers.CharField(help_text=_(
        "Group code: ministry acronym, sector or filière code, legal form or status value."))
    group_name = serializers.CharField(help_text=_("Name of the group."))
    organisations = serializers.IntegerField(help_text=_("Number of organisations."))
    members = serializers.IntegerField(help_text=_("Sum of their members."))
    women = serializers.IntegerField(help_text=_("Sum of their women members."))
    youth = serializers.IntegerField(help_text=_("Sum of their members under 35."))
    employees = serializers.IntegerField(help_text=_("Sum of their employees."))


class AggregateParamsSerializer(serializers.Serializer):
    """The `level` and `by` query parameters of the aggregates."""

    level = serializers.ChoiceField(choices=(*LEVELS, "territory"), default="commune")
    by = serializers.ChoiceField(choices=GROUPINGS, default="ministry")


class HistoryFieldSerializer(serializers.Serializer):
    field = serializers.CharField(help_text=_("The field's name in the reader's language."))
    old = serializers.CharField(allow_null=True)
    new = serializers.CharField(allow_null=True)


class HistoryEntrySerializer(serializers.Serializer):
    """One audit record, as the object's page shows it."""

    when = serializers.DateTimeField()
    user = serializers.CharField(allow_null=True, help_text=_(
        "Who made the change; null when unknown or hidden from the reader (analysts)."))
    action = serializers.ChoiceField(choices=["created", "changed", "deleted"])
    kind = serializers.CharField(help_text=_("The action in the reader's language."))
    fields = HistoryFieldSerializer(many=True, help_text=_(
        "The fields the change touched, old and new value as the page shows them."))
