"""Report runs: each computation of a report, for a commune or the country, with its result."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from communes.models import Commune


class ReportRun(models.Model):
    """One computation of a report for a scope (a commune, or the country when commune is null)."""

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
    # "national" or the commune's P-code: one non-null key for constraints and lookups.
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
    result = models.JSONField(_("result"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        ordering = ["-queued_at", "-id"]
        verbose_name = _("report run")
        verbose_name_plural = _("report runs")
        indexes = [models.Index(fields=["kind", "scope", "status", "-finished_at"],
                                name="reports_run_latest_idx")]
        constraints = [
            # Coalescing: at most one queued run per kind, scope and year.
            models.UniqueConstraint(fields=["kind", "scope", "year"],
                                    condition=Q(status="queued"),
                                    name="report_one_queued_per_scope"),
        ]

    def __str__(self):
        return f"{self.kind} {self.scope} {self.year} ({self.status})"
