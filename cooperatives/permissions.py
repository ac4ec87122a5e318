"""Who may see and change what. Every query of the platform starts from these functions.

Roles are rows (RoleAssignment). A user's scope is computed once per request and cached on
the user object. Out-of-scope objects answer 404 through the `get_*_for_user` helpers.
"""

from dataclasses import dataclass, field

from django.http import Http404

from .models import Organisation, Role, RoleAssignment


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
    rows = list(RoleAssignment.objects.filter(user=user).values_list(
        "role", "commune_id", "organisation_id", "ministry_id"))
    scope = Scope(
        is_admin=user.is_superuser or any(r[0] == Role.ADMIN for r in rows),
        commune_ids=frozenset(r[1] for r in rows if r[0] == Role.CTD_AGENT),
        organisation_ids=frozenset(r[2] for r in rows if r[0] == Role.REPRESENTATIVE),
        ministry_ids=frozenset(r[3] for r in rows if r[0] == Role.ANALYST),
    )
    user._reless_scope = scope
    return scope


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
    from django.db.models import Q

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
