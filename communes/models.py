"""Territory keyed on OCHA P-codes: Region CMrrr > Department CMrrrddd > Commune CMrrrdddccc."""

import math

from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _


class NamedPlace(models.Model):
    pcode = models.CharField(_("P-code"), max_length=16, unique=True)
    name_fr = models.CharField(_("name (French)"), max_length=120)
    name_en = models.CharField(_("name (English)"), max_length=120, blank=True)

    class Meta:
        abstract = True
        ordering = ["pcode"]

    def __str__(self):
        return self.name

    @property
    def name(self) -> str:
        """The name in the active language, French when there is no English name."""
        if get_language() == "en" and self.name_en:
            return self.name_en
        return self.name_fr


class Region(NamedPlace):
    iso_code = models.CharField(_("ISO 3166-2 code"), max_length=8, blank=True)

    class Meta(NamedPlace.Meta):
        verbose_name = _("region")
        verbose_name_plural = _("regions")


class Department(NamedPlace):
    region = models.ForeignKey(Region, models.PROTECT, related_name="departments",
                               verbose_name=_("region"))

    class Meta(NamedPlace.Meta):
        verbose_name = _("department")
        verbose_name_plural = _("departments")


class CommuneQuerySet(models.QuerySet):
    def in_region(self, region):
        """Communes of a region (instance or P-code)."""
        pcode = getattr(region, "pcode", region)
        return self.filter(department__region__pcode=pcode)

    def with_point(self):
        """Communes that have a representative point."""
        return self.filter(latitude__isnull=False, longitude__isnull=False)


class Commune(NamedPlace):
    department = models.ForeignKey(Department, models.PROTECT, related_name="communes",
                                   verbose_name=_("department"))
    latitude = models.FloatField(_("latitude"), null=True, blank=True)
    longitude = models.FloatField(_("longitude"), null=True, blank=True)
    # GeoJSON geometry (WGS84) as text: no GIS extension is needed to store or draw it.
    boundary = models.JSONField(_("boundary"), null=True, blank=True)

    objects = CommuneQuerySet.as_manager()

    class Meta(NamedPlace.Meta):
        verbose_name = _("commune")
        verbose_name_plural = _("communes")

    def distance_km(self, other: "Commune") -> float | None:
        """Great-circle distance between the two communes' points, in kilometres."""
        if None in (self.latitude, self.longitude, other.latitude, other.longitude):
            return None
        return haversine_km(self.latitude, self.longitude, other.latitude, other.longitude)


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0 * math.asin(math.sqrt(a))
