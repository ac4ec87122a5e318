"""Who may see and change support programmes and enrolments; fetch-and-check helpers answer 404.

Reading a programme: admins and analysts read every programme; the other roles the
programmes that cover a commune they read (the communes they work in, speak for or review).
Reading an enrolment: as interventions, through the organisation's commune (admins and
analysts: the country).

Changing a programme: the admin; for a ministry's programme, that ministry's analysts; for a
commune's programme, that commune's CTD agents; for a partner's programme (REMCESS, a
development partner), the CTD agents of a commune it covers, who may add or remove only
their own communes in its list (the admin manages the rest).

Enrolling an organisation (and changing or removing the enrolment): the admin, the CTD agents
of the organisation's commune (in a programme they may read), and whoever may change the
programme when it is a ministry's (its analysts enrol organisations of any commune) or a
commune's (its agents: the organisations of their commune).
"""

from django.db.models import Q, QuerySet
from django.http import Http404

from cooperatives.permissions import scope_of

from .models import Enrolment, Programme

OWNER = Programme.OwnerType


def programmes_visible_to(user, queryset: QuerySet | None = None) -> QuerySet:
    """Programmes the user may read (see the module docstring)."""
    qs = Programme.objects.all() if queryset is None else queryset
    ids = scope_of(user).readable_commune_ids
    if ids is None:
        return qs
    return qs.covering(ids) if ids else qs.none()


def programmes_writable_by(user, queryset: QuerySet | None = None) -> QuerySet:
    """Programmes the user may change (see `may_manage`)."""
    qs = Programme.objects.all() if queryset is None else queryset
    scope = scope_of(user)
    if scope.is_admin:
        return qs
    partner = qs.filter(owner_type=OWNER.PARTNER).covering(scope.commune_ids)
    return qs.filter(Q(owner_type=OWNER.MINISTRY, ministry_id__in=scope.ministry_ids)
                     | Q(owner_type=OWNER.COMMUNE, owner_commune_id__in=scope.commune_ids)
                     | Q(pk__in=partner.values("pk")))


def may_own(user, *, owner_type: str, ministry_id=None, owner_commune_id=None,
            commune_ids=frozenset()) -> bool:
    """Whether the user may record or change a programme with this owner and these communes."""
    scope = scope_of(user)
    if scope.is_admin:
        return True
    if owner_type == OWNER.MINISTRY:
        return ministry_id in scope.ministry_ids
    if owner_type == OWNER.COMMUNE:
        return owner_commune_id in scope.commune_ids
    return bool(set(commune_ids) & scope.commune_ids)


def may_manage(user, programme: Programme, commune_ids=None) -> bool:
    """Whether the user may change this programme (its stored communes unless given)."""
    if commune_ids is None:
        commune_ids = programme.communes.values_list("pk", flat=True)
    return may_own(user, owner_type=programme.owner_type, ministry_id=programme.ministry_id,
                   owner_commune_id=programme.owner_commune_id, commune_ids=commune_ids)


def may_change_communes(user, programme_owner_type: str, added: set, removed: set) -> bool:
    """On a partner's programme a CTD agent adds or removes only their own communes."""
    scope = scope_of(user)
    if scope.is_admin or programme_owner_type != OWNER.PARTNER:
        return True
    return (added | removed) <= scope.commune_ids


def may_enrol(user, programme: Programme, organisation_commune_id: int) -> bool:
    """Whether the user may enrol an organisation of this commune in the programme (or change
    or remove such an enrolment)."""
    scope = scope_of(user)
    if scope.is_admin or organisation_commune_id in scope.commune_ids:
        return True
    return programme.owner_type == OWNER.MINISTRY and programme.ministry_id in scope.ministry_ids


def enrolments_visible_to(user, queryset: QuerySet | None = None) -> QuerySet:
    """Enrolments the user may read: through the organisation's commune."""
    qs = Enrolment.objects.all() if queryset is None else queryset
    return scope_of(user).in_readable_communes(qs, "organisation__commune_id")


def enrolments_writable_by(user, queryset: QuerySet | None = None) -> QuerySet:
    """Enrolments the user may change (see `may_enrol`)."""
    qs = Enrolment.objects.all() if queryset is None else queryset
    scope = scope_of(user)
    if scope.is_admin:
        return qs
    return qs.filter(Q(organisation__commune_id__in=scope.commune_ids)
                     | Q(programme__owner_type=OWNER.MINISTRY,
                         programme__ministry_id__in=scope.ministry_ids))


def get_programme_for_user(user, pk, *, write: bool = False) -> Programme:
    """The programme if the user may read it (or change it with write=True), else 404."""
    qs = programmes_writable_by(user) if write else programmes_visible_to(user)
    try:
        return qs.select_related("ministry", "owner_commune").get(pk=pk)
    except (Programme.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def get_enrolment_for_user(user, pk, *, write: bool = False) -> Enrolment:
    """The enrolment if the user may read it (or change it with write=True), else 404."""
    qs = enrolments_writable_by(user) if write else enrolments_visible_to(user)
    try:
        return qs.select_related("programme__ministry", "programme__owner_commune",
                                 "organisation__commune").get(pk=pk)
    except (Enrolment.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
