"""Organisations: their legal form, status, members, filières and registry events."""

import calendar
import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q, Value
from django.db.models.functions import Coalesce, Concat
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from communes.models import Commune
from core.choices import ChoiceLabels
from core.search import SEARCH_SEPARATOR, Folded
from sectors.models import Filiere, Ministry

from ..identifiers import (
    NIU_MESSAGE,
    RSC_MESSAGE,
    UES_MESSAGE,
    normalise_niu,
    normalise_ues,
    rsc_is_valid,
)
from ..rules import PHONE_MESSAGE, geometry_contains, normalise_phone, point_errors

# Minimum members by legal form (OHADA uniform act on cooperatives).
LEGAL_MINIMUM_MEMBERS = {"scoops": 5, "coop_ca": 15}
# Counts a form or API client may leave empty: stored as 0, except the members of a legal
# form with a minimum, which must then be given.
COUNT_FIELDS = ("members_total", "members_women", "members_youth", "employees",
                "share_capital", "worker_members", "producer_members")


class LegalForm(models.TextChoices):
    SCOOPS = "scoops", _("SCOOPS (simplified cooperative)")
    COOP_CA = "coop_ca", _("COOP-CA (cooperative with a board)")
    UNION = "union", _("Union of cooperatives")
    FEDERATION = "federation", _("Federation")
    GIC = "gic", _("GIC (common initiative group)")
    ASSOCIATION = "association", _("Association")
    OTHER = "other", _("Other")


# The legal forms of primary cooperatives (OHADA uniform act): the cooperatives of the ILO
# statistics (cooperatives.ilo, docs/ilo-statistics.md).
PRIMARY_COOPERATIVE_FORMS = ("scoops", "coop_ca")


class MemberInterest(models.TextChoices):
    """The cooperative's type by the main interest of its members (20th ICLS guidelines
    concerning statistics of cooperatives, 2018): docs/ilo-statistics.md."""

    PRODUCER = "producer", _("Producer cooperative")
    WORKER = "worker", _("Worker cooperative")
    CONSUMER_USER = "consumer_user", _("Consumer or user cooperative")
    MULTI_STAKEHOLDER = "multi_stakeholder", _("Multi-stakeholder cooperative")


class OrganisationStatus(models.TextChoices):
    IN_CREATION = "in_creation", _("In creation")
    ACTIVE = "active", _("Active")
    DORMANT = "dormant", _("Dormant")
    DISSOLVED = "dissolved", _("Dissolved")


class ContactConsentState(models.TextChoices):
    MISSING = "missing", _("no consent recorded")
    GIVEN = "given", _("consent given")
    WITHDRAWN = "withdrawn", _("consent withdrawn")


class VerificationOutcome(models.TextChoices):
    """What a verification visit found (cooperatives.models.verification)."""

    ACTIVE = "active", _("Found active")
    DORMANT = "dormant", _("Found dormant")
    NOT_FOUND = "not_found", _("Not found")
    MOVED = "moved", _("Moved")


# Outcomes that prove the organisation exists (a moved organisation was found elsewhere).
EXISTENCE_OUTCOMES = (VerificationOutcome.ACTIVE, VerificationOutcome.DORMANT,
                      VerificationOutcome.MOVED)


# Kept by cooperatives.verification alone (see `Organisation.save`).
VERIFICATION_FIELDS = ("last_verified_on", "last_verification_outcome")


def verification_cutoff(today: datetime.date | None = None) -> datetime.date:
    """The first day a visit still counts as recent: `settings.VERIFICATION_MONTHS` months
    before `today` (default: the local date), the same day of the month (the month's last
    day when it has fewer days). A visit on this day or after it is "in the last 24 months"."""
    today = today or timezone.localdate()
    months = today.year * 12 + today.month - 1 - settings.VERIFICATION_MONTHS
    year, month = divmod(months, 12)
    day = min(today.day, calendar.monthrange(year, month + 1)[1])
    return datetime.date(year, month + 1, day)


