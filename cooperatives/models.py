"""Organisations of a commune's RELESS, their links, change requests, roles and report runs."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Greatest, Least
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from communes.models import Commune
from sectors.models import Filiere, Ministry

from .rules import PHONE_MESSAGE, geometry_contains, normalise_phone, point_errors

# Minimum members by legal form (OHADA uniform act on cooperatives).
LEGAL_MINIMUM_MEMBERS = {"scoops": 5, "coop_ca": 15}
# Counts a form or API client may leave empty: stored as 0, except the members of a legal
# form with a minimum, which must then be given.
COUNT_FIELDS = ("members_total", "members_women", "members_youth", "employees",
                "share_capital")


class LegalForm(models.TextChoices):
    SCOOPS = "scoops", _("SCOOPS (simplified cooperative)")
    COOP_CA = "coop_ca", _("COOP-CA (cooperative with a board)")
    UNION = "union", _("Union of cooperatives")
    FEDERATION = "federation", _("Federation")
    GIC = "gic", _("GIC (common initiative group)")
    ASSOCIATION = "association", _("Association")
    OTHER = "other", _("Other")


class OrganisationStatus(models.TextChoices):
    IN_CREATION = "in_creation", _("In creation")
    ACTIVE = "active", _("Active")
    DORMANT = "dormant", _("Dormant")
    DISSOLVED = "dissolved", _("Dissolved")


class OrganisationQuerySet(models.QuerySet):
    def active(self):
        """Organisations whose status is active now."""
        return self.filter(status=OrganisationStatus.ACTIVE)

    def in_commune(self, commune):
        """Organisations whose seat is in the commune (instance or id)."""
        return self.filter(commune=commune)

    def matching_ministry(self, ministry):
        """Organisations with at least one filière supervised by the ministry (no duplicates)."""
        return self.filter(
            pk__in=OrganisationFiliere.objects.filter(filiere__sector__ministry=ministry)
            .values("organisation_id")
        )


class Organisation(models.Model):
    name = models.CharField(_("name"), max_length=200)
    acronym = models.CharField(_("acronym"), max_length=40, blank=True)
    legal_form = models.CharField(_("legal form"), max_length=20, choices=LegalForm.choices)
    rsc_number = models.CharField(_("RSC number"), max_length=60, null=True, blank=True,
                                  help_text=_("Registre des Sociétés Coopératives number."))
    rsc_date = models.DateField(_("RSC registration date"), null=True, blank=True)
    ues_number = models.CharField(_("UES register number"), max_length=60, blank=True)
    commune = models.ForeignKey(Commune, models.PROTECT, related_name="organisations",
                                verbose_name=_("commune of the seat"))
    locality = models.CharField(_("locality"), max_length=120, blank=True)
    primary_filiere = models.ForeignKey(Filiere, models.PROTECT, related_name="+",
                                        verbose_name=_("primary filière"))
    # Every filière of the organisation, the primary one included (maintained by services).
    filieres = models.ManyToManyField(Filiere, through="OrganisationFiliere",
                                      related_name="organisations", verbose_name=_("filières"))
    status = models.CharField(_("status"), max_length=20, choices=OrganisationStatus.choices,
                              default=OrganisationStatus.ACTIVE)
    members_total = models.PositiveIntegerField(_("members"), default=0)
    members_women = models.PositiveIntegerField(_("women members"), default=0)
    members_youth = models.PositiveIntegerField(_("members under 35"), default=0)
    employees = models.PositiveIntegerField(_("employees"), default=0)
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
    description = models.TextField(_("description"), blank=True)
    latitude = models.FloatField(_("latitude"), null=True, blank=True)
    longitude = models.FloatField(_("longitude"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    history = HistoricalRecords(excluded_fields=["updated_at"])
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
            models.UniqueConstraint(fields=["rsc_number"], condition=Q(rsc_number__isnull=False),
                                    name="org_rsc_number_unique",
                                    violation_error_message=_(
                                        "Another organisation already has this RSC number.")),
        ]

    def __str__(self):
        return self.name

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
        if self.rsc_number is not None:
            self.rsc_number = self.rsc_number.strip() or None
        errors = {**self._relation_errors(), **point_errors(self.latitude, self.longitude)}
        phone = normalise_phone(self.contact_phone)
        if phone is None:
            errors["contact_phone"] = PHONE_MESSAGE
        else:
            self.contact_phone = phone
        if errors:
            raise ValidationError(errors)

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

    @property
    def ministries(self):
        return Ministry.objects.filter(sectors__filieres__organisations=self).distinct()


# Constraint violation code -> the form field its message belongs next to.
CONSTRAINT_FIELDS = {
    "women_exceed_total": "members_women",
    "youth_exceed_total": "members_youth",
    "scoops_min_members": "members_total",
    "coop_ca_min_members": "members_total",
}


def _errors_on_fields(error: ValidationError) -> dict:
    moved: dict[str, list] = {}
    for key, errors in error.error_dict.items():
        for item in errors:
            moved.setdefault(CONSTRAINT_FIELDS.get(item.code, key), []).append(item)
    return moved


class OrganisationFiliere(models.Model):
    organisation = models.ForeignKey(Organisation, models.CASCADE)
    filiere = models.ForeignKey(Filiere, models.PROTECT)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organisation", "filiere"],
                                               name="org_filiere_unique")]
        indexes = [models.Index(fields=["filiere", "organisation"])]

    def __str__(self):
        return f"{self.organisation_id}:{self.filiere_id}"


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


class Reless(models.Model):
    class Status(models.TextChoices):
        IN_CREATION = "in_creation", _("In creation")
        ACTIVE = "active", _("Active")
        DORMANT = "dormant", _("Dormant")

    commune = models.OneToOneField(Commune, models.PROTECT, related_name="reless",
                                   verbose_name=_("commune"))
    name = models.CharField(_("name"), max_length=200)
    founded_on = models.DateField(_("founded on"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices,
                              default=Status.IN_CREATION)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("RELESS")
        verbose_name_plural = _("RELESS")

    def __str__(self):
        return self.name


class BureauMember(models.Model):
    class Office(models.TextChoices):
        PRESIDENT = "president", _("President")
        VICE_PRESIDENT = "vice_president", _("Vice-president")
        SECRETARY = "secretary", _("Secretary")
        TREASURER = "treasurer", _("Treasurer")
        AUDITOR = "auditor", _("Auditor")
        MEMBER = "member", _("Member")

    reless = models.ForeignKey(Reless, models.CASCADE, related_name="bureau",
                               verbose_name=_("RELESS"))
    person_name = models.CharField(_("person"), max_length=120)
    office = models.CharField(_("office"), max_length=20, choices=Office.choices)
    organisation = models.ForeignKey(Organisation, models.SET_NULL, null=True, blank=True,
                                     verbose_name=_("organisation"))
    mandate_start = models.DateField(_("mandate start"))
    mandate_end = models.DateField(_("mandate end"), null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["mandate_start", "id"]
        verbose_name = _("bureau member")
        verbose_name_plural = _("bureau members")
        constraints = [
            models.CheckConstraint(
                condition=Q(mandate_end__isnull=True) | Q(mandate_end__gte=F("mandate_start")),
                name="bureau_mandate_dates",
                violation_error_message=_("A mandate cannot end before it starts.")),
        ]

    def __str__(self):
        return f"{self.get_office_display()}: {self.person_name}"


class LinkKind(models.TextChoices):
    SHARED_EQUIPMENT = "shared_equipment", _("Shared equipment")
    JOINT_PURCHASE = "joint_purchase", _("Joint purchase")
    JOINT_SALE = "joint_sale", _("Joint sale")
    SHARED_LABEL = "shared_label", _("Shared label or brand")
    SHARED_JOBS = "shared_jobs", _("Shared jobs")
    TRAINING = "training", _("Training and information")
    SAVINGS_CREDIT = "savings_credit", _("Savings and credit")
    OTHER = "other", _("Other")


class LinkStatus(models.TextChoices):
    PROPOSED = "proposed", _("Proposed")
    CONFIRMED = "confirmed", _("Confirmed")
    ENDED = "ended", _("Ended")


class CooperationLinkQuerySet(models.QuerySet):
    def counted(self, on=None):
        """Links that count in reports: confirmed and not ended on the date (default today)."""
        on = on or timezone.localdate()
        return self.filter(status=LinkStatus.CONFIRMED).filter(
            Q(end_date__isnull=True) | Q(end_date__gt=on))


class CooperationLink(models.Model):
    source = models.ForeignKey(Organisation, models.CASCADE, related_name="links_out",
                               verbose_name=_("proposing organisation"))
    target = models.ForeignKey(Organisation, models.CASCADE, related_name="links_in",
                               verbose_name=_("partner organisation"))
    kind = models.CharField(_("kind"), max_length=20, choices=LinkKind.choices)
    status = models.CharField(_("status"), max_length=12, choices=LinkStatus.choices,
                              default=LinkStatus.PROPOSED)
    source_confirmed = models.BooleanField(_("confirmed by the proposing side"), default=False)
    target_confirmed = models.BooleanField(_("confirmed by the partner"), default=False)
    start_date = models.DateField(_("start date"), null=True, blank=True)
    end_date = models.DateField(_("end date"), null=True, blank=True)
    note = models.TextField(_("note"), blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)

    history = HistoricalRecords()
    objects = CooperationLinkQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "id"]
        verbose_name = _("cooperation link")
        verbose_name_plural = _("cooperation links")
        indexes = [
            models.Index(fields=["status", "source"]),
            models.Index(fields=["status", "target"]),
            models.Index(fields=["target"]),
        ]
        constraints = [
            models.CheckConstraint(condition=~Q(source=F("target")), name="link_no_self",
                                   violation_error_message=_(
                                       "An organisation cannot be linked to itself.")),
            models.UniqueConstraint(Least("source", "target"), Greatest("source", "target"),
                                    "kind", name="link_unique_pair_kind",
                                    violation_error_message=_(
                                        "These two organisations already have a link of this "
                                        "kind.")),
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(start_date__isnull=True)
                | Q(end_date__gte=F("start_date")),
                name="link_dates",
                violation_error_message=_("A link cannot end before it starts.")),
        ]

    def __str__(self):
        return f"{self.source} ↔ {self.target} ({self.get_kind_display()})"


class ChangeRequest(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")
        APPLIED = "applied", _("Applied automatically")

    organisation = models.ForeignKey(Organisation, models.CASCADE, related_name="change_requests",
                                     verbose_name=_("organisation"))
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT,
                                     related_name="change_requests",
                                     verbose_name=_("requested by"))
    # {field: {"old": ..., "new": ...}} with JSON-ready values.
    changes = models.JSONField(_("changes"))
    status = models.CharField(_("status"), max_length=12, choices=Status.choices,
                              default=Status.PENDING)
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True,
                                 related_name="reviewed_change_requests",
                                 verbose_name=_("reviewer"))
    reason = models.TextField(_("reason"), blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-created_at", "id"]
        verbose_name = _("change request")
        verbose_name_plural = _("change requests")
        indexes = [models.Index(fields=["status", "organisation"])]

    def __str__(self):
        return f"{self.organisation} ({self.get_status_display()})"


class Role(models.TextChoices):
    ADMIN = "admin", _("National admin")
    CTD_AGENT = "ctd_agent", _("CTD agent")
    REPRESENTATIVE = "representative", _("Cooperative representative")
    ANALYST = "analyst", _("Ministry analyst")


class RoleAssignment(models.Model):
    """What one user may do where: a CTD agent in a commune, a representative for an
    organisation, an analyst for a ministry, an admin everywhere."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE, related_name="roles",
                             verbose_name=_("user"))
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    commune = models.ForeignKey(Commune, models.CASCADE, null=True, blank=True,
                                verbose_name=_("commune"))
    organisation = models.ForeignKey(Organisation, models.CASCADE, null=True, blank=True,
                                     verbose_name=_("organisation"))
    ministry = models.ForeignKey(Ministry, models.CASCADE, null=True, blank=True,
                                 verbose_name=_("ministry"))

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("role assignment")
        verbose_name_plural = _("role assignments")
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(role="admin", commune__isnull=True, organisation__isnull=True,
                      ministry__isnull=True)
                    | Q(role="ctd_agent", commune__isnull=False, organisation__isnull=True,
                        ministry__isnull=True)
                    | Q(role="representative", organisation__isnull=False, commune__isnull=True,
                        ministry__isnull=True)
                    | Q(role="analyst", ministry__isnull=False, commune__isnull=True,
                        organisation__isnull=True)
                ),
                name="role_target_matches_role",
                violation_error_message=_(
                    "A CTD agent needs a commune, a representative an organisation, an analyst "
                    "a ministry, and an admin none of them.")),
        ]

    def __str__(self):
        target = self.commune or self.organisation or self.ministry or ""
        return f"{self.user} · {self.get_role_display()} {target}".strip()


