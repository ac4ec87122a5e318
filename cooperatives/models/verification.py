"""Verification visits: a CTD agent went to see whether an organisation really exists
(proof of existence). A visit is a dated record of what was found; it is never edited. The
organisation keeps its latest visit's date and outcome (`Organisation.last_verified_on`,
`last_verification_outcome`), maintained by cooperatives.verification in the same
transaction, so lists and filters read them without a join."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .organisations import Organisation, VerificationOutcome


class VerificationVisit(models.Model):
    Outcome = VerificationOutcome

    organisation = models.ForeignKey(Organisation, models.CASCADE, related_name="verifications",
                                     verbose_name=_("organisation"))
    visited_on = models.DateField(_("visited on"))
    outcome = models.CharField(_("outcome"), max_length=12, choices=VerificationOutcome.choices)
    # Where the organisation now is, for a "moved" outcome (the profile is not changed: the
    # agent edits it if the move is confirmed).
    new_locality = models.CharField(_("new locality"), max_length=120, blank=True)
    # The point of the agent's phone during the visit (optional).
    latitude = models.FloatField(_("latitude"), null=True, blank=True)
    longitude = models.FloatField(_("longitude"), null=True, blank=True)
    note = models.TextField(_("note"), blank=True)
    visited_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True,
                                   related_name="+", verbose_name=_("recorded by"))
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now)

    class Meta:
        ordering = ["organisation", "-visited_on", "-id"]
        verbose_name = _("verification visit")
        verbose_name_plural = _("verification visits")
        indexes = [models.Index(fields=["organisation", "-visited_on", "-id"],
                                name="verification_latest")]

    def __str__(self):
        return f"{self.organisation_id} {self.visited_on} {self.outcome}"
