"""Exports too large for one request: written to a file by a background task (the `exports`
queue), followed on a page that refreshes itself, downloaded by their owner only."""

import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


def _token() -> str:
    return secrets.token_urlsafe(16)


class ExportJob(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    class Kind(models.TextChoices):
        ORGANISATIONS = "organisations", _("Organisations (export)")
        LIST = "list", _("Organisations (registry list)")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE,
                             related_name="export_jobs", verbose_name=_("user"))
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    fmt = models.CharField(_("format"), max_length=8)
    # The request's query (filters) as a list of [key, value], the commune's P-code of a
    # commune's list, the path and language of the request.
    params = models.JSONField(_("parameters"), default=dict)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices,
                              default=Status.QUEUED)
    rows_done = models.PositiveIntegerField(_("rows written"), default=0)
    rows_total = models.PositiveIntegerField(_("rows"), default=0)
    # The file's name under settings.EXPORT_DIR (a random part: never guessed from the id).
    file_name = models.CharField(_("file"), max_length=120, blank=True)
    download_name = models.CharField(_("download name"), max_length=120, blank=True)
    token = models.CharField(max_length=40, default=_token, editable=False)
    error = models.TextField(_("error"), blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("export")
        verbose_name_plural = _("exports")
        indexes = [models.Index(fields=["user", "-created_at"])]

    def __str__(self):
        return f"{self.kind}.{self.fmt} #{self.pk} ({self.status})"

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)

    @property
    def percent(self) -> int:
        if self.status == self.Status.DONE:
            return 100
        return min(99, self.rows_done * 100 // self.rows_total) if self.rows_total else 0
