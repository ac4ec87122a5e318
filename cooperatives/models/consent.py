"""Consent records of the organisations' contact persons (Law No. 2024/017): who recorded
which consent, how it was given, when it was withdrawn. The record names no person: it is
the consent of the organisation's contact person at the time."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .organisations import Organisation


class ContactConsent(models.Model):
    class Purpose(models.TextChoices):
        CONTACT = "contact", _("Be reached about the registry, the RELESS and support "
                               "programmes")

    class Method(models.TextChoices):
        PAPER = "paper", _("Paper form signed and kept at the commune")
        IN_PERSON = "in_person", _("Given in person to the CTD agent")
        ONLINE = "online", _("Given online by the organisation's representative")

    organisation = models.ForeignKey(Organisation, models.CASCADE, related_name="consents",
                                     verbose_name=_("organisation"))
    purpose = models.CharField(_("purpose"), max_length=10, choices=Purpose.choices,
                               default=Purpose.CONTACT)
    method = models.CharField(_("how it was given"), max_length=10, choices=Method.choices)
    given_on = models.DateField(_("given on"), default=timezone.localdate)
    document_reference = models.CharField(
        _("where the signed form is kept"), max_length=120, blank=True,
        help_text=_("For a paper form: the file or binder at the commune, e.g. RELESS 2026/14."))
    note = models.TextField(_("note"), blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True,
                                    related_name="+", verbose_name=_("recorded by"))
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now)
    withdrawn_on = models.DateField(_("withdrawn on"), null=True, blank=True)
    withdrawn_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True,
                                     blank=True, related_name="+",
                                     verbose_name=_("withdrawal recorded by"))

    class Meta:
        ordering = ["organisation", "-recorded_at", "-id"]
        verbose_name = _("contact's consent")
        verbose_name_plural = _("contacts' consents")
        indexes = [models.Index(fields=["organisation", "-recorded_at"],
                                name="consent_latest")]

    def __str__(self):
        return f"{self.organisation_id} {self.get_method_display()} {self.given_on}"

    @property
    def active(self) -> bool:
        return self.withdrawn_on is None
