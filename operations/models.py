"""What operations keep in the database: the outcome of each integrity check run."""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class IntegrityCheckRun(models.Model):
    """The outcome of one run of every integrity check (operations.integrity)."""

    ran_at = models.DateTimeField(_("ran at"), default=timezone.now)
    faults = models.PositiveIntegerField(_("faults"))
    results = models.JSONField(_("results"))

    class Meta:
        ordering = ["-ran_at"]
        verbose_name = _("integrity check run")
        verbose_name_plural = _("integrity check runs")

    def __str__(self):
        return f"{self.ran_at:%Y-%m-%d %H:%M} ({self.faults})"
