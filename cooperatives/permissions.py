"""Who may see and change what. Every query of the platform starts from these functions.

Roles are rows (RoleAssignment). A user's scope is computed once per request and cached on
the user object. Out-of-scope objects answer 404 through the `get_*_for_user` helpers.
"""

from dataclasses import dataclass, field
from functools import cached_property

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
    ProjectTerritory,
    Role,
    RoleAssignment,
    TerritoryMembership,
)


@dataclass(frozen=True)
class Scope:
    is_admin: bool = False
    commune_ids: frozenset[int] = field(default_factory=frozenset)  # CTD agent of these
    organisation_ids: frozenset[int] = field(default_factory=frozenset)  # representative of
    ministry_ids: frozenset[int] = field(default_factory=frozenset)  # analyst for
    department_ids: frozenset[int] = field(default_factory=frozenset)  # reviewer of
    region_ids: frozenset[int] = field(default_factory=frozenset)  # reviewer of

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
    def is_reviewer(self) -> bool:
        """A departmental or regional reviewer (MINPMEESA's delegations)."""
        return bool(self.department_ids or self.region_ids)

    @property
    def has_role(self) -> bool:
        """At least one role: what every API view and export asks first."""
        return (self.is_admin or self.is_agent or self.is_representative or self.is_analyst
                or self.is_reviewer)

    @property
    def reads_country(self) -> bool:
        """Admins and analysts read aggregates and reports for every commune."""
        return self.is_admin or self.is_analyst

    @property
    def sees_personal_data(self) -> bool:
        return self.is_admin or self.is_agent or self.is_representative

    @cached_property
    def represented_commune_ids(self) -> frozenset[int]:
        """Communes of the organisations a representative speaks for (one query, once per
        request: the scope is cached on the user)."""
        if not self.organisation_ids:
            return frozenset()
        return frozenset(Organisation.objects.filter(pk__in=self.organisation_ids)
                         .values_list("commune_id", flat=True))

    def reviewed_territory(self, commune: str = "") -> Q:
        """The condition "in a department or region the user reviews" on a commune reached
        through `commune` ("" on communes themselves, "commune__" on organisations): the one
        definition of a reviewer's territory (never true for a non-reviewer)."""
        if not self.is_reviewer:
            return Q(pk__in=[])
        return (Q(**{f"{commune}department_id__in": self.department_ids})
                | Q(**{f"{commune}department__region_id__in": self.region_ids}))

    @cached_property
    def reviewed_commune_ids(self) -> frozenset[int]:
        """Communes of the departments and regions a reviewer covers (one query, once per
        request)."""
        if not self.is_reviewer:
            return frozenset()
        return frozenset(Commune.objects.filter(self.reviewed_territory())
                         .values_list("pk", flat=True))

    @cached_property
    def readable_commune_ids(self) -> frozenset[int] | None:
        """The communes whose reports, aggregates, scorecards and interventions the user reads:
        None for every commune (admins, analysts), else those they work in (CTD agent), speak
        for (representative) or review (departmental and regional reviewers)."""
        if self.reads_country:
            return None
        return self.commune_ids | self.represented_commune_ids | self.reviewed_commune_ids

    def in_readable_communes(self, queryset, field_name: str = "commune_id"):
        """`queryset` cut to the readable communes (`field_name` holds the commune's id)."""
        ids = self.readable_commune_ids
        if ids is None:
            return queryset
        return queryset.filter(**{f"{field_name}__in": ids}) if ids else queryset.none()

    def may(self, need: str, commune_id: int) -> bool:
        """Whether the user may do `need` in the commune (see `get_commune_for_user`)."""
        if need == "read":
            return (self.is_admin or commune_id in self.commune_ids
                    or commune_id in self.represented_commune_ids)
        if need == "reports":
            ids = self.readable_commune_ids
            return ids is None or commune_id in ids
        if need == "write":
            return self.is_admin or commune_id in self.commune_ids
        if need == "record":
            return self.is_admin or self.is_analyst or commune_id in self.commune_ids
        if need == "signoff":
            return (self.is_admin or commune_id in self.commune_ids
                    or commune_id in self.reviewed_commune_ids)
        raise ValueError(f"unknown need {need!r}; one of {NEEDS}")


NEEDS = ("read", "reports", "write", "record", "signoff")