class ImportJob(models.Model):
    """One upload of organisations into a commune's registry: checked (dry run) or imported,
    in a background task; the outcome is kept for the uploader to read later."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    uploader = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT,
                                 related_name="import_jobs", verbose_name=_("uploaded by"))
    commune = models.ForeignKey(Commune, models.PROTECT, related_name="import_jobs",
                                verbose_name=_("commune"))
    file_name = models.CharField(_("file name"), max_length=255)
    # The uploaded file, kept in the database so a worker on another host can read it;
    # emptied once a real import is done (a checked file stays, to be imported later).
    content = models.BinaryField(_("content"), blank=True)
    language = models.CharField(_("language"), max_length=8, default="fr")
    dry_run = models.BooleanField(_("dry run"), default=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices,
                              default=Status.QUEUED)
    rows_total = models.PositiveIntegerField(_("rows"), default=0)
    rows_checked = models.PositiveIntegerField(_("rows checked"), default=0)
    created_count = models.PositiveIntegerField(_("created"), default=0)
    updated_count = models.PositiveIntegerField(_("updated"), default=0)
    refused_count = models.PositiveIntegerField(_("refused"), default=0)
    # {"created": [[line, name]], "updated": [[line, id, name]], "errors": [[line, column,
    # reason]], "ignored_columns": [...], "duplicates_flagged": n}
    result = models.JSONField(_("result"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        indexes = [models.Index(fields=["uploader", "-created_at"])]

    def __str__(self):
        return f"{self.file_name} ({self.get_status_display()})"

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)


class DuplicateFlag(models.Model):
    """Two organisations of one commune that may be the same one, waiting for a CTD agent to
    merge them or dismiss the flag. A pair is flagged once: a dismissed pair stays dismissed."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        MERGED = "merged", _("Merged")
        DISMISSED = "dismissed", _("Dismissed")

    class Reason(models.TextChoices):
        NAME = "name", _("Similar names")
        RSC = "rsc", _("Same RSC number")
        PHONE = "phone", _("Same phone number")

    # The pair is stored with org_a.id < org_b.id, so it has one row whatever the order.
    org_a = models.ForeignKey(Organisation, models.CASCADE, related_name="+",
                              verbose_name=_("organisation"))
    org_b = models.ForeignKey(Organisation, models.CASCADE, related_name="+",
                              verbose_name=_("other organisation"))
    reasons = models.JSONField(_("reasons"), default=list)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices,
                              default=Status.OPEN)
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, null=True,
                                 blank=True, related_name="+", verbose_name=_("reviewer"))
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)

    class Meta:
        ordering = ["-created_at", "id"]
        verbose_name = _("possible duplicate")
        verbose_name_plural = _("possible duplicates")
        indexes = [models.Index(fields=["status", "org_a"])]
        constraints = [
            models.UniqueConstraint(fields=["org_a", "org_b"], name="dup_unique_pair"),
            models.CheckConstraint(condition=Q(org_a__lt=F("org_b")), name="dup_ordered_pair"),
        ]

    def __str__(self):
        return f"{self.org_a_id} ~ {self.org_b_id} ({self.status})"
