"""Report runs: each computation of a report, for a commune or the country, with its result."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from communes.models import Commune
from cooperatives.models import ProjectTerritory
from core.json_text import JSONTextField


class ReportRun(models.Model):
    """One computation of a report for a scope: a commune, a project territory, or the country
    when both are null."""

    class Kind(models.TextChoices):
        CONVERGENCE = "convergence", _("Convergence")
        COOPERATION = "cooperation", _("Cooperation")

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    commune = models.ForeignKey(Commune, models.CASCADE, null=True, blank=True,
                                related_name="report_runs", verbose_name=_("commune"))
    territory = models.ForeignKey(ProjectTerritory, models.CASCADE, null=True, blank=True,
                                  related_name="report_runs",
                                  verbose_name=_("project territory"))
    # "national", the commune's P-code or "territory:<id>": one non-null key for constraints
    # and lookups.
    scope = models.CharField(_("scope"), max_length=16)
    year = models.PositiveSmallIntegerField(_("year"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices,
                              default=Status.QUEUED)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True,
                                     blank=True, verbose_name=_("requested by"))
    queued_at = models.DateTimeField(_("queued at"), default=timezone.now)
    # A refresh queued after an edit waits until then (the debounce), gathering later edits.
    not_before = models.DateTimeField(_("not before"), null=True, blank=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    # `json`, not `jsonb`, on PostgreSQL: written once, read whole (core.json_text).
    result = JSONTextField(_("result"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        ordering = ["-queued_at", "-id"]
        verbose_name = _("report run")
        verbose_name_plural = _("report runs")
        indexes = [models.Index(fields=["kind", "scope", "status", "-finished_at"],
                                name="reports_run_latest_idx"),
                   # A commune's latest done run of a year in one probe (reports.latest).
                   models.Index(fields=["kind", "scope", "year", "status", "-finished_at",
                                        "-id"], name="reports_run_latest_year_idx"),
                   # The runs queued since a moment (a national report's "changed since",
                   # the operations page's last day), without reading the history kept.
                   models.Index(fields=["queued_at"], name="reports_run_queued_idx"),
                   # The runs waiting or running (the sweepers, every minute).
                   models.Index(fields=["status", "queued_at"], name="reports_run_pending_idx",
                                condition=Q(status__in=["queued", "running"]))]
        constraints = [
            # Coalescing: at most one queued run per kind, scope and year.
            models.UniqueConstraint(fields=["kind", "scope", "year"],
                                    condition=Q(status="queued"),
                                    name="report_one_queued_per_scope"),
        ]

    def __str__(self):
        return f"{self.kind} {self.scope} {self.year} ({self.status})"


class YearSignoff(models.Model):
    """A commune's year on its way up the territorial chain: submitted by the CTD agent,
    approved (or returned) by the departmental then the regional reviewer, closed by the
    national admin, who alone may reopen it. Its steps are `SignoffStep` rows."""

    class State(models.TextChoices):
        # Labels read inside a sentence ("The year 2025 of commune X is closed since ...").
        OPEN = "open", pgettext_lazy("year state", "open")
        SUBMITTED = "submitted", pgettext_lazy("year state", "submitted")
        RETURNED = "returned", pgettext_lazy("year state", "returned")
        DEPARTMENT_APPROVED = ("department_approved",
                               pgettext_lazy("year state", "approved by the department"))
        APPROVED = "approved", pgettext_lazy("year state", "approved by the region")
        CLOSED = "closed", pgettext_lazy("year state", "closed")

    commune = models.ForeignKey(Commune, models.CASCADE, related_name="signoffs",
                                verbose_name=_("commune"))
    year = models.PositiveSmallIntegerField(_("year"))
    state = models.CharField(_("state"), max_length=20, choices=State.choices,
                             default=State.OPEN)
    # 1 until the admin reopens a closed year; each reopening starts the next version.
    version = models.PositiveSmallIntegerField(_("version"), default=1)

    class Meta:
        ordering = ["commune", "-year"]
        verbose_name = _("yearly sign-off")
        verbose_name_plural = _("yearly sign-offs")
        constraints = [models.UniqueConstraint(fields=["commune", "year"],
                                               name="signoff_one_per_commune_year")]

    def __str__(self):
        return f"{self.commune} {self.year} ({self.state})"

    @property
    def is_locked(self) -> bool:
        """Submitted or beyond: the year's diagnostic and interventions are frozen."""
        return self.state not in (self.State.OPEN, self.State.RETURNED)


