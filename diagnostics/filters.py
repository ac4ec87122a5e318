"""One FilterSet per list, shared by the HTML lists and the API. Bad values make the filter
set invalid (400 in the API, a message on the page), never a server error."""

from django import forms
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema_field

from communes.models import Commune
from core.years import YEAR_MAX, YEAR_MIN, YEAR_SCHEMA
from sectors.models import Ministry

from .models import Intervention, TerritorialDiagnostic


@extend_schema_field(YEAR_SCHEMA)
class YearFilter(filters.NumberFilter):
    """A calendar year, bounded so no database sees an impossible date or an overflow."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", YEAR_MIN)
        kwargs.setdefault("max_value", YEAR_MAX)
        super().__init__(*args, **kwargs)


def _commune_filter():
    return filters.ModelChoiceFilter(field_name="commune", to_field_name="pcode",
                                     queryset=Commune.objects.all(),
                                     label=capfirst(_("commune (P-code)")))


class DiagnosticFilter(filters.FilterSet):
    commune = _commune_filter()
    year = YearFilter(field_name="year", label=capfirst(_("year")))
    status = filters.ChoiceFilter(choices=TerritorialDiagnostic.Status.choices,
                                  label=capfirst(_("status")))

    class Meta:
        model = TerritorialDiagnostic
        fields = ["commune", "year", "status"]


class InterventionFilter(filters.FilterSet):
    commune = _commune_filter()
    ministry = filters.ModelChoiceFilter(field_name="ministry", to_field_name="acronym",
                                         queryset=Ministry.objects.all(),
                                         label=capfirst(_("ministry (acronym)")))
    year = YearFilter(method="filter_year", label=capfirst(_("year (dates overlap it)")))

    class Meta:
        model = Intervention
        fields = ["commune", "ministry", "year"]

    def filter_year(self, queryset, name, value):
        return queryset.overlapping_year(int(value))
