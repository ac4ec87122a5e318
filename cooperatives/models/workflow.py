"""Who may do what where (roles), and the work queued around the registry: change
requests, import jobs, duplicate flags."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from communes.models import Commune, Department, Region
from sectors.models import Ministry

from .organisations import Organisation


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
    DEPARTMENT_REVIEWER = "department_reviewer", _("Departmental reviewer")
    REGION_REVIEWER = "region_reviewer", _("Regional reviewer")


ROLE_TARGETS = ("commune", "organisation", "ministry", "department", "region")


def _targets(given: str | None = None) -> dict:
    """The lookups saying a role row names `given` and none of the other targets."""
    return {f"{name}__isnull": name != given for name in ROLE_TARGETS}


class RoleAssignment(models.Model):
    """What one user may do where: a CTD agent in a commune, a representative for an
    organisation, an analyst for a ministry, a reviewer (MINPMEESA's departmental or regional
    delegation) for a department or a region, an admin everywhere."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE, related_name="roles",
                             verbose_name=_("user"))
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    commune = models.ForeignKey(Commune, models.CASCADE, null=True, blank=True,
                                verbose_name=_("commune"))
    organisation = models.ForeignKey(Organisation, models.CASCADE, null=True, blank=True,
                                     verbose_name=_("organisation"))
    ministry = models.ForeignKey(Ministry, models.CASCADE, null=True, blank=True,
                                 verbose_name=_("ministry"))
    department = models.ForeignKey(Department, models.CASCADE, null=True, blank=True,
                                   verbose_name=_("department"))
    region = models.ForeignKey(Region, models.CASCADE, null=True, blank=True,
                               verbose_name=_("region"))

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("role assignment")
        verbose_name_plural = _("role assignments")
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(role="admin", **_targets())
                    | Q(role="ctd_agent", **_targets("commune"))
                    | Q(role="representative", **_targets("organisation"))
                    | Q(role="analyst", **_targets("ministry"))
                    | Q(role="department_reviewer", **_targets("department"))
                    | Q(role="region_reviewer", **_targets("region"))
                ),
                name="role_target_matches_role",
                violation_error_message=_(
                    "A CTD agent needs a commune, a representative an organisation, an analyst "
                    "a ministry, a departmental reviewer a department, a regional reviewer a "
                    "region, and an admin none of them.")),
        ]

    def __str__(self):
        target = (self.commune or self.organisation or self.ministry or self.department
                  or self.region or "")
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
        UES = "ues", _("Same UES register number")

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