def verified_condition(today: datetime.date | None = None) -> Q:
    """Verified in the last `VERIFICATION_MONTHS` months: the latest visit is on or after
    the cutoff and found the organisation (active, dormant or moved)."""
    return Q(last_verified_on__gte=verification_cutoff(today),
             last_verification_outcome__in=EXISTENCE_OUTCOMES)


class OrganisationQuerySet(models.QuerySet):
    def registered(self):
        """The registry's organisations in every public count: all but the dissolved ones
        (in creation, active and dormant; an organisation merged away as a duplicate is
        dissolved). The one definition of "registered organisations" (docs/architecture.md)."""
        return self.exclude(status=OrganisationStatus.DISSOLVED)

    def active(self):
        """Organisations whose status is active now."""
        return self.filter(status=OrganisationStatus.ACTIVE)

    def verified(self, today: datetime.date | None = None):
        """Organisations whose latest verification visit, within the last
        `VERIFICATION_MONTHS` months before `today`, found them (docs/registry-quality.md)."""
        return self.filter(verified_condition(today))

    def unverified(self, today: datetime.date | None = None):
        """The others: never visited, last visited before the cutoff, or not found."""
        return self.exclude(verified_condition(today))

    def in_commune(self, commune):
        """Organisations whose seat is in the commune (instance or id)."""
        return self.filter(commune=commune)

    def matching_ministry(self, ministry):
        """Organisations with at least one filière supervised by the ministry (no duplicates)."""
        return self.filter(
            pk__in=OrganisationFiliere.objects.filter(filiere__sector__ministry=ministry)
            .values("organisation_id")
        )


class OrganisationFiliere(models.Model):
    """An organisation's filière (its primary one included). Defined before `Organisation`,
    whose history records name it."""

    organisation = models.ForeignKey("Organisation", models.CASCADE)
    filiere = models.ForeignKey(Filiere, models.PROTECT)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organisation", "filiere"],
                                               name="org_filiere_unique")]
        indexes = [models.Index(fields=["filiere", "organisation"])]

    def __str__(self):
        return f"{self.organisation_id}:{self.filiere_id}"


