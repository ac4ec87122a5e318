"""The queue of possible duplicates (cooperatives.duplicates flags them): a CTD agent merges a
pair or dismisses it, never the platform by itself.

A merge keeps one organisation and dissolves the other (with a dissolution event saying into
which one it was merged): nothing is deleted, so the history of both stays readable. Links,
registry events, change requests, union members, converted organisations, bureau seats, role
assignments, filières and every other row pointing at the dissolved organisation (intervention
beneficiaries included, found through the model relations so this app imports no upper one)
move to the kept one; the kept organisation's empty fields are filled from the other's.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.db.models import Q
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from simple_history.utils import bulk_update_with_history

from .history import history_filieres_refresh
from .models import (
    CooperationLink,
    DuplicateFlag,
    LegalForm,
    LinkStatus,
    Organisation,
    OrganisationFiliere,
    OrganisationStatus,
    Role,
    RoleAssignment,
)
from .permissions import can_write_commune, scope_of
from .services import organisation_archive, organisation_update
from .signals import organisations_bulk_changed
from .verification import latest_refresh


def duplicate_flags_of_commune(commune, *, status: str = DuplicateFlag.Status.OPEN):
    """The commune's flags of a status, oldest first, with both organisations loaded."""
    return (DuplicateFlag.objects.filter(org_a__commune=commune, status=status)
            .select_related("org_a__primary_filiere", "org_b__primary_filiere", "reviewer")
            .order_by("created_at", "id"))


def _check_decision(user, flag: DuplicateFlag) -> None:
    for organisation in (flag.org_a, flag.org_b):
        if not can_write_commune(user, organisation.commune_id):
            raise PermissionDenied
    if flag.status != DuplicateFlag.Status.OPEN:
        raise ValidationError(_("This possible duplicate has already been decided."))


def _close_flag(flag: DuplicateFlag, user, status: str) -> DuplicateFlag:
    flag.status = status
    flag.reviewer = user
    flag.decided_at = timezone.now()
    flag.save(update_fields=["status", "reviewer", "decided_at"])
    return flag


@transaction.atomic
def duplicate_dismiss(*, user, flag: DuplicateFlag) -> DuplicateFlag:
    """The CTD agent says the two are different organisations: the pair is never flagged
    again."""
    _check_decision(user, flag)
    return _close_flag(flag, user, DuplicateFlag.Status.DISMISSED)


@transaction.atomic
def duplicate_merge(*, user, flag: DuplicateFlag, keep: Organisation) -> Organisation:
    """The CTD agent merges the pair into `keep` (one of the two); the other is dissolved.
    See the module docstring for what moves. Raises PermissionDenied or ValidationError."""
    _check_decision(user, flag)
    if keep.pk not in (flag.org_a_id, flag.org_b_id):
        raise ValidationError(_("Choose one of the two organisations to keep."))
    keep = Organisation.objects.select_for_update().get(pk=keep.pk)
    drop = Organisation.objects.select_for_update().get(
        pk=flag.org_b_id if keep.pk == flag.org_a_id else flag.org_a_id)
    _check_mergeable(keep, drop)
    fill = _blank_fields_filled(keep, drop)
    freed = {name: empty for name, empty in UNIQUE_NUMBERS.items() if fill.get(name)}
    if freed:  # the numbers move: each is unique in the registry
        organisation_update(user=user, organisation=drop, **freed)
    _move_filieres(drop, keep)
    partners = _move_links(drop, keep, user)
    _move_rows(drop, keep, user)
    for organisation in (keep, drop):  # the visits moved: each one's latest, again
        latest_refresh(organisation)
    _move_flags(drop, keep)
    # Saved even with nothing to fill: its updated_at says the record was reviewed now.
    organisation_update(user=user, organisation=keep, **fill)
    note = _("Merged into %(name)s (#%(id)s): possible duplicate decided by %(user)s.") % {
        "name": keep.name, "id": keep.pk, "user": user.display_name}
    organisation_archive(user=user, organisation=drop, status=OrganisationStatus.DISSOLVED,
                         note=note)
    _close_flag(flag, user, DuplicateFlag.Status.MERGED)
    # Moved links changed the partners' communes too (no save signal for bulk updates).
    organisations_bulk_changed.send(sender=Organisation, commune_ids=sorted(
        set(Organisation.objects.filter(pk__in=partners).values_list("commune_id", flat=True))
        - {keep.commune_id}))
    return keep


def _check_mergeable(keep: Organisation, drop: Organisation) -> None:
    if {keep.parent_union_id, keep.converted_from_gic_id} & {drop.pk} or {
            drop.parent_union_id, drop.converted_from_gic_id} & {keep.pk}:
        raise ValidationError(_("One of these organisations is the union or the GIC of origin "
                                "of the other: they are not duplicates."))
    unions = (LegalForm.UNION, LegalForm.FEDERATION)
    if drop.union_members.exists() and keep.legal_form not in unions:
        raise ValidationError(_("The organisation merged away has member cooperatives: keep "
                                "a union or a federation."))
    if drop.converted_into.exists() and keep.legal_form != LegalForm.GIC:
        raise ValidationError(_("Organisations were converted from the one merged away: keep "
                                "a GIC."))


# The registry numbers, unique, and the value that leaves one empty.
UNIQUE_NUMBERS = {"rsc_number": None, "niu": None, "ues_number": ""}
MERGE_FILLED = ("acronym", "rsc_number", "rsc_date", "niu", "ues_number", "member_interest",
                "locality",
                "reless_member_since", "parent_union", "converted_from_gic", "contact_name",
                "contact_phone", "contact_email", "description", "latitude", "longitude")


