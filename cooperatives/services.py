"""Every write to organisations, links, the RELESS and change requests goes through here.

HTML forms, the API, imports and tasks all call these functions, so the rules live once.
Each function validates with the model rules (French/English messages) and runs in one
transaction; history rows record who made the change.
"""

import datetime
from collections.abc import Iterable

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from sectors.models import Filiere

from . import notices
from .consent import consent_record
from .duplicates import duplicates_flag_for
from .history import history_filieres_refresh
from .models import (
    BureauMember,
    ChangeRequest,
    CooperationLink,
    LinkStatus,
    Organisation,
    OrganisationFiliere,
    OrganisationLabel,
    OrganisationStatus,
    RegistryEvent,
    Reless,
)
from .permissions import can_write_commune, scope_of

# Fields a representative changes at once (recorded as applied automatically) ...
SELF_SERVICE_FIELDS = ("contact_name", "contact_phone", "contact_email", "description",
                       "latitude", "longitude")
# ... and fields that wait for the CTD agent's review.
REVIEWED_FIELDS = ("legal_form", "rsc_number", "niu", "ues_number", "status", "filieres",
                   "member_interest", "members_total", "members_women", "members_youth",
                   "worker_members", "producer_members")


def _set_filieres(organisation: Organisation, filieres: Iterable[Filiere] | None) -> None:
    wanted = {organisation.primary_filiere_id} | {f.pk for f in (filieres or [])}
    OrganisationFiliere.objects.filter(organisation=organisation).exclude(
        filiere_id__in=wanted).delete()
    OrganisationFiliere.objects.bulk_create(
        [OrganisationFiliere(organisation=organisation, filiere_id=f) for f in sorted(wanted)],
        ignore_conflicts=True)
    history_filieres_refresh([organisation.pk])  # the record just saved keeps the new set


def _save(organisation: Organisation, user) -> None:
    organisation._history_user = user
    organisation.full_clean()
    organisation.save()
    duplicates_flag_for(organisation)  # possible duplicates go to the commune's queue


@transaction.atomic
def organisation_create(*, user, filieres: Iterable[Filiere] | None = None,
                        consent: dict | None = None, **fields) -> Organisation:
    """Register an organisation in a commune the user may write to (`consent`: the contact
    person's consent to record with it, cooperatives.consent.consent_record's arguments)."""
    organisation = Organisation(**fields)
    if organisation.commune_id is None or not can_write_commune(user, organisation.commune_id):
        raise PermissionDenied
    if organisation.status == OrganisationStatus.DISSOLVED:
        raise ValidationError({"status": _(
            "An organisation cannot be registered as dissolved: register it, then dissolve "
            "it with the archive action, which records the dissolution in the registry.")})
    _save(organisation, user)
    _set_filieres(organisation, filieres)
    if organisation.rsc_number:
        RegistryEvent.objects.create(
            organisation=organisation, kind=RegistryEvent.Kind.REGISTRATION,
            date=organisation.rsc_date or timezone.localdate(), reference=organisation.rsc_number)
    if consent:
        consent_record(user=user, organisation=organisation, **consent)
    return organisation


@transaction.atomic
def organisation_update(*, user, organisation: Organisation,
                        filieres: Iterable[Filiere] | None = None,
                        dissolved_on: datetime.date | None = None, dissolution_note: str = "",
                        consent: dict | None = None, **fields) -> Organisation:
    """Change an organisation's fields (and filières when given). A change of status to
    dissolved records the dissolution in the registry (dated `dissolved_on`, today when
    None), whichever path asked for it: the archive action, the API or a change request."""
    if not can_write_commune(user, organisation.commune_id):
        raise PermissionDenied
    for name, value in fields.items():
        setattr(organisation, name, value)
    dissolving = (organisation.status == OrganisationStatus.DISSOLVED
                  and _stored_status(organisation) != OrganisationStatus.DISSOLVED)
    if not can_write_commune(user, organisation.commune_id):  # moved out of the user's scope
        raise PermissionDenied
    _save(organisation, user)
    if filieres is not None or "primary_filiere" in fields:
        current = filieres if filieres is not None else organisation.filieres.all()
        _set_filieres(organisation, list(current))
    if dissolving:
        RegistryEvent.objects.create(organisation=organisation,
                                     kind=RegistryEvent.Kind.DISSOLUTION,
                                     date=dissolved_on or timezone.localdate(),
                                     note=dissolution_note)
    if consent:
        consent_record(user=user, organisation=organisation, **consent)
    return organisation


