"""Changes made offline and sent by the client's outbox (docs/offline-sync.md)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from communes.models import Commune


class SyncChange(models.Model):
    """One outbox item, received once: its id is the client's UUID, so a repeat is answered
    from `result` without applying anything again. A conflict keeps every value the client
    sent until someone resolves it on /offline/conflicts/<id>/."""

    class Kind(models.TextChoices):
        ORGANISATION_CREATE = "organisation.create", _("New organisation")
        ORGANISATION_UPDATE = "organisation.update", _("Organisation edit")
        REGISTRY_EVENT_ADD = "registry_event.add", _("Registry event")
        DIAGNOSTIC_ENTRY_ADD = "diagnostic_entry.add", _("Diagnostic need")
        LINK_PROPOSE = "link.propose", _("Link proposal")
        CHANGE_REQUEST_SUBMIT = "change_request.submit", _("Change proposal")
        VERIFICATION_ADD = "verification.add", _("Verification visit")

    class Status(models.TextChoices):
        APPLIED = "applied", _("applied")
        MERGED = "merged", _("merged")
        CONFLICT = "conflict", _("conflict")
        INVALID = "invalid", _("invalid")
        REFUSED = "refused", _("refused")
        RESOLVED = "resolved", _("resolved")

    id = models.UUIDField(primary_key=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE,
                             related_name="sync_changes", verbose_name=_("sent by"))
    kind = models.CharField(_("kind"), max_length=24, choices=Kind.choices)
    target_id = models.BigIntegerField(_("target"), null=True, blank=True)
    commune = models.ForeignKey(Commune, models.PROTECT, null=True, blank=True,
                                related_name="+", verbose_name=_("commune"))
    version = models.CharField(_("version"), max_length=64, blank=True)
    # The form as loaded (base) and as sent (values), in the browser's POST encoding.
    base = models.JSONField(_("form as loaded"), default=dict, blank=True)
    values = models.JSONField(_("form as sent"), default=dict, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices)
    result = models.JSONField(_("result"), default=dict, blank=True)
    errors = models.JSONField(_("errors"), default=dict, blank=True)
    # {field: {"base", "theirs", "mine"}} for each field changed on both sides.
    conflicts = models.JSONField(_("conflicting fields"), default=dict, blank=True)
    received_at = models.DateTimeField(_("received at"), auto_now_add=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    resolved_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True,
                                    blank=True, related_name="+",
                                    verbose_name=_("resolved by"))

    class Meta:
        verbose_name = _("offline change")
        verbose_name_plural = _("offline changes")
        indexes = [models.Index(fields=["status", "commune"], name="offline_status_commune")]

    def __str__(self):
        return f"{self.kind} {self.id}"