class SignoffStep(models.Model):
    """One step of a yearly sign-off, never changed: the audit history of the chain."""

    class Action(models.TextChoices):
        SUBMIT = "submit", _("Submitted")
        APPROVE = "approve", _("Approved")
        RETURN = "return", _("Returned")
        CLOSE = "close", _("Closed")
        REOPEN = "reopen", _("Reopened")

    signoff = models.ForeignKey(YearSignoff, models.CASCADE, related_name="steps",
                                verbose_name=_("yearly sign-off"))
    action = models.CharField(_("action"), max_length=10, choices=Action.choices)
    state = models.CharField(_("state reached"), max_length=20,
                             choices=YearSignoff.State.choices)
    version = models.PositiveSmallIntegerField(_("version"))
    by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+",
                           verbose_name=_("by"))
    at = models.DateTimeField(_("at"), default=timezone.now)
    reason = models.TextField(_("reason"), blank=True)
    # The checklist as computed at submission: [{"code", "ok", "blocking", "count"}].
    checklist = models.JSONField(_("checklist"), null=True, blank=True)

    class Meta:
        ordering = ["signoff", "id"]
        verbose_name = _("sign-off step")
        verbose_name_plural = _("sign-off steps")

    def __str__(self):
        return f"{self.signoff} {self.action} {self.at:%Y-%m-%d}"


class FrozenReport(models.Model):
    """A closed year's report for its commune, computed at the closure on the year's registry
    (the `FrozenRegistry` of the same version): never changed. A reopening and a new
    closure store the next version; earlier ones are kept."""

    signoff = models.ForeignKey(YearSignoff, models.CASCADE, related_name="frozen_reports",
                                verbose_name=_("yearly sign-off"))
    version = models.PositiveSmallIntegerField(_("version"))
    kind = models.CharField(_("kind"), max_length=20, choices=ReportRun.Kind.choices)
    # Computed at the closure on the registry snapshot (earlier copies named the run they
    # copied, kept as a plain id: runs may be pruned, the copy stays).
    run_id = models.PositiveIntegerField(_("run"), null=True, blank=True)
    computed_at = models.DateTimeField(_("computed at"))
    frozen_at = models.DateTimeField(_("frozen at"), default=timezone.now)
    result = models.JSONField(_("result"))

    class Meta:
        ordering = ["signoff", "-version", "kind"]
        verbose_name = _("frozen report")
        verbose_name_plural = _("frozen reports")
        constraints = [models.UniqueConstraint(fields=["signoff", "version", "kind"],
                                               name="frozen_one_per_version_kind")]

    def __str__(self):
        return f"{self.signoff} {self.kind} v{self.version}"


class FrozenRegistry(models.Model):
    """A closed year's registry of its commune, as it stood on the day the year's reports
    describe (31 December, or the closing day for a year closed before its end): its
    organisations with their status, members and filières, and the links touching them.
    Never changed; a reopening and a new closure store the next version."""

    signoff = models.ForeignKey(YearSignoff, models.CASCADE, related_name="frozen_registries",
                                verbose_name=_("yearly sign-off"))
    version = models.PositiveSmallIntegerField(_("version"))
    day = models.DateField(_("day described"))
    frozen_at = models.DateTimeField(_("frozen at"), default=timezone.now)
    # [{"id", "name", "legal_form", "status", "members", "women", "youth", "employees",
    #   "primary_filiere", "filieres": [codes], "union": id or null}], sorted by id.
    organisations = models.JSONField(_("organisations"))
    # [{"id", "source", "target", "kind", "status", "start", "end", "counted"}], sorted by id.
    links = models.JSONField(_("links"))

    class Meta:
        ordering = ["signoff", "-version"]
        verbose_name = _("frozen registry")
        verbose_name_plural = _("frozen registries")
        constraints = [models.UniqueConstraint(fields=["signoff", "version"],
                                               name="frozen_registry_one_per_version")]

    def __str__(self):
        return f"{self.signoff} registry v{self.version}"
