"""Taxonomy: Ministry > Sector (one supervising ministry) > Filière (one sector)."""

from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _


class Bilingual(models.Model):
    name_fr = models.CharField(_("name (French)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200)

    class Meta:
        abstract = True

    def __str__(self):
        return self.name

    @property
    def name(self) -> str:
        return self.name_en if get_language() == "en" else self.name_fr


class Ministry(Bilingual):
    acronym = models.CharField(_("acronym"), max_length=20, unique=True)

    class Meta:
        ordering = ["acronym"]
        verbose_name = _("ministry")
        verbose_name_plural = _("ministries")

    def __str__(self):
        return self.acronym


class Sector(Bilingual):
    code = models.SlugField(_("code"), max_length=40, unique=True)
    ministry = models.ForeignKey(Ministry, models.PROTECT, related_name="sectors",
                                 verbose_name=_("supervising ministry"))

    class Meta:
        ordering = ["code"]
        verbose_name = _("sector")
        verbose_name_plural = _("sectors")


class Filiere(Bilingual):
    code = models.SlugField(_("code"), max_length=40, unique=True)
    sector = models.ForeignKey(Sector, models.PROTECT, related_name="filieres",
                               verbose_name=_("sector"))

    class Meta:
        ordering = ["code"]
        verbose_name = _("filière")
        verbose_name_plural = _("filières")
