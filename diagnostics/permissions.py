"""Who may see and change diagnostics and interventions; fetch-and-check helpers answer 404.

Reading: admins and ministry analysts read every commune; CTD agents their communes (drafts
included); representatives the validated diagnostics and the interventions of their
organisation's commune; departmental and regional reviewers those of their territory's
communes (validated diagnostics only). Writing diagnostics: admins and the commune's CTD
agents. Recording interventions: admins, the commune's CTD agents (any ministry) and
analysts (their own ministry, in any commune).
"""

from django.db.models import Q, QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404

from cooperatives.permissions import (
    can_write_commune,
    scope_of,
)
from sectors.models import Ministry

from .models import DiagnosticActor, Intervention, TerritorialDiagnostic

# Actor kinds whose name may be a person's (a chief, an individual): hidden from users who
# may not see personal data (analysts). The other kinds name institutions or organisations.
PERSON_ACTOR_KINDS = frozenset({DiagnosticActor.Kind.TRADITIONAL, DiagnosticActor.Kind.OTHER})


def shows_people(user) -> bool:
    """Whether names of people (actors that may be persons, history authors) are shown."""
    return scope_of(user).sees_personal_data


def diagnostics_visible_to(user, queryset: QuerySet | None = None) -> QuerySet:
    """Diagnostics the user may read (see the module docstring)."""
    qs = TerritorialDiagnostic.objects.all() if queryset is None else queryset
    scope = scope_of(user)
    if scope.reads_country:
        return qs
    rep_communes = scope.represented_commune_ids | scope.reviewed_commune_ids
    if not (scope.commune_ids or rep_communes):
        return qs.none()
    return qs.filter(Q(commune_id__in=scope.commune_ids)
                     | Q(commune_id__in=rep_communes,
                         status=TerritorialDiagnostic.Status.VALIDATED))


def diagnostics_writable_by(user, queryset: QuerySet | None = None) -> QuerySet:
    """Diagnostics the user may change while they are drafts: admins all, agents theirs."""
    qs = TerritorialDiagnostic.objects.all() if queryset is None else queryset
    scope = scope_of(user)
    return qs if scope.is_admin else qs.filter(commune_id__in=scope.commune_ids)


def interventions_visible_to(user, queryset: QuerySet | None = None) -> QuerySet:
    """Interventions the user may read: the country for admins and analysts, else the
    communes the user works in or speaks for."""
    qs = Intervention.objects.all() if queryset is None else queryset
    return scope_of(user).in_readable_communes(qs)


def interventions_writable_by(user, queryset: QuerySet | None = None) -> QuerySet:
    """Interventions the user may change: admins all, agents their communes', analysts their
    ministry's."""
    qs = Intervention.objects.all() if queryset is None else queryset
    scope = scope_of(user)
    if scope.is_admin:
        return qs
    return qs.filter(Q(commune_id__in=scope.commune_ids) | Q(ministry_id__in=scope.ministry_ids))


def can_record_intervention(user, commune_id: int, ministry_id: int) -> bool:
    scope = scope_of(user)
    return (scope.is_admin or commune_id in scope.commune_ids
            or ministry_id in scope.ministry_ids)


def ministries_recordable_by(user, commune_id: int) -> QuerySet:
    """Ministries whose interventions the user may record in the commune."""
    if can_write_commune(user, commune_id):
        return Ministry.objects.all()
    return Ministry.objects.filter(pk__in=scope_of(user).ministry_ids)


def get_diagnostic_for_user(user, pk, *, write: bool = False) -> TerritorialDiagnostic:
    """The diagnostic if the user may read it (or change it with write=True), else 404."""
    qs = diagnostics_writable_by(user) if write else diagnostics_visible_to(user)
    try:
        return qs.select_related("commune__department__region").get(pk=pk)
    except (TerritorialDiagnostic.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def get_intervention_for_user(user, pk, *, write: bool = False) -> Intervention:
    """The intervention if the user may read it (or change it with write=True), else 404."""
    qs = interventions_writable_by(user) if write else interventions_visible_to(user)
    try:
        return qs.select_related("commune", "ministry", "filiere", "sector").get(pk=pk)
    except (Intervention.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def get_ministry_for_reader(user, acronym: str) -> Ministry:
    """A ministry whose interventions list the user may read (admins, analysts), else 404."""
    if not scope_of(user).reads_country:
        raise Http404
    return get_object_or_404(Ministry, acronym=acronym)