def _stored_status(organisation: Organisation) -> str | None:
    """The status in the database (a form may already have written the new one onto the
    instance)."""
    return Organisation.objects.filter(pk=organisation.pk).values_list(
        "status", flat=True).first()


@transaction.atomic
def organisation_archive(*, user, organisation: Organisation, status: str,
                         on: datetime.date | None = None, note: str = "") -> Organisation:
    """Mark an organisation dormant or dissolved; organisations are never deleted."""
    if status not in (OrganisationStatus.DORMANT, OrganisationStatus.DISSOLVED):
        raise ValidationError({"status": _("An organisation is archived as dormant or "
                                           "dissolved.")})
    return organisation_update(user=user, organisation=organisation, status=status,
                               dissolved_on=on, dissolution_note=note)


def organisation_warnings(organisation: Organisation) -> list[str]:
    """What is saved but deserves a second look (a map point outside the commune)."""
    return [w for w in [organisation.point_warning()] if w]


def _json_value(value):
    if isinstance(value, datetime.date):
        return value.isoformat()
    if hasattr(value, "pk"):
        return value.pk
    return value


def _current(organisation: Organisation, name: str):
    if name == "filieres":
        return sorted(organisation.filieres.values_list("code", flat=True))
    return _json_value(getattr(organisation, name))


@transaction.atomic
def change_request_submit(*, user, organisation: Organisation,
                          values: dict) -> list[ChangeRequest]:
    """A representative proposes new values for its organisation's profile.

    Self-service fields apply at once (one request recorded as applied automatically);
    reviewed fields wait in one pending request. `filieres` is a list of filière codes.
    Returns the requests created (none when nothing changed)."""
    scope = scope_of(user)
    if organisation.pk not in scope.organisation_ids and not can_write_commune(
            user, organisation.commune_id):
        raise PermissionDenied
    changed = {name: {"old": _current(organisation, name), "new": _json_value(new)}
               for name, new in values.items()
               if name in SELF_SERVICE_FIELDS + REVIEWED_FIELDS
               and _current(organisation, name) != _json_value(new)}
    if "filieres" in changed:
        changed["filieres"]["new"] = sorted(changed["filieres"]["new"])
        _check_filieres(changed["filieres"]["new"])
    changed = _validate_proposal(organisation, changed)
    instant = {k: v for k, v in changed.items() if k in SELF_SERVICE_FIELDS}
    reviewed = {k: v for k, v in changed.items() if k in REVIEWED_FIELDS}
    created = []
    if instant:
        for name, change in instant.items():
            setattr(organisation, name, change["new"])
        _save(organisation, user)
        created.append(ChangeRequest.objects.create(
            organisation=organisation, requested_by=user, changes=instant,
            status=ChangeRequest.Status.APPLIED, reviewed_at=timezone.now()))
    if reviewed:
        created.append(ChangeRequest.objects.create(
            organisation=organisation, requested_by=user, changes=reviewed))
    return created


def change_request_outcome(created: list[ChangeRequest]) -> str:
    """What a change proposal did, in the user's words (the proposal page, offline sync)."""
    statuses = {cr.status for cr in created}
    if not statuses:
        return _("Nothing changed.")
    if ChangeRequest.Status.PENDING in statuses and ChangeRequest.Status.APPLIED in statuses:
        return _("Contacts, description and map point are updated; the other changes wait "
                 "for the CTD agent's review.")
    if ChangeRequest.Status.PENDING in statuses:
        return _("Your request waits for the CTD agent's review.")
    return _("The changes are saved.")


def _check_filieres(codes: list[str]) -> None:
    known = set(Filiere.objects.filter(code__in=codes).values_list("code", flat=True))
    unknown = sorted(set(codes) - known)
    if unknown:
        raise ValidationError({"filieres": _("Unknown filière: %(codes)s.")
                               % {"codes": ", ".join(unknown)}})