def _blank_fields_filled(keep: Organisation, drop: Organisation) -> dict:
    """The kept organisation's empty fields that the other one has filled."""
    fill = {}
    for name in MERGE_FILLED:
        attname = Organisation._meta.get_field(name).attname
        if getattr(keep, attname) in (None, "") and getattr(drop, attname) not in (None, ""):
            fill[attname] = getattr(drop, attname)
    if ("latitude" in fill) != ("longitude" in fill):  # a map point moves whole or not
        fill.pop("latitude", None)
        fill.pop("longitude", None)
    return fill


def _move_filieres(drop: Organisation, keep: Organisation) -> None:
    have = set(keep.filieres.values_list("pk", flat=True))
    wanted = set(drop.filieres.values_list("pk", flat=True)) - have
    OrganisationFiliere.objects.bulk_create(
        [OrganisationFiliere(organisation=keep, filiere_id=f) for f in sorted(wanted)],
        ignore_conflicts=True)


LINK_RANK = {LinkStatus.CONFIRMED: 2, LinkStatus.PROPOSED: 1, LinkStatus.ENDED: 0}


def _move_links(drop: Organisation, keep: Organisation, user) -> set[int]:
    """Links of the dissolved organisation move to the kept one. A link between the two ends;
    a link the kept one already has (same partner, same kind) stays, confirmed if the moved
    one was, and the moved one ends. Returns the partners' ids."""
    links = list(CooperationLink.objects.filter(Q(source=drop) | Q(target=drop)))
    partners = {(_other_end(link, keep.pk), link.kind): link
                for link in CooperationLink.objects.filter(Q(source=keep) | Q(target=keep))}
    moved, ended, upgraded = [], [], []
    today = timezone.localdate()
    for link in links:
        other = _other_end(link, drop.pk)
        existing = partners.get((other, link.kind))
        if other == keep.pk or existing is not None:
            if existing is not None and LINK_RANK[link.status] > LINK_RANK[existing.status]:
                existing.status = link.status
                existing.source_confirmed = existing.target_confirmed = True
                existing.start_date = existing.start_date or link.start_date or today
                upgraded.append(existing)
            if link.status != LinkStatus.ENDED:
                link.status, link.end_date = LinkStatus.ENDED, max(today, link.start_date or today)
                ended.append(link)
            continue
        if link.source_id == drop.pk:
            link.source_id = keep.pk
        else:
            link.target_id = keep.pk
        moved.append(link)
    fields = ["source", "target", "status", "end_date", "source_confirmed",
              "target_confirmed", "start_date"]
    for batch in (moved, ended, upgraded):
        if batch:
            bulk_update_with_history(batch, CooperationLink, fields, default_user=user)
    return {_other_end(link, keep.pk) for link in moved}


def _other_end(link: CooperationLink, organisation_id: int) -> int:
    return link.target_id if link.source_id == organisation_id else link.source_id


def _move_rows(drop: Organisation, keep: Organisation, user) -> None:
    """Every other row pointing at the dissolved organisation points at the kept one:
    this app's models with their history, other apps' (found through the relations, so no
    upper app is imported) with plain updates."""
    RoleAssignment.objects.filter(
        organisation=drop, role=Role.REPRESENTATIVE,
        user__in=RoleAssignment.objects.filter(organisation=keep).values("user")).delete()
    handled = {OrganisationFiliere, CooperationLink, DuplicateFlag}
    for relation in Organisation._meta.related_objects:
        model = relation.related_model
        if model in handled:
            continue
        if relation.many_to_many:
            _move_m2m(relation, drop, keep)
            continue
        field = relation.field
        rows = list(model._default_manager.filter(**{field.name: drop}))
        if not rows:
            continue
        for row in rows:
            setattr(row, field.attname, keep.pk)
        if hasattr(model, "history"):
            bulk_update_with_history(rows, model, [field.name], default_user=user)
            if model is Organisation:  # bulk history records carry no filière set
                history_filieres_refresh(row.pk for row in rows)
        else:
            model._default_manager.bulk_update(rows, [field.name])


def _move_m2m(relation: models.ManyToManyRel, drop: Organisation, keep: Organisation) -> None:
    """Rows of a many-to-many table (e.g. intervention beneficiaries) move to the kept
    organisation, without doubling a row it already has."""
    field = relation.field
    through = field.remote_field.through
    ours, theirs = field.m2m_reverse_field_name(), field.m2m_field_name()
    manager = through._default_manager
    already = manager.filter(**{ours: keep}).values(theirs)
    manager.filter(**{ours: drop}).exclude(**{f"{theirs}__in": already}).update(**{ours: keep})
    manager.filter(**{ours: drop}).delete()


def _move_flags(drop: Organisation, keep: Organisation) -> None:
    """Open flags of the dissolved organisation with third ones become the kept one's."""
    flags = DuplicateFlag.objects.filter(Q(org_a=drop) | Q(org_b=drop),
                                         status=DuplicateFlag.Status.OPEN)
    new = []
    for flag in flags:
        other = flag.org_b_id if flag.org_a_id == drop.pk else flag.org_a_id
        if other != keep.pk:
            a, b = sorted((keep.pk, other))
            new.append(DuplicateFlag(org_a_id=a, org_b_id=b, reasons=flag.reasons))
    flags.exclude(Q(org_a=keep) | Q(org_b=keep)).delete()
    DuplicateFlag.objects.bulk_create(new, ignore_conflicts=True)


def get_duplicate_flag_for_user(user, pk) -> DuplicateFlag:
    """A flag the user may decide (admins, the CTD agents of its commune), else 404."""
    flags = DuplicateFlag.objects.select_related("org_a__commune", "org_b__commune")
    if not scope_of(user).is_admin:
        flags = flags.filter(org_a__commune_id__in=scope_of(user).commune_ids)
    try:
        return flags.get(pk=pk)
    except (DuplicateFlag.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
