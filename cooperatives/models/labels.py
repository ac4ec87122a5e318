"""Labels and certifications an organisation holds (organic, fair trade, a geographical
indication, a collective mark…), each with who grants it, its number and its validity."""

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from .organisations import Organisation


class LabelKind(models.TextChoices):
    ORGANIC = "organic", _("Organic farming")
    FAIR_TRADE = "fair_trade", _("Fair trade")
    GEOGRAPHICAL_INDICATION = "geographical_indication", _("Geographical indication (OAPI)")
    COLLECTIVE_MARK = "collective_mark", _("Collective mark or label")
    SUSTAINABILITY = "sustainability", _("Sustainability certification")
    OTHER = "other", _("Other label or certification")


class LabelQuerySet(models.QuerySet):
    def valid_on(self, day):
        """Labels whose validity covers the day (open ends count as covering it)."""
        return self.filter(Q(valid_from__isnull=True) | Q(valid_from__lte=day),
                           Q(valid_until__isnull=True) | Q(valid_until__gte=day))


class OrganisationLabel(models.Model):
    organisation = models.ForeignKey(Organisation, models.CASCADE, related_name="labels",
                                     verbose_name=_("organisation"))
    kind = models.CharField(_("kind"), max_length=30, choices=LabelKind.choices)
    name = models.CharField(_("label"), max_length=120, blank=True,
                            help_text=_("For example Poivre de Penja, Miel blanc d'Oku."))
    certifier = models.CharField(_("granted by"), max_length=120,
                                 help_text=_("The certifier or the holder of the mark."))
    number = models.CharField(_("certificate number"), max_length=60, blank=True)
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)

    history = HistoricalRecords()
    objects = LabelQuerySet.as_manager()

    class Meta:
        ordering = ["kind", "id"]
        verbose_name = _("label or certification")
        verbose_name_plural = _("labels and certifications")
        constraints = [
            # A certificate number names one holder at its certifier (a geographical
            # indication is shared by its producers: it has no number of its own here).
            models.UniqueConstraint(fields=["certifier", "number"], condition=~Q(number=""),
                                    name="label_certificate_unique",
                                    violation_error_code="certificate_taken",
                                    violation_error_message=_(
                                        "This certifier's certificate number is already "
                                        "recorded for an organisation.")),
            models.CheckConstraint(
                condition=Q(valid_until__isnull=True) | Q(valid_from__isnull=True)
                | Q(valid_until__gte=F("valid_from")),
                name="label_valid_period", violation_error_code="label_period",
                violation_error_message=_("The end of validity comes before its start.")),
        ]

    def __str__(self):
        return self.name or self.get_kind_display()

    def validate_constraints(self, exclude=None):
        """The period's and the certificate's errors next to the end date and the number."""
        try:
            super().validate_constraints(exclude=exclude)
        except ValidationError as error:
            moved: dict[str, list] = {}
            for key, errors in error.error_dict.items():
                for item in errors:
                    moved.setdefault(_CONSTRAINT_FIELDS.get(item.code, key), []).append(item)
            raise ValidationError(moved) from None

    def clean(self):
        super().clean()
        self.certifier = " ".join(self.certifier.split())
        self.number = "".join(self.number.split()).upper()


_CONSTRAINT_FIELDS = {"label_period": "valid_until", "certificate_taken": "number"}