def _validate_proposal(organisation: Organisation, changes: dict) -> dict:
    """Check the proposed values against the model rules without saving anything; the
    changes with their values as the rules store them (a phone normalised, an empty count
    as 0), without those that then change nothing."""
    probe = Organisation.objects.get(pk=organisation.pk)
    for name, change in changes.items():
        if name != "filieres":
            setattr(probe, name, change["new"])
    probe.full_clean()
    stored = {name: change if name == "filieres" else
              {**change, "new": _json_value(getattr(probe, name))}
              for name, change in changes.items()}
    return {name: change for name, change in stored.items() if change["old"] != change["new"]}


@transaction.atomic
def change_request_approve(*, user, change_request: ChangeRequest) -> ChangeRequest:
    """The CTD agent applies a pending request's new values to the organisation."""
    _check_reviewer(user, change_request)
    organisation = change_request.organisation
    fields = {k: v["new"] for k, v in change_request.changes.items() if k != "filieres"}
    filieres = None
    if "filieres" in change_request.changes:
        filieres = list(Filiere.objects.filter(code__in=change_request.changes["filieres"]["new"]))
    organisation_update(user=user, organisation=organisation, filieres=filieres, **fields)
    _close(change_request, user, ChangeRequest.Status.APPROVED, "")
    notices.change_request_decided(change_request, by=user)
    return change_request


@transaction.atomic
def change_request_reject(*, user, change_request: ChangeRequest, reason: str) -> ChangeRequest:
    """The CTD agent refuses a pending request, with a reason the representative reads."""
    _check_reviewer(user, change_request)
    if not reason.strip():
        raise ValidationError({"reason": _("Say why the request is rejected.")})
    _close(change_request, user, ChangeRequest.Status.REJECTED, reason)
    notices.change_request_decided(change_request, by=user)
    return change_request


def _check_reviewer(user, change_request: ChangeRequest) -> None:
    if not can_write_commune(user, change_request.organisation.commune_id):
        raise PermissionDenied
    if change_request.status != ChangeRequest.Status.PENDING:
        raise ValidationError(_("This request has already been reviewed."))


def _close(change_request: ChangeRequest, user, status: str, reason: str) -> ChangeRequest:
    change_request.status = status
    change_request.reviewer = user
    change_request.reason = reason
    change_request.reviewed_at = timezone.now()
    change_request._history_user = user
    change_request.save()
    return change_request


def _sides_user_speaks_for(user, link: CooperationLink) -> set[str]:
    """Which ends of the link the user may confirm: 'source', 'target' or both."""
    scope = scope_of(user)
    sides = set()
    for side, org in (("source", link.source), ("target", link.target)):
        if (scope.is_admin or org.commune_id in scope.commune_ids
                or org.pk in scope.organisation_ids):
            sides.add(side)
    return sides


@transaction.atomic
def link_propose(*, user, source: Organisation, target: Organisation, kind: str,
                 start_date: datetime.date | None = None, note: str = "") -> CooperationLink:
    """Propose a link; the proposer's side (or both, for an agent of both) is confirmed."""
    link = CooperationLink(source=source, target=target, kind=kind, start_date=start_date,
                           note=note)
    sides = _sides_user_speaks_for(user, link)
    if "source" not in sides:
        raise PermissionDenied
    link.source_confirmed = True
    link.target_confirmed = "target" in sides
    _update_status(link)
    link._history_user = user
    link.full_clean()
    link.save()
    notices.link_changed(link, notices.Kind.LINK_CONFIRMED if link.status == LinkStatus.CONFIRMED
                         else notices.Kind.LINK_PROPOSED, by=user)
    return link


@transaction.atomic
def link_confirm(*, user, link: CooperationLink) -> CooperationLink:
    """Confirm the sides the user speaks for; both sides confirmed make the link count."""
    sides = _sides_user_speaks_for(user, link)
    if not sides:
        raise PermissionDenied
    if link.status == LinkStatus.ENDED:
        raise ValidationError(_("This link has ended."))
    was = link.status
    link.source_confirmed |= "source" in sides
    link.target_confirmed |= "target" in sides
    _update_status(link)
    link._history_user = user
    link.save()
    if was != LinkStatus.CONFIRMED and link.status == LinkStatus.CONFIRMED:
        notices.link_changed(link, notices.Kind.LINK_CONFIRMED, by=user)
    return link