def scope_of(user) -> Scope:
    """The user's scope from their role assignments (superusers are national admins)."""
    if user is None or not user.is_authenticated:
        return Scope()
    cached = getattr(user, "_reless_scope", None)
    if cached is not None:
        return cached
    # "v2": the rows gained the department and region; entries cached before must not be read.
    rows = freshness.cached(f"roles:v2:{user.pk}", [freshness.ROLES], lambda: list(
        RoleAssignment.objects.filter(user=user).values_list(
            "role", "commune_id", "organisation_id", "ministry_id", "department_id",
            "region_id")))
    scope = Scope(
        is_admin=user.is_superuser or any(r[0] == Role.ADMIN for r in rows),
        commune_ids=frozenset(r[1] for r in rows if r[0] == Role.CTD_AGENT),
        organisation_ids=frozenset(r[2] for r in rows if r[0] == Role.REPRESENTATIVE),
        ministry_ids=frozenset(r[3] for r in rows if r[0] == Role.ANALYST),
        department_ids=frozenset(r[4] for r in rows if r[0] == Role.DEPARTMENT_REVIEWER),
        region_ids=frozenset(r[5] for r in rows if r[0] == Role.REGION_REVIEWER),
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
        return scope_of(request.user).has_role


def organisations_visible_to(user, queryset=None):
    """Organisations the user may see in full (with personal data): admins all, CTD agents
    their communes', representatives their own. Analysts, reviewers and the public get none
    here: they read public fields (see `organisations_listed_for`) and aggregates."""
    qs = Organisation.objects.all() if queryset is None else queryset
    scope = scope_of(user)
    if scope.is_admin:
        return qs
    if not (scope.commune_ids or scope.organisation_ids):
        return qs.none()
    return qs.filter(Q(commune_id__in=scope.commune_ids) | Q(pk__in=scope.organisation_ids))


def organisations_listed_for(user, queryset=None):
    """Organisations whose public fields the user may list: analysts the whole country,
    departmental and regional reviewers their territory's (read-only, without contacts), the
    others those of `organisations_visible_to`. Who reads which contacts is decided per
    organisation (`sees_contacts` in the API, the exports' `_sees_in_full`), never by being
    listed here."""
    qs = Organisation.objects.all() if queryset is None else queryset
    scope = scope_of(user)
    if scope.is_admin or scope.is_analyst:
        return qs
    if not scope.is_reviewer:
        return organisations_visible_to(user, qs)
    # One query with the territory joined (no list of commune ids fetched first).
    return qs.filter(Q(commune_id__in=scope.commune_ids) | Q(pk__in=scope.organisation_ids)
                     | scope.reviewed_territory("commune__"))


def organisations_writable_by(user, queryset=None):
    """Organisations the user may edit directly: admins all, CTD agents their communes'."""
    qs = Organisation.objects.all() if queryset is None else queryset
    scope = scope_of(user)
    if scope.is_admin:
        return qs
    return qs.filter(commune_id__in=scope.commune_ids)


def can_write_commune(user, commune_id: int) -> bool:
    """Registry edits, diagnostics and recomputes in the commune (need "write")."""
    return scope_of(user).may("write", commune_id)


def can_read_commune_reports(user, commune_id: int) -> bool:
    """The commune's reports, diagnostics and interventions (need "reports")."""
    return scope_of(user).may("reports", commune_id)


def get_organisation_for_user(user, pk, *, write: bool = False) -> Organisation:
    """The organisation if the user may see it (or edit it with write=True), else 404."""
    qs = organisations_writable_by(user) if write else organisations_visible_to(user)
    try:
        return qs.select_related("commune__department__region", "primary_filiere").get(pk=pk)
    except (Organisation.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def get_commune_for_user(user, pcode, *, need: str = "read") -> Commune:
    """The commune if the user may do `need` there, else 404: a missing commune and one out of
    the user's scope answer alike, so P-codes cannot be probed. The one commune
    fetch-and-check of the platform (pages, API, exports).

    - "read": its registry pages (RELESS): admins, its CTD agents, representatives of its
      organisations;
    - "reports": its reports, diagnostics and interventions: the same and the ministry
      analysts (who read every commune);
    - "write": registry edits, imports, duplicates, diagnostics, recomputes: admins and its
      CTD agents;
    - "record": recording interventions: admins, its CTD agents and analysts (each
      intervention is then checked against the analyst's ministry);
    - "signoff": its yearly sign-off: admins, its CTD agents and the reviewers of its
      department or region (each step then checks who may take it).
    """
    if need not in NEEDS:
        raise ValueError(f"unknown need {need!r}; one of {NEEDS}")
    commune = (Commune.objects.select_related("department__region").defer("boundary")
               .filter(pcode=pcode).first())
    if commune is None or not scope_of(user).may(need, commune.pk):
        raise Http404
    return commune


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


def territories_visible_to(user, queryset=None):
    """Project territories the user reads (with their reports): admins and analysts every
    one; others those with a member commune (at any time) among the communes whose reports
    they read (CTD agents, representatives, reviewers). Proposed territories included: the
    member communes' agents confirm them."""
    qs = ProjectTerritory.objects.all() if queryset is None else queryset
    ids = scope_of(user).readable_commune_ids
    if ids is None:
        return qs
    return qs.filter(pk__in=TerritoryMembership.objects.filter(commune_id__in=ids)
                     .values("territory_id"))


def get_territory_for_user(user, code, *, need: str = "read") -> ProjectTerritory:
    """The territory if the user reads it, else 404 (missing and not theirs alike). With
    need "reports", only an active territory (a proposal has no reports yet)."""
    qs = territories_visible_to(user).select_related("filiere")
    if need == "reports":
        qs = qs.active()
    territory = qs.filter(code=code).first() if isinstance(code, str) else None
    if territory is None:
        raise Http404
    return territory


def can_recompute_territory(user, territory: ProjectTerritory) -> bool:
    """Admins, and CTD agents of a current member commune, queue a territory's reports."""
    scope = scope_of(user)
    return scope.is_admin or (scope.is_agent and ProjectTerritory.objects.filter(
        pk=territory.pk).with_member(scope.commune_ids).exists())
