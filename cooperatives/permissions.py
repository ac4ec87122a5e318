"""Who may see and change what. Every query of the platform starts from these functions.

Roles are rows (RoleAssignment). A user's scope is computed once per request and cached on
the user object. Out-of-scope objects answer 404 through the `get_*_for_user` helpers.
"""

from dataclasses import dataclass, field

from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Q
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from rest_framework import permissions as drf_permissions

from communes.models import Commune

from . import freshness
from .models import (
    BureauMember,
    ChangeRequest,
    CooperationLink,
    Organisation,
    Role,
    RoleAssignment,
)


@dataclass(frozen=True)
class Scope:
    is_admin: bool = False
    commune_ids: frozenset[int] = field(default_factory=frozenset)  # CTD agent of these
    organisation_ids: frozenset[int] = field(default_factory=frozenset)  # representative of
    ministry_ids: frozenset[int] = field(default_factory=frozenset)  # analyst for

    @property
    def is_agent(self) -> bool:
        return bool(self.commune_ids)

    @property
    def is_representative(self) -> bool:
        return bool(self.organisation_ids)

    @property
    def is_analyst(self) -> bool:
        return bool(self.ministry_ids)

    @property
    def reads_country(self) -> bool:
        """Admins and analysts read aggregates and reports for every commune."""
        return self.is_admin or self.is_analyst

    @property
    def sees_personal_data(self) -> bool:
        return self.is_admin or self.is_agent or self.is_representative


def scope_of(user) -> Scope:
    """The user's scope from their role assignments (superusers are national admins)."""
    if user is None or not user.is_authenticated:
        return Scope()
    cached = getattr(user, "_reless_scope", None)
    if cached is not None:
        return cached
    rows = freshness.cached(f"roles:{user.pk}", [freshness.ROLES], lambda: list(
        RoleAssignment.objects.filter(user=user).values_list(
            "role", "commune_id", "organisation_id", "ministry_id")))
    scope = Scope(
        is_admin=user.is_superuser or any(r[0] == Role.ADMIN for r in rows),
        commune_ids=frozenset(r[1] for r in rows if r[0] == Role.CTD_AGENT),
        organisation_ids=frozenset(r[2] for r in rows if r[0] == Role.REPRESENTATIVE),
        ministry_ids=frozenset(r[3] for r in rows if r[0] == Role.ANALYST),
    )
    user._reless_scope = scope
    return scope


class HasRole(drf_permissions.BasePermission):
    """API views: logged in (token or session) with at least one role. Anonymous requests get
    401, an account with no role 403, before any parameter or body is looked at."""

    message = _("Your account has no role on the platform.")

    def has_permission(self, request, view):
        if not (request.user and request.user.is_authenticated):
            return False
        scope = scope_of(request.user)
        return scope.is_admin or scope.is_agent or scope.is_representative or scope.is_analyst


def representative_commune_ids(scope: Scope) -> frozenset[int]:
    """Communes of the organisations a representative speaks for (to read their reports)."""
    if not scope.organisation_ids:
        return frozenset()
    return frozenset(Organisation.objects.filter(pk__in=scope.organisation_ids)
                     .values_list("commune_id", flat=True))


def organisations_visible_to(user, queryset=None):
    """Organisations the user may see in full (with personal data): admins all, CTD agents
    their communes', representatives their own. Analysts and the public get none here: they
    read aggregates (see `organisations_listed_for`)."""
    qs = Organisation.objects.all() if queryset is None else queryset
    scope = scope_of(user)
    if scope.is_admin:
        return qs
    if not (scope.commune_ids or scope.organisation_ids):
        return qs.none()
    return qs.filter(Q(commune_id__in=scope.commune_ids) | Q(pk__in=scope.organisation_ids))


def organisations_listed_for(user, queryset=None):
    """Organisations whose public fields the user may list: anyone logged in with a role
    reads the whole country's registry without contacts (analysts); others as above."""
    qs = Organisation.objects.all() if queryset is None else queryset
    scope = scope_of(user)
    if scope.is_admin or scope.is_analyst:
        return qs
    return organisations_visible_to(user, qs)