@transaction.atomic
def link_refuse(*, user, link: CooperationLink, note: str = "") -> CooperationLink:
    """The partner refuses a proposal: the link ends without ever counting."""
    return link_end(user=user, link=link, note=note)


@transaction.atomic
def link_end(*, user, link: CooperationLink, on: datetime.date | None = None,
             note: str = "") -> CooperationLink:
    """End a link (either side may); ended links no longer count in reports."""
    if not _sides_user_speaks_for(user, link):
        raise PermissionDenied
    was = link.status
    link.status = LinkStatus.ENDED
    link.end_date = on or timezone.localdate()
    if link.start_date and link.end_date < link.start_date:
        link.end_date = link.start_date
    if note:
        link.note = f"{link.note}\n{note}".strip()
    link._history_user = user
    link.save()
    if was != LinkStatus.ENDED:
        # A proposal ended before both sides confirmed it was refused; a counted link ended.
        notices.link_changed(link, notices.Kind.LINK_REFUSED if was == LinkStatus.PROPOSED
                             else notices.Kind.LINK_ENDED, by=user)
    return link


def _update_status(link: CooperationLink) -> None:
    if link.status != LinkStatus.ENDED and link.source_confirmed and link.target_confirmed:
        link.status = LinkStatus.CONFIRMED
        link.start_date = link.start_date or timezone.localdate()


def link_sides_for(*, user, link: CooperationLink) -> set[str]:
    """Which ends of the link the user speaks for ('source', 'target'), for pages to offer
    only the actions the services will accept."""
    return _sides_user_speaks_for(user, link)


@transaction.atomic
def registry_event_add(*, user, organisation: Organisation, kind: str, date: datetime.date,
                       reference: str = "", note: str = "") -> RegistryEvent:
    """Record a dated RSC entry (registration, modification, dissolution) of an organisation."""
    if not can_write_commune(user, organisation.commune_id):
        raise PermissionDenied
    event = RegistryEvent(organisation=organisation, kind=kind, date=date,
                          reference=reference, note=note)
    event._history_user = user
    event.full_clean()
    event.save()
    return event


@transaction.atomic
def label_add(*, user, organisation: Organisation, **fields) -> OrganisationLabel:
    """Record a label or certification the organisation holds (kind, name, certifier,
    certificate number, validity)."""
    if not can_write_commune(user, organisation.commune_id):
        raise PermissionDenied
    label = OrganisationLabel(organisation=organisation, **fields)
    label._history_user = user
    label.full_clean()
    label.save()
    return label


@transaction.atomic
def reless_save(*, user, commune, **fields) -> Reless:
    """Create the commune's RELESS or change its name, founding date or status."""
    if not can_write_commune(user, commune.pk):
        raise PermissionDenied
    reless = Reless.objects.filter(commune=commune).first() or Reless(commune=commune)
    for name, value in fields.items():
        setattr(reless, name, value)
    reless._history_user = user
    reless.full_clean()
    reless.save()
    return reless


@transaction.atomic
def bureau_member_save(*, user, reless: Reless, member: BureauMember | None = None,
                       **fields) -> BureauMember:
    """Add a bureau member to a RELESS, or change one (an ended mandate gets its end date;
    bureau members are kept for the record)."""
    if not can_write_commune(user, reless.commune_id):
        raise PermissionDenied
    member = member or BureauMember(reless=reless)
    if member.reless_id != reless.pk:
        raise PermissionDenied
    for name, value in fields.items():
        setattr(member, name, value)
    organisation = member.organisation
    if organisation is not None and organisation.commune_id != reless.commune_id:
        raise ValidationError({"organisation": _(
            "The organisation must belong to the RELESS's commune.")})
    member._history_user = user
    member.full_clean()
    member.save()
    return member


@transaction.atomic
def reless_membership_set(*, user, organisation: Organisation,
                          since: datetime.date | None) -> Organisation:
    """Record when an organisation joined its commune's RELESS (None: it is not a member)."""
    return organisation_update(user=user, organisation=organisation, reless_member_since=since)
