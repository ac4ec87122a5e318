"""Project territories ("territoires de projet", issue 19): a named group of communes that may
cross department and region lines (a value chain, a basin, an intercommunal syndicate),
with its members over time. Definitions: docs/project-territories.md."""

import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from communes.models import Commune
from sectors.models import Filiere


class TerritoryQuerySet(models.QuerySet):
    def active(self) -> "TerritoryQuerySet":
        """Territories every member commune confirmed (or the admin created)."""
        return self.filter(status=ProjectTerritory.Status.ACTIVE)

    def with_member(self, commune_ids, on: datetime.date | None = None) -> "TerritoryQuerySet":
        """Territories having one of `commune_ids` as a member on `on` (today)."""
        day = on or timezone.localdate()
        return self.filter(pk__in=TerritoryMembership.objects.current(day).filter(
            commune_id__in=commune_ids).values("territory_id"))


class ProjectTerritory(models.Model):
    """A named group of communes (a territory "de projet"), beside the administrative ones."""

    class Purpose(models.TextChoices):
        VALUE_CHAIN = "value_chain", _("Value chain")
        BASIN = "basin", _("Basin")
        SYNDICATE = "syndicate", _("Intercommunal syndicate")
        OTHER = "other", _("Other")

    class Status(models.TextChoices):
        PROPOSED = "proposed", _("Proposed")
        ACTIVE = "active", _("Active")
        ARCHIVED = "archived", _("Archived")

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=200)
    purpose = models.CharField(_("purpose"), max_length=20, choices=Purpose.choices)
    filiere = models.ForeignKey(Filiere, models.PROTECT, null=True, blank=True,
                                related_name="project_territories",
                                verbose_name=_("filière focus"))
    description = models.TextField(_("description"), blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices,
                              default=Status.PROPOSED)
    proposed_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True,
                                    blank=True, related_name="+",
                                    verbose_name=_("proposed by"))
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    history = HistoricalRecords()
    objects = TerritoryQuerySet.as_manager()

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("project territory")
        verbose_name_plural = _("project territories")

    def __str__(self):
        return self.name

    @property
    def scope(self) -> str:
        """The key of its report runs (`ReportRun.scope`)."""
        return f"territory:{self.pk}"


class MembershipQuerySet(models.QuerySet):
    def current(self, day: datetime.date) -> "MembershipQuerySet":
        """Memberships of `day`: started on or before it, not ended (end empty or after)."""
        return self.filter(Q(start__lte=day), Q(end__isnull=True) | Q(end__gt=day))


class TerritoryMembership(models.Model):
    """A commune's membership of a project territory, from `start` until `end` (excluded)."""

    territory = models.ForeignKey(ProjectTerritory, models.CASCADE, related_name="memberships",
                                  verbose_name=_("project territory"))
    commune = models.ForeignKey(Commune, models.PROTECT, related_name="territory_memberships",
                                verbose_name=_("commune"))
    # Optional: when only some localities of the commune are in the territory.
    localities = models.CharField(_("localities"), max_length=300, blank=True)
    start = models.DateField(_("member since"))
    end = models.DateField(_("member until"), null=True, blank=True)
    confirmed_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True,
                                     blank=True, related_name="+",
                                     verbose_name=_("confirmed by"))
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)

    history = HistoricalRecords()
    objects = MembershipQuerySet.as_manager()

    class Meta:
        ordering = ["territory", "commune__pcode", "start"]
        verbose_name = _("territory membership")
        verbose_name_plural = _("territory memberships")
        constraints = [
            models.CheckConstraint(condition=Q(end__isnull=True) | Q(end__gt=models.F("start")),
                                   name="territory_membership_end_after_start"),
        ]

    def __str__(self):
        return f"{self.territory} / {self.commune}"

    @property
    def confirmed(self) -> bool:
        return self.confirmed_at is not None
