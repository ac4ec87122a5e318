"""A commune's RELESS and its bureau; cooperation links between organisations."""

from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Greatest, Least
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from communes.models import Commune

from .organisations import Organisation


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


def link_counted_on(on) -> Q:
    """The condition for a link (or a link's history record) to count on day `on`."""
    return (Q(status=LinkStatus.CONFIRMED) & (Q(start_date__isnull=True) | Q(start_date__lte=on))
            & (Q(end_date__isnull=True) | Q(end_date__gt=on)))


class CooperationLinkQuerySet(models.QuerySet):
    def counted(self, on=None):
        """Links that count in reports on the date (default today): confirmed, started
        (start date empty or on or before it) and not ended (end date empty or after it)."""
        return self.filter(link_counted_on(on or timezone.localdate()))


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