class Organisation(ChoiceLabels):
    name = models.CharField(_("name"), max_length=200)
    acronym = models.CharField(_("acronym"), max_length=40, blank=True)
    legal_form = models.CharField(_("legal form"), max_length=20, choices=LegalForm.choices)
    rsc_number = models.CharField(_("RSC number"), max_length=60, null=True, blank=True,
                                  help_text=_("Registre des Sociétés Coopératives number."))
    rsc_date = models.DateField(_("RSC registration date"), null=True, blank=True)
    ues_number = models.CharField(_("UES register number"), max_length=60, blank=True,
                                  help_text=_("Registre Général des Unités de l'Économie "
                                              "Sociale (arrêté 042/PM of 2022)."))
    # Stored as 14 characters; room for the spaces and dashes typed between them.
    niu = models.CharField(_("NIU (taxpayer number)"), max_length=20, null=True, blank=True,
                           help_text=_("Numéro d'Identifiant Unique of the tax card: one "
                                       "letter, 12 digits, one letter."))
    member_interest = models.CharField(
        _("type by member interest"), max_length=20, choices=MemberInterest.choices,
        blank=True, help_text=_("The main interest of the members (ILO typology): "
                                "for cooperatives."))
    commune = models.ForeignKey(Commune, models.PROTECT, related_name="organisations",
                                verbose_name=_("commune of the seat"))
    locality = models.CharField(_("locality"), max_length=120, blank=True)
    primary_filiere = models.ForeignKey(Filiere, models.PROTECT, related_name="+",
                                        verbose_name=_("primary filière"))
    # Every filière of the organisation, the primary one included (maintained by services).
    filieres = models.ManyToManyField(Filiere, through=OrganisationFiliere,
                                      related_name="organisations", verbose_name=_("filières"))
    status = models.CharField(_("status"), max_length=20, choices=OrganisationStatus.choices,
                              default=OrganisationStatus.ACTIVE)
    members_total = models.PositiveIntegerField(_("members"), default=0)
    members_women = models.PositiveIntegerField(_("women members"), default=0)
    members_youth = models.PositiveIntegerField(_("members under 35"), default=0)
    employees = models.PositiveIntegerField(
        _("employees"), default=0,
        help_text=_("Paid workers who are not members (worker-members are counted apart)."))
    # Work in cooperatives (ILO): members who work for the cooperative (worker-members) or
    # whose own production it serves (producer-members); one member counts in one only.
    worker_members = models.PositiveIntegerField(_("worker-members"), default=0)
    producer_members = models.PositiveIntegerField(_("producer-members"), default=0)
    share_capital = models.PositiveBigIntegerField(_("share capital (FCFA)"), default=0)
    reless_member_since = models.DateField(_("RELESS member since"), null=True, blank=True)
    parent_union = models.ForeignKey("self", models.SET_NULL, null=True, blank=True,
                                     related_name="union_members", verbose_name=_("parent union"))
    converted_from_gic = models.ForeignKey("self", models.SET_NULL, null=True, blank=True,
                                           related_name="converted_into",
                                           verbose_name=_("converted from GIC"))
    contact_name = models.CharField(_("contact person"), max_length=120, blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=40, blank=True)
    contact_email = models.EmailField(_("contact email"), blank=True)
    # Whether the contact person's consent stands (cooperatives.consent keeps it in step with
    # the ContactConsent records): the contact is shown to nobody unless it is "given".
    contact_consent = models.CharField(_("contact's consent"), max_length=10,
                                       choices=ContactConsentState.choices,
                                       default=ContactConsentState.MISSING,
                                       db_default=ContactConsentState.MISSING)
    description = models.TextField(_("description"), blank=True)
    latitude = models.FloatField(_("latitude"), null=True, blank=True)
    longitude = models.FloatField(_("longitude"), null=True, blank=True)
    # The latest verification visit (cooperatives.verification keeps them in step with the
    # VerificationVisit records; not in the history: the visits are their own record).
    last_verified_on = models.DateField(_("last verified on"), null=True, blank=True,
                                        editable=False)
    last_verification_outcome = models.CharField(
        _("last verification outcome"), max_length=12, choices=VerificationOutcome.choices,
        blank=True, default="", db_default="", editable=False)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    # What the search compares (core.search): the name, and the name, acronym, locality,
    # RSC number, NIU and UES register number, folded (accents and case aside), computed by
    # the database on every write, bulk ones included; trigram-indexed on PostgreSQL
    # (migrations 0014 and 0016).
    name_folded = models.GeneratedField(expression=Folded("name"),
                                        output_field=models.TextField(), db_persist=True)
    search_text = models.GeneratedField(
        expression=Folded(Concat("name", Value(SEARCH_SEPARATOR), "acronym",
                                 Value(SEARCH_SEPARATOR), "locality", Value(SEARCH_SEPARATOR),
                                 Coalesce("rsc_number", Value("")),
                                 Value(SEARCH_SEPARATOR), Coalesce("niu", Value("")),
                                 Value(SEARCH_SEPARATOR), "ues_number",
                                 output_field=models.TextField())),
        output_field=models.TextField(), db_persist=True)

    # Each history record also keeps the filières the organisation had then, so the registry
    # of any past day can be rebuilt (PRODUCT.md, "The two reports").
    history = HistoricalRecords(excluded_fields=["updated_at", "name_folded", "search_text",
                                                 "last_verified_on",
                                                 "last_verification_outcome"],
                                m2m_fields=[filieres])
    objects = OrganisationQuerySet.as_manager()

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        indexes = [
            models.Index(fields=["commune", "status"]),
            models.Index(fields=["status", "commune"]),
            models.Index(fields=["legal_form"]),
            # The national lists (HTML and API) page through every organisation by name.
            models.Index(fields=["name", "id"]),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(members_women__lte=F("members_total")),
                                   name="org_women_le_total",
                                   violation_error_code="women_exceed_total",
                                   violation_error_message=_(
                                       "Women members cannot exceed total members.")),
            models.CheckConstraint(condition=Q(members_youth__lte=F("members_total")),
                                   name="org_youth_le_total",
                                   violation_error_code="youth_exceed_total",
                                   violation_error_message=_(
                                       "Members under 35 cannot exceed total members.")),
            models.CheckConstraint(condition=~Q(legal_form="scoops") | Q(members_total__gte=5),
                                   name="org_scoops_min_members",
                                   violation_error_code="scoops_min_members",
                                   violation_error_message=_(
                                       "A SCOOPS needs at least 5 members.")),
            models.CheckConstraint(condition=~Q(legal_form="coop_ca") | Q(members_total__gte=15),
                                   name="org_coop_ca_min_members",
                                   violation_error_code="coop_ca_min_members",
                                   violation_error_message=_(
                                       "A COOP-CA needs at least 15 members.")),
            models.CheckConstraint(
                condition=Q(members_total__gte=F("worker_members") + F("producer_members")),
                name="org_work_members_le_total", violation_error_code="work_exceed_total",
                violation_error_message=_("Worker-members and producer-members together "
                                          "cannot exceed total members.")),
            models.UniqueConstraint(fields=["rsc_number"], condition=Q(rsc_number__isnull=False),
                                    name="org_rsc_number_unique",
                                    violation_error_message=_(
                                        "Another organisation already has this RSC number.")),
            models.UniqueConstraint(fields=["niu"], condition=Q(niu__isnull=False),
                                    name="org_niu_unique", violation_error_code="niu_taken",
                                    violation_error_message=_(
                                        "Another organisation already has this NIU.")),
            models.UniqueConstraint(fields=["ues_number"], condition=~Q(ues_number=""),
                                    name="org_ues_number_unique",
                                    violation_error_code="ues_taken",
                                    violation_error_message=_(
                                        "Another organisation already has this UES register "
                                        "number.")),
        ]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        """An edit never writes the latest verification: only cooperatives.verification does
        (an edit loaded before a visit was recorded would put back the older one)."""
        if not self._state.adding and kwargs.get("update_fields") is None and not kwargs.get(
                "force_insert"):
            deferred = self.get_deferred_fields()  # as Django saves a partly loaded row
            kwargs["update_fields"] = [f.attname for f in self._meta.concrete_fields
                                       if not f.primary_key and not f.generated
                                       and f.name not in VERIFICATION_FIELDS
                                       and f.attname not in deferred]
        super().save(*args, **kwargs)

    @property
    def shows_contact(self) -> bool:
        """Whether the contact may be shown at all: its person's consent stands (who may
        see it is the scope's business, cooperatives.permissions)."""
        return self.contact_consent == ContactConsentState.GIVEN

    def validate_constraints(self, exclude=None):
        """Database rules, with each member-count error shown next to its field."""
        try:
            super().validate_constraints(exclude=exclude)
        except ValidationError as error:
            raise ValidationError(_errors_on_fields(error)) from None

    def clean_fields(self, exclude=None):
        """Empty counts become 0, but the members of a SCOOPS or COOP-CA must be given."""
        errors = {}
        for name in COUNT_FIELDS:
            if getattr(self, name) is None:
                if name == "members_total" and self.legal_form in LEGAL_MINIMUM_MEMBERS:
                    errors[name] = [_("Give the number of members: a %(form)s needs at least "
                                      "%(minimum)s.") % {
                        "form": self.get_legal_form_display(),
                        "minimum": LEGAL_MINIMUM_MEMBERS[self.legal_form]}]
                    exclude = {*(exclude or ()), name}
                else:
                    setattr(self, name, 0)
        try:
            super().clean_fields(exclude=exclude)
        except ValidationError as error:
            errors = {**error.message_dict, **errors}
        if errors:
            raise ValidationError(errors)

    def clean(self):
        super().clean()
        errors = {**self._identifier_errors(), **self._relation_errors(),
                  **point_errors(self.latitude, self.longitude)}
        phone = normalise_phone(self.contact_phone)
        if phone is None:
            errors["contact_phone"] = PHONE_MESSAGE
        else:
            self.contact_phone = phone
        if errors:
            raise ValidationError(errors)

    def _identifier_errors(self) -> dict:
        """Each identifier in its stored form (cooperatives.identifiers), or its message."""
        errors = {}
        if self.rsc_number is not None:
            self.rsc_number = self.rsc_number.strip() or None
            if self.rsc_number and not rsc_is_valid(self.rsc_number):
                errors["rsc_number"] = RSC_MESSAGE
        niu = normalise_niu(self.niu)
        if niu is None:
            errors["niu"] = NIU_MESSAGE
        else:
            self.niu = niu or None
        ues = normalise_ues(self.ues_number)
        if ues is None:
            errors["ues_number"] = UES_MESSAGE
        else:
            self.ues_number = ues
        return errors

    def _relation_errors(self) -> dict:
        """The parent union (a union or federation of the same department) and the GIC the
        organisation was converted from (a GIC of the same commune)."""
        errors = {}
        if self.parent_union_id:
            parent = self.parent_union
            allowed = {LegalForm.FEDERATION} if self.legal_form == LegalForm.UNION else {
                LegalForm.UNION}
            if self.legal_form == LegalForm.FEDERATION or parent.legal_form not in allowed:
                errors["parent_union"] = _(
                    "A cooperative's parent must be a union, and a union's a federation.")
            elif self.pk and parent.pk == self.pk:
                errors["parent_union"] = _("An organisation cannot be its own union.")
            elif self.commune_id and parent.commune.department_id != self.commune.department_id:
                errors["parent_union"] = _(
                    "The parent union must be in the same department as the organisation.")
        gic = self.converted_from_gic
        if gic is not None and gic.legal_form != LegalForm.GIC:
            errors["converted_from_gic"] = _(
                "The organisation it was converted from must be a GIC.")
        elif gic is not None and gic.commune_id != self.commune_id:
            errors["converted_from_gic"] = _(
                "The GIC it was converted from must be in the same commune.")
        return errors

    def point_warning(self) -> str | None:
        """A message when the map point lies outside the boundary of the organisation's
        commune (kept: boundaries are approximate), None otherwise or without a boundary."""
        if self.latitude is None or self.longitude is None:
            return None
        inside = geometry_contains(self.commune.boundary, self.latitude, self.longitude)
        if inside is False:
            return _("The map point lies outside the boundary of %(commune)s: check the "
                     "latitude and longitude.") % {"commune": self.commune.name}
        return None

    def is_verified(self, today: datetime.date | None = None) -> bool:
        """`OrganisationQuerySet.verified` for this row."""
        return (self.last_verified_on is not None
                and self.last_verified_on >= verification_cutoff(today)
                and self.last_verification_outcome in EXISTENCE_OUTCOMES)

    @property
    def ministries(self):
        return Ministry.objects.filter(sectors__filieres__organisations=self).distinct()


