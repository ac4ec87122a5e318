"""The organisation filters, shared by the HTML list, the API list and the aggregates.

Territory filters take P-codes, `filiere` a filière code, `ministry` an acronym: an unknown
value is an error (400 in the API, a form error in the HTML list), never an empty result.
Filters select organisations; scoping (what the user may see) happens before, in the view.
"""

import django_filters
from django.db.models import Case, IntegerField, Q, QuerySet, Value, When
from django.db.models.functions import Concat
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from communes.models import Commune, Department, Region
from core.search import SEARCH_SEPARATOR, Folded
from sectors.models import Filiere, Ministry

from . import search_words
from .models import (
    LabelKind,
    LegalForm,
    MemberInterest,
    Organisation,
    OrganisationFiliere,
    OrganisationLabel,
    OrganisationStatus,
)


def _by_code(model, field_name: str, to_field: str, label: str, message: str, **kwargs):
    """A filter whose value is a code (P-code, filière code, acronym) of a reference row."""
    queryset = model.objects.defer("boundary") if model is Commune else model.objects.all()
    return extend_schema_field(OpenApiTypes.STR)(django_filters.ModelChoiceFilter(
        queryset=queryset, field_name=field_name, to_field_name=to_field,
        label=label, error_messages={"invalid_choice": message}, **kwargs))


class OrderingFilter(django_filters.OrderingFilter):
    """Ordering with the id as last key, so pages never overlap or skip rows."""

    def filter(self, qs, value):
        qs = super().filter(qs, value)
        return qs.order_by(*qs.query.order_by, "id") if value else qs


class OrganisationFilterSet(django_filters.FilterSet):
    commune = _by_code(Commune, "commune", "pcode", _("Commune (P-code)"),
                       _("Unknown commune P-code: %(value)s."))
    department = _by_code(Department, "commune__department", "pcode", _("Department (P-code)"),
                          _("Unknown department P-code: %(value)s."))
    region = _by_code(Region, "commune__department__region", "pcode", _("Region (P-code)"),
                      _("Unknown region P-code: %(value)s."))
    filiere = _by_code(Filiere, "filieres", "code", _("Filière (code), any of the filières"),
                       _("Unknown filière code: %(value)s."), method="filter_filiere")
    ministry = _by_code(Ministry, "filieres", "acronym",
                        _("Ministry (acronym), through any filière's sector"),
                        _("Unknown ministry acronym: %(value)s."), method="filter_ministry")
    legal_form = django_filters.ChoiceFilter(choices=LegalForm.choices, label=_("Legal form"))
    status = django_filters.ChoiceFilter(choices=OrganisationStatus.choices, label=_("Status"))
    verified = django_filters.ChoiceFilter(
        choices=[("true", _("Verified by a visit in the last 24 months")),
                 ("false", _("Not verified for 24 months"))],
        method="filter_verified",
        label=_("true: organisations whose latest verification visit, in the last "
                "VERIFICATION_MONTHS (24) months, found them; false: the others (never "
                "visited, visited earlier, or not found)"))
    member_interest = django_filters.ChoiceFilter(choices=MemberInterest.choices,
                                                  label=_("Type by member interest"))
    label = django_filters.ChoiceFilter(choices=LabelKind.choices, method="filter_label",
                                        label=_("Label or certification"))
    q = django_filters.CharFilter(
        method="filter_text", max_length=100,
        label=_("Text in the name, acronym, locality, RSC number, NIU or UES number (accents "
                "and case aside)"))
    ordering = OrderingFilter(
        fields=("name", "members_total", "created_at"),
        label=_("Order by name, members_total or created_at (prefix - to reverse)"))

    class Meta:
        model = Organisation
        fields = ()

    def filter_filiere(self, queryset: QuerySet, name: str, value: Filiere) -> QuerySet:
        return queryset.filter(pk__in=OrganisationFiliere.objects.filter(filiere=value)
                               .values("organisation_id"))

    def filter_ministry(self, queryset: QuerySet, name: str, value: Ministry) -> QuerySet:
        return queryset.matching_ministry(value)

    def filter_verified(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.verified() if value == "true" else queryset.unverified()

    def filter_label(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        """Organisations holding a label of this kind (whatever its validity)."""
        return queryset.filter(pk__in=OrganisationLabel.objects.filter(kind=value)
                               .values("organisation_id"))

    def filter_text(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        """Organisations whose name, acronym, locality, RSC number, NIU or UES register number
        holds the text, accents and case aside (the folded `search_text` column: a trigram
        index scan on PostgreSQL). Without an explicit ordering, ranked: a field equal to the
        text (name, acronym, locality or one of the numbers), then names starting with it,
        then holding it, then the other fields; by name within each rank."""
        text = value.strip()
        if not text:
            return queryset
        folded = Folded(Value(text))
        # On PostgreSQL a text without a space goes through the word index
        # (cooperatives.search_words): the same rows, counted and ranked from it.
        words = search_words.match(text, queryset.db)
        queryset = queryset.filter(words if words is not None
                                   else Q(search_text__contains=folded))
        if self.data.get("ordering"):
            return queryset
        rank = Case(When(name_folded=folded, then=Value(0)),
                    When(search_text__contains=Concat(Value(SEARCH_SEPARATOR), folded,
                                                      Value(SEARCH_SEPARATOR)), then=Value(0)),
                    When(search_text__endswith=Concat(Value(SEARCH_SEPARATOR), folded),
                         then=Value(0)),
                    When(name_folded__startswith=folded, then=Value(1)),
                    When(name_folded__contains=folded, then=Value(2)),
                    default=Value(3), output_field=IntegerField())
        return queryset.alias(_rank=rank).order_by("_rank", "name", "id")


class AggregateFilterSet(OrganisationFilterSet):
    """The same filters for the aggregates, where ordering means nothing."""

    ordering = None


class CommuneAggregateFilterSet(AggregateFilterSet):
    """The aggregates of one commune: the commune comes from the path."""

    commune = None
    department = None
    region = None
