"""Reads of support programmes and enrolments: lists, the organisation's page section and
histories, each in a fixed number of queries."""

from django.db.models import Count, Prefetch, Q, QuerySet

from communes.models import Commune
from cooperatives.models import Organisation
from cooperatives.permissions import scope_of
from cooperatives.views_common import history_entries

from .models import Enrolment, Programme


def programmes_for_list(queryset: QuerySet, user) -> QuerySet:
    """Programmes with their owner and communes loaded, and `enrolled`: the number of their
    enrolments the user may read (a fixed three queries whatever the number of rows)."""
    ids = scope_of(user).readable_commune_ids
    counted = Q() if ids is None else Q(enrolments__organisation__commune_id__in=ids)
    return (queryset.select_related("ministry", "owner_commune")
            .prefetch_related(Prefetch("communes", Commune.objects.only("id", "pcode",
                                                                        "name_fr", "name_en")
                                       .order_by("pcode")))
            .annotate(enrolled=Count("enrolments", filter=counted, distinct=True)))


def enrolments_for_list(queryset: QuerySet) -> QuerySet:
    """Enrolments with their programme (and its owner) and organisation (and its commune)."""
    return queryset.select_related("programme__ministry", "programme__owner_commune",
                                   "organisation__commune")


def support_section(user, organisation: Organisation) -> tuple[str, dict]:
    """The organisation page's "Support received" section: every enrolment of the
    organisation with its programme and the programme's owner, in one query. Whoever reads
    the organisation's page reads its commune, so its enrolments too."""
    enrolments = list(Enrolment.objects.filter(organisation=organisation)
                      .select_related("programme__ministry", "programme__owner_commune")
                      .order_by("-start_date", "-id"))
    return "support/_support_received.html", {"enrolments": enrolments}


def hide_people(entries: list, user) -> list:
    """History entries without their authors for readers who may not see people's names."""
    if not scope_of(user).sees_personal_data:
        for entry in entries:
            entry.user = None
    return entries


def programme_history(programme: Programme, user) -> list:
    """Changes to the programme, its communes included, newest first."""
    return hide_people(history_entries(programme.history.all()), user)


def enrolment_history(enrolment: Enrolment, user) -> list:
    """Changes to the enrolment, newest first."""
    return hide_people(history_entries(enrolment.history.all()), user)