# Constraint violation code -> the form field its message belongs next to.
CONSTRAINT_FIELDS = {
    "women_exceed_total": "members_women",
    "youth_exceed_total": "members_youth",
    "scoops_min_members": "members_total",
    "coop_ca_min_members": "members_total",
    "work_exceed_total": "worker_members",
    "niu_taken": "niu",
    "ues_taken": "ues_number",
}


def _errors_on_fields(error: ValidationError) -> dict:
    moved: dict[str, list] = {}
    for key, errors in error.error_dict.items():
        for item in errors:
            moved.setdefault(CONSTRAINT_FIELDS.get(item.code, key), []).append(item)
    return moved


class RegistryEvent(models.Model):
    class Kind(models.TextChoices):
        REGISTRATION = "registration", _("Registration")
        MODIFICATION = "modification", _("Modification")
        DISSOLUTION = "dissolution", _("Dissolution")

    organisation = models.ForeignKey(Organisation, models.CASCADE, related_name="events",
                                     verbose_name=_("organisation"))
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    date = models.DateField(_("date"))
    reference = models.CharField(_("reference"), max_length=80, blank=True)
    note = models.TextField(_("note"), blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["date", "id"]
        verbose_name = _("registry event")
        verbose_name_plural = _("registry events")

    def __str__(self):
        return f"{self.get_kind_display()} {self.date}"
