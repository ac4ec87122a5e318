"""Support programmes around cooperatives and the organisations they enrol.

A programme is owned by a ministry, a commune or a named partner (REMCESS, a development
partner), has a kind (training, technical support, equipment, credit or grant, incentive
scheme, territorial convention), dates, a budget and the communes it covers. An enrolment
records that an organisation took part, with its dates and outcome. Enrolling an organisation
adds its commune to the programme's communes (support.services), so "the programme covers
the commune" is the one rule that scopes reads and feeds the convergence report.
"""

from django.conf import settings
from django.db import models
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from communes.models import Commune
from cooperatives.models import Organisation
from core.years import running_during
from sectors.models import Ministry


class ProgrammeQuerySet(models.QuerySet):
    def overlapping_year(self, year: int):
        """Programmes running during calendar year `year` (the interventions' rule)."""
        return self.filter(running_during(year))

    def covering(self, commune_ids):
        """Programmes that list one of these communes (ids) among their communes."""
        covered = Programme.communes.through.objects.filter(
            programme_id=OuterRef("pk"), commune_id__in=commune_ids)
        return self.filter(Exists(covered))


class Programme(models.Model):
    class OwnerType(models.TextChoices):
        MINISTRY = "ministry", _("Ministry")
        COMMUNE = "commune", _("Commune")
        PARTNER = "partner", _("Partner")

    class Kind(models.TextChoices):
        TRAINING = "training", _("Training")
        TECHNICAL = "technical", _("Technical support")
        EQUIPMENT = "equipment", _("Equipment")
        FINANCE = "finance", _("Credit or grant")
        INCENTIVE = "incentive", _("Incentive scheme")
        CONVENTION = "convention", _("Territorial convention")

    name = models.CharField(_("name"), max_length=200)
    owner_type = models.CharField(_("owner type"), max_length=10, choices=OwnerType.choices)
    ministry = models.ForeignKey(Ministry, models.PROTECT, null=True, blank=True,
                                 related_name="programmes", verbose_name=_("ministry"))
    owner_commune = models.ForeignKey(Commune, models.PROTECT, null=True, blank=True,
                                      related_name="owned_programmes",
                                      verbose_name=_("owner commune"))
    partner = models.CharField(_("partner"), max_length=200, blank=True,
                               help_text=_("REMCESS, a development partner, an NGO..."))
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    start_date = models.DateField(_("start date"))
    end_date = models.DateField(_("end date"), null=True, blank=True)
    budget = models.PositiveBigIntegerField(_("budget (FCFA)"), default=0)
    communes = models.ManyToManyField(Commune, blank=True, related_name="support_programmes",
                                      verbose_name=_("communes covered"))
    description = models.TextField(_("description"), blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True,
                                    blank=True, related_name="+", verbose_name=_("recorded by"))
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)

    history = HistoricalRecords(m2m_fields=[communes])
    objects = ProgrammeQuerySet.as_manager()

    class Meta:
        ordering = ["-start_date", "id"]
        verbose_name = _("support programme")
        verbose_name_plural = _("support programmes")
        indexes = [models.Index(fields=["ministry", "start_date"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=F("start_date")),
                name="programme_dates",
                violation_error_message=_("A programme cannot end before it starts.")),
            models.CheckConstraint(
                condition=(Q(owner_type="ministry", ministry__isnull=False,
                             owner_commune__isnull=True, partner="")
                           | Q(owner_type="commune", ministry__isnull=True,
                               owner_commune__isnull=False, partner="")
                           | (Q(owner_type="partner", ministry__isnull=True,
                                owner_commune__isnull=True) & ~Q(partner=""))),
                name="programme_one_owner",
                violation_error_message=_(
                    "A programme has one owner: a ministry, a commune or a named partner.")),
        ]

    def __str__(self):
        return f"{self.name} ({self.owner_name})"

    @property
    def owner_name(self) -> str:
        """The owner as people name it: the ministry's acronym, the commune's or partner's
        name (the ministry or commune must be loaded with the programme)."""
        if self.owner_type == self.OwnerType.MINISTRY:
            return self.ministry.acronym if self.ministry_id else ""
        if self.owner_type == self.OwnerType.COMMUNE:
            return self.owner_commune.name if self.owner_commune_id else ""
        return self.partner


class EnrolmentQuerySet(models.QuerySet):
    def overlapping_year(self, year: int):
        """Enrolments whose dates overlap calendar year `year` (no end date: still enrolled)."""
        return self.filter(running_during(year))


class Enrolment(models.Model):
    class Outcome(models.TextChoices):
        ONGOING = "ongoing", _("Ongoing")
        COMPLETED = "completed", _("Completed")
        DROPPED = "dropped", _("Dropped out")

    programme = models.ForeignKey(Programme, models.PROTECT, related_name="enrolments",
                                  verbose_name=_("programme"))
    organisation = models.ForeignKey(Organisation, models.PROTECT, related_name="enrolments",
                                     verbose_name=_("organisation"))
    start_date = models.DateField(_("enrolled on"))
    end_date = models.DateField(_("left on"), null=True, blank=True)
    outcome = models.CharField(_("outcome"), max_length=10, choices=Outcome.choices,
                               default=Outcome.ONGOING)
    note = models.CharField(_("outcome note"), max_length=300, blank=True,
                            help_text=_("What the organisation got: members trained, "
                                        "equipment received, amount granted..."))
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True,
                                    blank=True, related_name="+", verbose_name=_("recorded by"))
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)

    history = HistoricalRecords()
    objects = EnrolmentQuerySet.as_manager()

    class Meta:
        ordering = ["-start_date", "id"]
        verbose_name = _("enrolment")
        verbose_name_plural = _("enrolments")
        constraints = [
            models.UniqueConstraint(fields=["programme", "organisation"],
                                    name="enrolment_once_per_programme",
                                    violation_error_message=_(
                                        "This organisation is already enrolled in this "
                                        "programme.")),
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=F("start_date")),
                name="enrolment_dates",
                violation_error_message=_("An enrolment cannot end before it starts.")),
        ]

    def __str__(self):
        return f"{self.organisation_id} · {self.programme_id}"
