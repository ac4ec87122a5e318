"""Proof of existence: the verification visits of organisations (docs/registry-quality.md,
"Verification visits").

A CTD agent of the commune (or a national admin) records what a visit found: the
organisation active, dormant, not found, or moved elsewhere. The visit is information: it
never changes the organisation's status or locality by itself. Where the latest visit
disagrees with the profile (found dormant while the registry says active, not found, moved),
the organisation's page says so and offers the usual archive or edit form, so the change
keeps its own registry event and history.

The organisation keeps its latest visit (the latest `visited_on`, then the latest recorded)
in `last_verified_on` and `last_verification_outcome`, updated here in the visit's
transaction, so the lists, filters, exports and scorecards read one table. "Verified" means
the latest visit is within `settings.VERIFICATION_MONTHS` months before today and found the
organisation (`Organisation.objects.verified()`); every other organisation is flagged "not
verified"."""

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from . import freshness
from .models import Organisation, OrganisationStatus, VerificationOutcome, VerificationVisit
from .permissions import can_write_commune
from .rules import point_errors

Outcome = VerificationOutcome


def _errors(visited_on, outcome: str, new_locality: str, latitude, longitude) -> dict:
    errors = {}
    if visited_on is None:
        errors["visited_on"] = _("Give the day of the visit.")
    elif visited_on > timezone.localdate():
        errors["visited_on"] = _("A visit cannot be in the future.")
    if outcome not in Outcome.values:
        errors["outcome"] = _("Say what the visit found.")
    elif outcome == Outcome.MOVED and not new_locality.strip():
        errors["new_locality"] = _("Say where the organisation has moved to.")
    return {**errors, **point_errors(latitude, longitude)}


@transaction.atomic
def verification_record(*, user, organisation: Organisation, visited_on: datetime.date,
                        outcome: str, new_locality: str = "", latitude: float | None = None,
                        longitude: float | None = None, note: str = "") -> VerificationVisit:
    """Record a verification visit and make it the organisation's latest when it is."""
    if not can_write_commune(user, organisation.commune_id):
        raise PermissionDenied
    errors = _errors(visited_on, outcome, new_locality, latitude, longitude)
    if errors:
        raise ValidationError(errors)
    # One visit at a time per organisation: the latest is read after the others committed.
    Organisation.objects.select_for_update().filter(pk=organisation.pk).values("pk").first()
    visit = VerificationVisit.objects.create(
        organisation=organisation, visited_on=visited_on, outcome=outcome,
        new_locality=new_locality.strip() if outcome == Outcome.MOVED else "",
        latitude=latitude, longitude=longitude, note=note.strip(), visited_by=user)
    latest_refresh(organisation)
    freshness.renew([organisation.commune.pcode])  # verified filters of cached aggregates
    return visit


def latest_refresh(organisation: Organisation) -> None:
    """Copy the organisation's latest visit (none: empty) onto it."""
    latest = (organisation.verifications.order_by("-visited_on", "-id")
              .values_list("visited_on", "outcome").first()) or (None, "")
    Organisation.objects.filter(pk=organisation.pk).update(
        last_verified_on=latest[0], last_verification_outcome=latest[1])
    organisation.last_verified_on, organisation.last_verification_outcome = latest


def verification_flag(organisation: Organisation, today: datetime.date | None = None) -> str:
    """Why the organisation is flagged "not verified" ("" when it is verified)."""
    if organisation.is_verified(today):
        return ""
    day = organisation.last_verified_on
    if day is None:
        return _("Never verified by a visit.")
    shown = formats.date_format(day, "SHORT_DATE_FORMAT")
    if organisation.last_verification_outcome == Outcome.NOT_FOUND:
        return _("Not found at the last visit (%(day)s).") % {"day": shown}
    return _("Not verified since %(day)s.") % {"day": shown}


def verification_advice(organisation: Organisation, visit: VerificationVisit | None) -> str:
    """What the latest visit suggests changing in the profile ("" when it agrees)."""
    if visit is None:
        return ""
    status = organisation.status
    if visit.outcome == Outcome.DORMANT and status == OrganisationStatus.ACTIVE:
        return _("The last visit found it dormant while the registry says active: archive "
                 "it as dormant if that is confirmed.")
    if visit.outcome == Outcome.ACTIVE and status == OrganisationStatus.DORMANT:
        return _("The last visit found it active while the registry says dormant: edit its "
                 "status if that is confirmed.")
    if visit.outcome == Outcome.NOT_FOUND and status != OrganisationStatus.DISSOLVED:
        return _("The last visit did not find it: check with its members, then archive it "
                 "if it has ceased to exist.")
    if visit.outcome == Outcome.MOVED and visit.new_locality != organisation.locality:
        return _("The last visit found it moved to %(place)s: edit its locality (or its "
                 "commune) if that is confirmed.") % {"place": visit.new_locality}
    return ""
