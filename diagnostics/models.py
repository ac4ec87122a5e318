"""Territorial diagnostics on the PCD grid, and ministries' interventions in communes."""

from django.conf import settings
from django.db import models
from django.db.models import F, OuterRef, Q, Subquery
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from communes.models import Commune
from cooperatives.models import Organisation
from core.years import running_during
from sectors.models import Filiere, Ministry, Sector


class DiagnosticQuerySet(models.QuerySet):
    def validated(self):
        """Validated diagnostics only (drafts never feed reports)."""
        return self.filter(status=TerritorialDiagnostic.Status.VALIDATED)

    def selected_for(self, year: int):
        """The diagnostic that counts for `year`, one per commune: the commune's latest
        validated one with year <= `year` (drafts never count; the latest id would break a
        tie of years). Chainable: `.filter(commune=c).first()` for one commune."""
        latest = (TerritorialDiagnostic.objects.validated()
                  .filter(commune=OuterRef("commune"), year__lte=year)
                  .order_by("-year", "-id").values("id")[:1])
        return self.validated().filter(year__lte=year, id=Subquery(latest))


class TerritorialDiagnostic(models.Model):
    class Source(models.TextChoices):
        PCD = "pcd", _("Communal development plan (PCD)")
        RELESS_MAPPING = "reless_mapping", _("RELESS mapping")
        OTHER = "other", _("Other")

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        VALIDATED = "validated", _("Validated")

    commune = models.ForeignKey(Commune, models.PROTECT, related_name="diagnostics",
                                verbose_name=_("commune"))
    year = models.PositiveSmallIntegerField(_("year"))
    source = models.CharField(_("source"), max_length=20, choices=Source.choices,
                              default=Source.PCD)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices,
                              default=Status.DRAFT)
    validated_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, null=True,
                                     blank=True, related_name="+", verbose_name=_("validated by"))
    validated_at = models.DateTimeField(_("validated at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)

    history = HistoricalRecords()
    objects = DiagnosticQuerySet.as_manager()

    class Meta:
        ordering = ["commune", "-year", "-id"]
        verbose_name = _("territorial diagnostic")
        verbose_name_plural = _("territorial diagnostics")
        constraints = [
            models.UniqueConstraint(fields=["commune", "year"], condition=Q(status="validated"),
                                    name="diag_one_validated_per_year",
                                    violation_error_message=_(
                                        "This commune already has a validated diagnostic for "
                                        "this year.")),
        ]

    def __str__(self):
        return f"{self.commune} {self.year} ({self.get_status_display()})"

    @property
    def is_editable(self) -> bool:
        return self.status == self.Status.DRAFT


class Level(models.TextChoices):
    VILLAGE = "village", _("Village or quarter")
    URBAN = "urban", _("Urban space")
    INSTITUTION = "institution", _("Commune institution")


class DiagnosticEntry(models.Model):
    diagnostic = models.ForeignKey(TerritorialDiagnostic, models.CASCADE, related_name="entries",
                                   verbose_name=_("diagnostic"))
    sector = models.ForeignKey(Sector, models.PROTECT, verbose_name=_("sector"))
    level = models.CharField(_("level"), max_length=12, choices=Level.choices,
                             default=Level.VILLAGE)
    locality = models.CharField(_("locality"), max_length=120, blank=True)
    problem = models.TextField(_("problem"), blank=True)
    potentials = models.TextField(_("potentials"), blank=True)
    need = models.TextField(_("need"))
    priority_rank = models.PositiveSmallIntegerField(_("priority rank"))

    history = HistoricalRecords()

    class Meta:
        ordering = ["sector__code", "priority_rank", "id"]
        verbose_name = _("diagnostic entry")
        verbose_name_plural = _("diagnostic entries")
        indexes = [models.Index(fields=["diagnostic", "sector"])]
        constraints = [
            models.UniqueConstraint(fields=["diagnostic", "sector", "priority_rank"],
                                    name="entry_rank_unique_in_sector",
                                    violation_error_message=_(
                                        "This priority rank is already used in this sector.")),
            models.CheckConstraint(condition=Q(priority_rank__gte=1), name="entry_rank_positive",
                                   violation_error_message=_("The priority rank starts at 1.")),
        ]

    def __str__(self):
        return self.need[:60]

    @property
    def is_priority(self) -> bool:
        return self.priority_rank <= 3


class ProjectIdea(models.Model):
    class Status(models.TextChoices):
        IDEA = "idea", _("Idea")
        PLANNED = "planned", _("Planned")
        FUNDED = "funded", _("Funded")
        DONE = "done", _("Done")
        ABANDONED = "abandoned", _("Abandoned")

    diagnostic = models.ForeignKey(TerritorialDiagnostic, models.CASCADE,
                                   related_name="project_ideas", verbose_name=_("diagnostic"))
    sector = models.ForeignKey(Sector, models.PROTECT, null=True, blank=True,
                               verbose_name=_("sector"))
    title = models.CharField(_("title"), max_length=200)
    locality = models.CharField(_("locality"), max_length=120, blank=True)
    cost_estimate = models.PositiveBigIntegerField(_("cost estimate (FCFA)"), null=True,
                                                   blank=True)
    rank = models.PositiveSmallIntegerField(_("rank"), default=1)
    year = models.PositiveSmallIntegerField(_("year"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices,
                              default=Status.IDEA)

    history = HistoricalRecords()

    class Meta:
        ordering = ["rank", "id"]
        verbose_name = _("project idea")
        verbose_name_plural = _("project ideas")
        constraints = [
            models.CheckConstraint(condition=Q(cost_estimate__isnull=True)
                                   | Q(cost_estimate__gte=0), name="idea_cost_non_negative",
                                   violation_error_message=_("A cost cannot be negative.")),
        ]

    def __str__(self):
        return self.title


class DiagnosticActor(models.Model):
    class Kind(models.TextChoices):
        PUBLIC = "public", _("Public service")
        COMMUNITY = "community", _("Community organisation")
        PRIVATE = "private", _("Private company")
        NGO = "ngo", _("NGO or partner")
        TRADITIONAL = "traditional", _("Traditional authority")
        OTHER = "other", _("Other")

    diagnostic = models.ForeignKey(TerritorialDiagnostic, models.CASCADE, related_name="actors",
                                   verbose_name=_("diagnostic"))
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices, default=Kind.OTHER)
    sector = models.ForeignKey(Sector, models.PROTECT, null=True, blank=True,
                               verbose_name=_("sector"))
    role = models.CharField(_("role"), max_length=200, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("actor")
        verbose_name_plural = _("actors")

    def __str__(self):
        return self.name


class TerritorialResource(models.Model):
    class Kind(models.TextChoices):
        HUMAN = "human", _("Human")
        COGNITIVE = "cognitive", _("Cognitive")
        SOCIAL = "social", _("Social")
        FINANCIAL = "financial", _("Financial")
        NATURAL = "natural", _("Natural")

    diagnostic = models.ForeignKey(TerritorialDiagnostic, models.CASCADE,
                                   related_name="resources", verbose_name=_("diagnostic"))
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    description = models.TextField(_("description"))

    history = HistoricalRecords()

    class Meta:
        ordering = ["kind", "id"]
        verbose_name = _("territorial resource")
        verbose_name_plural = _("territorial resources")

    def __str__(self):
        return f"{self.get_kind_display()}: {self.description[:50]}"


class InterventionQuerySet(models.QuerySet):
    def overlapping_year(self, year: int):
        """Interventions whose dates overlap calendar year `year` (no end date: still running)."""
        return self.filter(running_during(year))


class Intervention(models.Model):
    ministry = models.ForeignKey(Ministry, models.PROTECT, related_name="interventions",
                                 verbose_name=_("ministry"))
    commune = models.ForeignKey(Commune, models.PROTECT, related_name="interventions",
                                verbose_name=_("commune"))
    programme = models.CharField(_("programme"), max_length=200)
    filiere = models.ForeignKey(Filiere, models.PROTECT, null=True, blank=True,
                                verbose_name=_("filière"))
    sector = models.ForeignKey(Sector, models.PROTECT, null=True, blank=True,
                               verbose_name=_("sector"))
    start_date = models.DateField(_("start date"))
    end_date = models.DateField(_("end date"), null=True, blank=True)
    budget = models.PositiveBigIntegerField(_("budget (FCFA)"), default=0)
    beneficiaries = models.ManyToManyField(Organisation, blank=True,
                                           related_name="interventions",
                                           verbose_name=_("beneficiary organisations"))
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True,
                                    blank=True, related_name="+", verbose_name=_("recorded by"))
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)

    history = HistoricalRecords(m2m_fields=[beneficiaries])
    objects = InterventionQuerySet.as_manager()

    class Meta:
        ordering = ["-start_date", "id"]
        verbose_name = _("intervention")
        verbose_name_plural = _("interventions")
        indexes = [models.Index(fields=["commune", "ministry"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=F("start_date")),
                name="intervention_dates",
                violation_error_message=_("An intervention cannot end before it starts.")),
        ]

    def __str__(self):
        return f"{self.ministry} · {self.programme}"

