"""Every write to support programmes and enrolments goes through here.

The HTML forms and the API call these functions, so the rules live once: the user's rights
(PermissionDenied), the model rules (full_clean, messages translated) and one transaction;
history rows record who made the change. A programme always covers its owner commune, and
enrolling an organisation adds the organisation's commune to the programme's communes.
"""

import datetime
from collections.abc import Iterable

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from communes.models import Commune
from cooperatives.models import Organisation

from .models import Enrolment, Programme
from .permissions import may_change_communes, may_enrol, may_own

PROGRAMME_FIELDS = ("name", "owner_type", "ministry", "owner_commune", "partner", "kind",
                    "start_date", "end_date", "budget", "description")
ENROLMENT_FIELDS = ("start_date", "end_date", "outcome", "note")


def _commune_ids(programme: Programme, communes: Iterable[Commune | int]) -> set[int]:
    ids = {getattr(c, "pk", c) for c in communes}
    if programme.owner_commune_id:
        ids.add(programme.owner_commune_id)
    return ids


def _clean_owner(programme: Programme) -> None:
    """Keep only the owner field of the owner type, so a form's leftovers do not break the
    one-owner rule; a missing owner is reported on its field."""
    kind = programme.owner_type
    if kind != Programme.OwnerType.MINISTRY:
        programme.ministry = None
    if kind != Programme.OwnerType.COMMUNE:
        programme.owner_commune = None
    if kind != Programme.OwnerType.PARTNER:
        programme.partner = ""
    missing = {Programme.OwnerType.MINISTRY: ("ministry", programme.ministry_id),
               Programme.OwnerType.COMMUNE: ("owner_commune", programme.owner_commune_id),
               Programme.OwnerType.PARTNER: ("partner", programme.partner.strip())}.get(kind)
    if missing and not missing[1]:
        raise ValidationError({missing[0]: [_("Give the programme's owner.")]})


def _validate(programme: Programme, commune_ids: set[int]) -> None:
    _clean_owner(programme)
    errors = {}
    if not commune_ids:
        errors["communes"] = [_("Give at least one commune the programme covers.")]
    try:
        programme.full_clean()
    except ValidationError as error:
        errors = error.update_error_dict(errors)
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def programme_record(*, user, name: str, owner_type: str, kind: str,
                     start_date: datetime.date, communes: Iterable = (), ministry=None,
                     owner_commune=None, partner: str = "", end_date=None, budget: int = 0,
                     description: str = "") -> Programme:
    """Record a support programme covering `communes` (its owner commune is always added)."""
    programme = Programme(name=name, owner_type=owner_type, ministry=ministry,
                          owner_commune=owner_commune, partner=partner, kind=kind,
                          start_date=start_date, end_date=end_date, budget=budget,
                          description=description, recorded_by=user)
    ids = _commune_ids(programme, communes)
    if not (may_own(user, owner_type=owner_type, ministry_id=programme.ministry_id,
                    owner_commune_id=programme.owner_commune_id, commune_ids=ids)
            and may_change_communes(user, owner_type, ids, set())):
        raise PermissionDenied
    _validate(programme, ids)
    programme._history_user = user
    programme.save()
    programme.communes.set(sorted(ids))  # one more history row, with the communes
    return programme


@transaction.atomic
def programme_update(*, user, programme: Programme, communes: Iterable | None = None,
                     **fields) -> Programme:
    """Change a programme; the user must be allowed both before and after the change (an
    analyst cannot hand it to another ministry)."""
    stored = set(programme.communes.values_list("pk", flat=True))
    if not may_own(user, owner_type=programme.owner_type, ministry_id=programme.ministry_id,
                   owner_commune_id=programme.owner_commune_id, commune_ids=stored):
        raise PermissionDenied
    unknown = set(fields) - set(PROGRAMME_FIELDS)
    if unknown:
        raise TypeError(f"Unexpected fields: {', '.join(sorted(unknown))}")
    for name, value in fields.items():
        setattr(programme, name, value)
    ids = stored if communes is None else _commune_ids(programme, communes)
    if programme.owner_commune_id:
        ids.add(programme.owner_commune_id)
    if not (may_own(user, owner_type=programme.owner_type, ministry_id=programme.ministry_id,
                    owner_commune_id=programme.owner_commune_id, commune_ids=ids)
            and may_change_communes(user, programme.owner_type, ids - stored, stored - ids)):
        raise PermissionDenied
    _validate(programme, ids)
    if ids != stored:
        programme.skip_history_when_saving = True  # the save below records one row
        try:
            programme.communes.set(sorted(ids))
        finally:
            del programme.skip_history_when_saving
    programme._history_user = user
    programme.save()
    return programme


def _cover(programme: Programme, commune_id: int) -> None:
    """Add the commune to the programme's communes (no history row of its own: the
    enrolment's row tells why)."""
    programme.communes.through.objects.get_or_create(programme_id=programme.pk,
                                                     commune_id=commune_id)


@transaction.atomic
def enrolment_record(*, user, programme: Programme, organisation: Organisation,
                     start_date: datetime.date, end_date=None,
                     outcome: str = Enrolment.Outcome.ONGOING, note: str = "") -> Enrolment:
    """Enrol an organisation in a programme (see support.permissions for who may)."""
    if not may_enrol(user, programme, organisation.commune_id):
        raise PermissionDenied
    enrolment = Enrolment(programme=programme, organisation=organisation,
                          start_date=start_date, end_date=end_date, outcome=outcome, note=note,
                          recorded_by=user)
    enrolment.full_clean()
    enrolment._history_user = user
    enrolment.save()
    _cover(programme, organisation.commune_id)
    return enrolment


@transaction.atomic
def enrolment_update(*, user, enrolment: Enrolment, **fields) -> Enrolment:
    """Change an enrolment's dates, outcome or note (not its programme or organisation)."""
    if not may_enrol(user, enrolment.programme, enrolment.organisation.commune_id):
        raise PermissionDenied
    unknown = set(fields) - set(ENROLMENT_FIELDS)
    if unknown:
        raise TypeError(f"Unexpected fields: {', '.join(sorted(unknown))}")
    for name, value in fields.items():
        setattr(enrolment, name, value)
    enrolment.full_clean()
    enrolment._history_user = user
    enrolment.save()
    return enrolment


