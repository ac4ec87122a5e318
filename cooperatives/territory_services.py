"""Writes of project territories (docs/project-territories.md), shared by the pages and the
API: the admin creates an active territory; a CTD agent proposes one naming its own commune
among the members, and each other member commune's agent confirms; the territory is active
once every member commune confirmed."""

import datetime
from collections.abc import Iterable

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from communes.models import Commune
from sectors.models import Filiere

from .models import ProjectTerritory, TerritoryMembership
from .permissions import scope_of

MIN_MEMBERS = 2


def _unique_code(name: str) -> str:
    base = slugify(name)[:34] or "territory"
    taken = set(ProjectTerritory.objects.filter(code__startswith=base)
                .values_list("code", flat=True))
    code, n = base, 1
    while code in taken:
        n += 1
        code = f"{base}-{n}"
    return code


def _check(name: str, purpose: str, communes: list[Commune]) -> None:
    errors = {}
    if not name.strip():
        errors["name"] = _("Give the territory a name.")
    if purpose not in ProjectTerritory.Purpose.values:
        errors["purpose"] = _("Choose a purpose.")
    if len({c.pk for c in communes}) < MIN_MEMBERS:
        errors["communes"] = _("A project territory groups at least two communes.")
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def territory_create(*, user, name: str, purpose: str, communes: Iterable[Commune],
                     filiere: Filiere | None = None, description: str = "",
                     start: datetime.date | None = None) -> ProjectTerritory:
    """A new project territory with its member communes from `start` (today).

    The admin's is active at once, every membership confirmed. A CTD agent's is a proposal
    that must name one of the agent's communes (403 otherwise): the memberships of the
    agent's communes are confirmed, the others wait for their agents; it is active at once
    when the agent speaks for every member."""
    scope = scope_of(user)
    communes = sorted({c.pk: c for c in communes}.values(), key=lambda c: c.pcode)
    if not scope.is_admin and not any(c.pk in scope.commune_ids for c in communes):
        raise PermissionDenied
    _check(name, purpose, communes)
    territory = ProjectTerritory(code=_unique_code(name), name=name.strip(), purpose=purpose,
                                 filiere=filiere, description=description, proposed_by=user)
    territory._history_user = user
    territory.save()
    now, day = timezone.now(), start or timezone.localdate()
    for commune in communes:
        mine = scope.is_admin or commune.pk in scope.commune_ids
        membership = TerritoryMembership(
            territory=territory, commune=commune, start=day,
            confirmed_by=user if mine else None, confirmed_at=now if mine else None)
        membership._history_user = user
        membership.save()
    _activate_if_confirmed(territory, user)
    return territory


@transaction.atomic
def territory_confirm(*, user, territory: ProjectTerritory) -> list[TerritoryMembership]:
    """The user's agent communes confirm their membership of a proposed territory; the
    territory is active once none waits. 403 when the user confirms no membership here."""
    scope = scope_of(user)
    waiting = list(territory.memberships.select_for_update().filter(confirmed_at__isnull=True))
    mine = [m for m in waiting if m.commune_id in scope.commune_ids]
    if territory.status != ProjectTerritory.Status.PROPOSED or not mine:
        raise PermissionDenied
    now = timezone.now()
    for membership in mine:
        membership.confirmed_by, membership.confirmed_at = user, now
        membership._history_user = user
        membership.save(update_fields=["confirmed_by", "confirmed_at"])
    _activate_if_confirmed(territory, user)
    return mine


def _activate_if_confirmed(territory: ProjectTerritory, user) -> None:
    if territory.status != ProjectTerritory.Status.PROPOSED:
        return
    if territory.memberships.filter(confirmed_at__isnull=True).exists():
        return
    territory.status = ProjectTerritory.Status.ACTIVE
    territory._history_user = user
    territory.save(update_fields=["status"])


def territory_waits_for(user, territory: ProjectTerritory) -> bool:
    """Whether the user is asked to confirm this proposal (an agent of a waiting member)."""
    scope = scope_of(user)
    return (territory.status == ProjectTerritory.Status.PROPOSED and scope.is_agent
            and territory.memberships.filter(confirmed_at__isnull=True,
                                             commune_id__in=scope.commune_ids).exists())