def organisations_writable_by(user, queryset=None):
    """Organisations the user may edit directly: admins all, CTD agents their communes'."""
    qs = Organisation.objects.all() if queryset is None else queryset
    scope = scope_of(user)
    if scope.is_admin:
        return qs
    return qs.filter(commune_id__in=scope.commune_ids)


def can_write_commune(user, commune_id: int) -> bool:
    scope = scope_of(user)
    return scope.is_admin or commune_id in scope.commune_ids


def can_read_commune_reports(user, commune_id: int) -> bool:
    scope = scope_of(user)
    return (scope.reads_country or commune_id in scope.commune_ids
            or commune_id in representative_commune_ids(scope))


def get_organisation_for_user(user, pk, *, write: bool = False) -> Organisation:
    """The organisation if the user may see it (or edit it with write=True), else 404."""
    qs = organisations_writable_by(user) if write else organisations_visible_to(user)
    try:
        return qs.select_related("commune__department__region", "primary_filiere").get(pk=pk)
    except (Organisation.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def _commune_queryset(user, *, write: bool):
    scope = scope_of(user)
    qs = Commune.objects.select_related("department__region").defer("boundary")  # pages only
    if scope.is_admin:
        return qs
    if write:
        return qs.filter(pk__in=scope.commune_ids)
    return qs.filter(Q(pk__in=scope.commune_ids)
                     | Q(pk__in=representative_commune_ids(scope)))


def get_commune_for_user(user, pcode, *, write: bool = False):
    """A commune whose registry pages the user works on, else 404.

    Reading (the RELESS page) is for admins, the commune's CTD agents and the representatives
    of its organisations; writing (dashboard, registry edits) for admins and its agents."""
    try:
        return _commune_queryset(user, write=write).get(pcode=pcode)
    except ObjectDoesNotExist:
        raise Http404 from None


def links_visible_to(user, queryset=None):
    """Cooperation links the user speaks for on at least one side: admins all, CTD agents
    those touching their communes, representatives those of their organisations."""
    qs = CooperationLink.objects.all() if queryset is None else queryset
    scope = scope_of(user)
    if scope.is_admin:
        return qs
    return qs.filter(Q(source__commune_id__in=scope.commune_ids)
                     | Q(target__commune_id__in=scope.commune_ids)
                     | Q(source_id__in=scope.organisation_ids)
                     | Q(target_id__in=scope.organisation_ids))


def get_link_for_user(user, pk):
    """The link if the user speaks for one of its sides, else 404."""
    qs = links_visible_to(user).select_related("source__commune", "target__commune")
    try:
        return qs.get(pk=pk)
    except (ObjectDoesNotExist, ValueError, TypeError):
        raise Http404 from None


def change_requests_visible_to(user, queryset=None, *, write: bool = False):
    """Change requests on organisations the user sees (reviews, with write=True)."""
    qs = ChangeRequest.objects.all() if queryset is None else queryset
    organisations = organisations_writable_by(user) if write else organisations_visible_to(user)
    if scope_of(user).is_admin:
        return qs
    return qs.filter(organisation__in=organisations.values("pk"))


def get_change_request_for_user(user, pk, *, write: bool = False):
    """The change request if the user sees its organisation (reviews it, with write=True),
    else 404."""
    qs = change_requests_visible_to(user, write=write).select_related(
        "organisation__commune", "requested_by", "reviewer")
    try:
        return qs.get(pk=pk)
    except (ObjectDoesNotExist, ValueError, TypeError):
        raise Http404 from None


def get_bureau_member_for_user(user, pk):
    """A RELESS bureau member the user may edit (admins, the commune's agents), else 404."""
    scope = scope_of(user)
    qs = BureauMember.objects.select_related("reless__commune")
    if not scope.is_admin:
        qs = qs.filter(reless__commune_id__in=scope.commune_ids)
    try:
        return qs.get(pk=pk)
    except (ObjectDoesNotExist, ValueError, TypeError):
        raise Http404 from None
