"""One FilterSet per list, shared by the HTML lists and the API. Bad values make the filter
set invalid (400 in the API, a message on the page), never a server error."""

from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters

from communes.models import Commune
from diagnostics.filters import YearFilter
from sectors.models import Ministry

from .models import Enrolment, Programme


def _commune(field_name: str, method: str | None = None):
    return filters.ModelChoiceFilter(field_name=field_name, to_field_name="pcode",
                                     queryset=Commune.objects.all(), method=method,
                                     label=capfirst(_("commune (P-code)")))


def _ministry(field_name: str):
    return filters.ModelChoiceFilter(field_name=field_name, to_field_name="acronym",
                                     queryset=Ministry.objects.all(),
                                     label=capfirst(_("ministry (acronym)")))


class ProgrammeFilter(filters.FilterSet):
    commune = _commune("communes", method="filter_commune")
    ministry = _ministry("ministry")
    owner_type = filters.ChoiceFilter(choices=Programme.OwnerType.choices,
                                      label=capfirst(_("owner type")))
    kind = filters.ChoiceFilter(choices=Programme.Kind.choices, label=capfirst(_("kind")))
    year = YearFilter(method="filter_year", label=capfirst(_("year (dates overlap it)")))

    class Meta:
        model = Programme
        fields = ["commune", "ministry", "owner_type", "kind", "year"]

    def filter_commune(self, queryset, name, value):
        return queryset.covering([value.pk])

    def filter_year(self, queryset, name, value):
        return queryset.overlapping_year(int(value))


class EnrolmentFilter(filters.FilterSet):
    commune = _commune("organisation__commune")
    ministry = _ministry("programme__ministry")
    owner_type = filters.ChoiceFilter(field_name="programme__owner_type",
                                      choices=Programme.OwnerType.choices,
                                      label=capfirst(_("owner type")))
    kind = filters.ChoiceFilter(field_name="programme__kind", choices=Programme.Kind.choices,
                                label=capfirst(_("kind")))
    outcome = filters.ChoiceFilter(choices=Enrolment.Outcome.choices,
                                   label=capfirst(_("outcome")))
    programme = filters.NumberFilter(field_name="programme_id", min_value=1,
                                     max_value=2**63 - 1, label=capfirst(_("programme (id)")))
    organisation = filters.NumberFilter(field_name="organisation_id", min_value=1,
                                        max_value=2**63 - 1,
                                        label=capfirst(_("organisation (id)")))
    year = YearFilter(method="filter_year", label=capfirst(_("year (dates overlap it)")))

    class Meta:
        model = Enrolment
        fields = ["commune", "ministry", "owner_type", "kind", "outcome", "programme",
                  "organisation", "year"]

    def filter_year(self, queryset, name, value):
        return queryset.overlapping_year(int(value))
