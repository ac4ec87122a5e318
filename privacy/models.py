"""Requests of people about their data, and the erasures done (replayed after a restore)."""

import datetime

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from communes.models import Commune

# Days the law gives to answer a request (settings.PERSONAL_DATA_REQUEST_DAYS overrides).
DEFAULT_REQUEST_DAYS = 30


def default_due_on() -> datetime.date:
    days = getattr(settings, "PERSONAL_DATA_REQUEST_DAYS", DEFAULT_REQUEST_DAYS)
    return timezone.localdate() + datetime.timedelta(days=days)


class RightsRequest(models.Model):
    """A person's request, recorded by the CTD agent or the national admin who received it.
    `subject` says whose data without repeating it ("contact person of COOP X")."""

    class Kind(models.TextChoices):
        ACCESS = "access", _("See my data (export)")
        RECTIFICATION = "rectification", _("Correct my data")
        ERASURE = "erasure", _("Erase my data")
        WITHDRAWAL = "withdrawal", _("Withdraw my consent")

    class Status(models.TextChoices):
        OPEN = "open", _("open")
        DONE = "done", _("done")
        REFUSED = "refused", _("refused")

    commune = models.ForeignKey(Commune, models.PROTECT, null=True, blank=True,
                                related_name="+", verbose_name=_("commune"))
    kind = models.CharField(_("request"), max_length=14, choices=Kind.choices)
    subject = models.CharField(_("whose data"), max_length=200)
    # Records the request concerns: [{"entry": register code, "model": label, "id": pk}].
    targets = models.JSONField(_("records concerned"), default=list)
    received_on = models.DateField(_("received on"), default=timezone.localdate)
    due_on = models.DateField(_("answer due by"), default=default_due_on)
    status = models.CharField(_("status"), max_length=8, choices=Status.choices,
                              default=Status.OPEN)
    outcome = models.TextField(_("what was done"), blank=True)
    refusal_reason = models.TextField(_("legal reason of the refusal"), blank=True)
    note = models.TextField(_("note"), blank=True)
    handled_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True,
                                   related_name="+", verbose_name=_("handled by"))
    created_at = models.DateTimeField(_("recorded at"), default=timezone.now)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    class Meta:
        ordering = ["-received_on", "-id"]
        verbose_name = _("request about personal data")
        verbose_name_plural = _("requests about personal data")

    def __str__(self):
        return f"{self.get_kind_display()}: {self.subject}"

    @property
    def late(self) -> bool:
        return self.status == self.Status.OPEN and timezone.localdate() > self.due_on


class Erasure(models.Model):
    """One record's fields erased: what `restore` replays. It holds no erased value."""

    class Cause(models.TextChoices):
        REQUEST = "request", _("request of the person")
        RETENTION = "retention", _("end of the retention period")

    entry = models.CharField(_("register entry"), max_length=40)
    model = models.CharField(_("model"), max_length=60)
    object_id = models.PositiveBigIntegerField(_("record"))
    fields = models.JSONField(_("fields"))
    cause = models.CharField(_("cause"), max_length=10, choices=Cause.choices)
    request = models.ForeignKey(RightsRequest, models.SET_NULL, null=True, blank=True,
                                related_name="erasures", verbose_name=_("request"))
    done_at = models.DateTimeField(_("done at"), default=timezone.now)

    class Meta:
        ordering = ["done_at", "id"]
        verbose_name = _("erasure")
        verbose_name_plural = _("erasures")
        indexes = [models.Index(fields=["model", "object_id"], name="erasure_record")]

    def __str__(self):
        return f"{self.model} {self.object_id} {', '.join(self.fields)}"

    @property
    def pseudonym(self) -> str:
        """What replaces the value in history rows: says that a value was erased, not which."""
        return f"[erased #{self.pk}]"
