"""Applying an outbox item (docs/offline-sync.md): the same form class as the HTML page bound
to the item's values, the same fetch-and-check helper, the same service and the same error
mapping; per-field conflict detection for the kinds that change an existing organisation;
idempotent by the client's id.

`sync_apply` answers the result of one item (the API's per-item shape) and records it in
SyncChange. Each item runs in its own savepoint: one refused item never undoes another."""

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.forms import BaseForm
from django.http import Http404
from django.urls import reverse
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from cooperatives import services
from cooperatives.forms import (
    ChangeProposalForm,
    LinkProposeForm,
    OrganisationForm,
    PartnerCommuneForm,
    RegistryEventForm,
    VerificationForm,
)
from cooperatives.models import LinkStatus, Organisation
from cooperatives.permissions import get_commune_for_user, get_organisation_for_user, scope_of
from cooperatives.verification import verification_record
from core.forms import add_service_errors
from diagnostics import services as diagnostic_services
from diagnostics.forms import EntryForm
from diagnostics.permissions import get_diagnostic_for_user

from .encoding import changed_fields, encode, normalised, query_dict, well_formed
from .models import SyncChange
from .versions import organisation_version

Status = SyncChange.Status
Kind = SyncChange.Kind


@dataclass
class Outcome:
    status: str
    message: str = ""
    object: dict | None = None
    errors: dict = field(default_factory=dict)
    merged_fields: list = field(default_factory=list)
    conflicts: dict = field(default_factory=dict)
    commune_id: int | None = None


def out_of_reach() -> str:
    """The one answer for a record that is missing or outside the user's scope."""
    return _("This record does not exist or is outside your scope: the change was not "
             "applied.")


def _object(kind: str, pk: int, url: str) -> dict:
    return {"type": kind, "id": pk, "url": url}


def _form_errors(form: BaseForm) -> dict:
    return {name: [str(m) for m in messages] for name, messages in form.errors.items()}


def _invalid(form: BaseForm, commune_id=None) -> Outcome:
    return Outcome(Status.INVALID, _("Please correct the errors below."),
                   errors=_form_errors(form), commune_id=commune_id)


def _saved(form: BaseForm, save: Callable, done: Callable, *, model=None,
           commune_id=None) -> Outcome:
    """Validate the bound form, call the service, map its ValidationError onto the form
    (core.forms.add_service_errors, as the pages do); `done(result)` -> the Outcome."""
    if not form.is_valid():
        return _invalid(form, commune_id)
    try:
        result = save()
    except ValidationError as error:
        add_service_errors(form, error, model=model)
        return _invalid(form, commune_id)
    return done(result)


def _target(item: dict) -> int | None:
    """The item's target id: a whole number (or its digits), else None (found nowhere)."""
    target = item.get("target")
    text = "" if isinstance(target, bool) else str(target or "")
    return int(text) if text.isascii() and text.isdigit() and len(text) < 18 else None


# Kinds creating something ------------------------------------------------------------------

def _organisation_create(user, item: dict) -> Outcome:
    commune = get_commune_for_user(user, str(item.get("commune") or ""), need="write")
    form = OrganisationForm(query_dict(item["values"]), instance=Organisation(commune=commune))

    def save():
        return services.organisation_create(
            user=user, commune=commune, filieres=form.cleaned_data["filieres"],
            consent=form.consent(), **form.service_fields())

    return _saved(form, save, lambda o: Outcome(
        Status.APPLIED, _("The organisation is registered."), commune_id=commune.pk,
        object=_object("organisation", o.pk, reverse("organisation_detail", args=[o.pk]))),
        commune_id=commune.pk)


def _registry_event_add(user, item: dict) -> Outcome:
    organisation = get_organisation_for_user(user, _target(item), write=True)
    form = RegistryEventForm(query_dict(item["values"]))
    url = reverse("organisation_detail", args=[organisation.pk])
    return _saved(form, lambda: services.registry_event_add(
        user=user, organisation=organisation, **form.cleaned_data),
        lambda event: Outcome(Status.APPLIED, _("The registry event is recorded."),
                              object=_object("registry_event", event.pk, url),
                              commune_id=organisation.commune_id),
        commune_id=organisation.commune_id)


def _verification_add(user, item: dict) -> Outcome:
    """A verification visit typed in the field (the phone's point included)."""
    organisation = get_organisation_for_user(user, _target(item), write=True)
    form = VerificationForm(query_dict(item["values"]))
    url = reverse("organisation_detail", args=[organisation.pk]) + "#verifications"
    return _saved(form, lambda: verification_record(
        user=user, organisation=organisation, **form.cleaned_data),
        lambda visit: Outcome(Status.APPLIED, _("The verification visit is recorded."),
                              object=_object("verification", visit.pk, url),
                              commune_id=organisation.commune_id),
        commune_id=organisation.commune_id)


def _diagnostic_entry_add(user, item: dict) -> Outcome:
    diagnostic = get_diagnostic_for_user(user, _target(item), write=True)
    form = EntryForm(query_dict(item["values"]))
    url = reverse("diagnostic_detail", args=[diagnostic.pk]) + "#entries"
    return _saved(form, lambda: diagnostic_services.diagnostic_entry_add(
        user=user, diagnostic=diagnostic, **form.cleaned_data),
        lambda entry: Outcome(Status.APPLIED, _("Saved."),
                              object=_object("diagnostic_entry", entry.pk, url),
                              commune_id=diagnostic.commune_id),
        commune_id=diagnostic.commune_id)


def _link_propose(user, item: dict) -> Outcome:
    """The partner's commune is the item's `commune` (the page's ?commune=), else the
    source's, as on the page."""
    source = get_organisation_for_user(user, _target(item))
    partner = PartnerCommuneForm({"commune": item.get("commune") or source.commune.pcode})
    commune = partner.cleaned_data["commune"] if partner.is_valid() else source.commune
    form = LinkProposeForm(query_dict(item["values"]), source=source, partner_commune=commune)

    def done(link):
        confirmed = link.status == LinkStatus.CONFIRMED
        return Outcome(Status.APPLIED, _("The link is confirmed.") if confirmed
                       else _("The link is proposed."), commune_id=source.commune_id,
                       object=_object("link", link.pk, reverse("link_detail", args=[link.pk])))

    return _saved(form, lambda: services.link_propose(user=user, source=source,
                                                      **form.cleaned_data),
                  done, commune_id=source.commune_id)


# Kinds changing an organisation: versioned, compared field by field ------------------------

@dataclass(frozen=True)
class Versioned:
    load: Callable      # (user, target) -> Organisation, or Http404
    form: Callable      # (organisation, data or None) -> the page's form
    save: Callable      # (user, organisation, bound form) -> the service's result
    done: Callable      # (organisation, result) -> Outcome
    model: type | None = None  # for add_service_errors


def _load_for_edit(user, target) -> Organisation:
    return get_organisation_for_user(user, target, write=True)


def _save_edit(user, organisation, form):
    return services.organisation_update(
        user=user, organisation=organisation, filieres=form.cleaned_data["filieres"],
        consent=form.consent(), **form.service_fields())


def _load_for_proposal(user, target) -> Organisation:
    """The representative's own organisation (the page sends anyone else elsewhere)."""
    organisation = get_organisation_for_user(user, target)
    if organisation.pk not in scope_of(user).organisation_ids:
        raise Http404
    return organisation


def _organisation_object(organisation) -> dict:
    return _object("organisation", organisation.pk,
                   reverse("organisation_detail", args=[organisation.pk]))


VERSIONED = {
    Kind.ORGANISATION_UPDATE: Versioned(
        load=_load_for_edit,
        form=lambda organisation, data: OrganisationForm(data, instance=organisation),
        save=_save_edit,
        done=lambda organisation, _result: Outcome(
            Status.APPLIED, _("The changes are saved."),
            object=_organisation_object(organisation))),
    Kind.CHANGE_REQUEST_SUBMIT: Versioned(
        load=_load_for_proposal,
        form=lambda organisation, data: ChangeProposalForm(data, organisation=organisation),
        save=lambda user, organisation, form: services.change_request_submit(
            user=user, organisation=organisation, values=form.values()),
        done=lambda organisation, created: Outcome(
            Status.APPLIED, services.change_request_outcome(created),
            object=_object("change_request", created[-1].pk,
                           reverse("change_request_detail", args=[created[-1].pk]))
            if created else _organisation_object(organisation)),
        model=Organisation),
}


@dataclass
class Reconciled:
    data: dict
    merged: list[str]
    conflicts: dict


def reconcile(current: BaseForm, item: dict, version: str) -> Reconciled:
    """The contract's rule: same version -> the values as sent; else the client's changed
    fields over the current record, unless the server changed one of them too (to another
    value): then the conflicting fields, and nothing to apply."""
    values, base = item["values"], item.get("base") or {}
    if str(item.get("version") or "") == version:
        return Reconciled(values, [], {})
    theirs = encode(current)
    mine = changed_fields(current, base, values)
    conflicts = {}
    for name in mine:
        now = normalised(current, name, theirs)
        if now not in (normalised(current, name, base), normalised(current, name, values)):
            conflicts[name] = {"base": base.get(name), "theirs": theirs.get(name),
                               "mine": values.get(name)}
    merged = [name for name in changed_fields(current, base, theirs) if name not in mine]
    data = {**{k: v for k, v in values.items() if k not in current.fields}, **theirs,
            **{name: values.get(name) for name in mine}}
    return Reconciled(data, merged, conflicts)


def labels(form: BaseForm, names) -> list[str]:
    return [str(capfirst(form.fields[name].label or name)) for name in names]


def _versioned(kind: str, user, item: dict) -> Outcome:
    spec = VERSIONED[kind]
    organisation = spec.load(user, _target(item))
    commune_id = organisation.commune_id
    current = spec.form(organisation, None)
    reconciled = reconcile(current, item, organisation_version(organisation))
    if reconciled.conflicts:
        return Outcome(Status.CONFLICT, _(
            "Changed on the server meanwhile: %(fields)s. Choose the values to keep.")
            % {"fields": ", ".join(labels(current, reconciled.conflicts))},
            conflicts=reconciled.conflicts, commune_id=commune_id)
    form = spec.form(organisation, query_dict(reconciled.data))

    def done(result) -> Outcome:
        outcome = spec.done(organisation, result)
        outcome.commune_id = commune_id
        if reconciled.merged:
            outcome.status = Status.MERGED
            outcome.merged_fields = labels(current, reconciled.merged)
            outcome.message = _("Merged with the changes made meanwhile to: %(fields)s.") % {
                "fields": ", ".join(outcome.merged_fields)}
        return outcome

    return _saved(form, lambda: spec.save(user, organisation, form), done, model=spec.model,
                  commune_id=commune_id)


KINDS: dict[str, Callable] = {
    Kind.ORGANISATION_CREATE: _organisation_create,
    Kind.ORGANISATION_UPDATE: lambda user, item: _versioned(Kind.ORGANISATION_UPDATE, user,
                                                            item),
    Kind.REGISTRY_EVENT_ADD: _registry_event_add,
    Kind.VERIFICATION_ADD: _verification_add,
    Kind.DIAGNOSTIC_ENTRY_ADD: _diagnostic_entry_add,
    Kind.LINK_PROPOSE: _link_propose,
    Kind.CHANGE_REQUEST_SUBMIT: lambda user, item: _versioned(Kind.CHANGE_REQUEST_SUBMIT,
                                                              user, item),
}


# One item ----------------------------------------------------------------------------------

def run(user, item: dict) -> Outcome:
    """Apply the item through its kind; out of scope, missing or not allowed -> refused."""
    if item.get("kind") not in KINDS:
        return Outcome(Status.INVALID, _("Unknown kind of change."))
    if not well_formed(item.get("values")) or not well_formed(item.get("base") or {}):
        return Outcome(Status.INVALID, _("The values of the change are not a form's values."))
    try:
        return KINDS[item["kind"]](user, item)
    except (Http404, PermissionDenied):
        return Outcome(Status.REFUSED, out_of_reach())


def result_of(pk, outcome: Outcome) -> dict:
    return {"id": str(pk), "status": outcome.status, "repeat": False,
            "object": outcome.object, "errors": outcome.errors, "message": outcome.message,
            "merged_fields": outcome.merged_fields,
            "conflict_url": reverse("offline:conflict", args=[pk])
            if outcome.status == Status.CONFLICT else None}


def _record(user, pk, item: dict, outcome: Outcome, result: dict, *, exists: bool) -> None:
    fields = {"user": user, "kind": item["kind"], "target_id": _target(item),
              "commune_id": outcome.commune_id,
              "version": str(item.get("version") or "")[:64], "base": item.get("base") or {},
              "values": item["values"], "status": outcome.status, "result": result,
              "errors": outcome.errors, "conflicts": outcome.conflicts}
    if exists:  # an invalid change sent again, corrected
        SyncChange.objects.filter(pk=pk).update(**fields)
    else:
        SyncChange.objects.create(id=pk, **fields)


def _repeat(user, change: SyncChange) -> dict:
    if change.user_id != user.pk:
        return {**result_of(change.pk, Outcome(Status.REFUSED, _(
            "This change was already sent from another account."))), "repeat": True}
    return {**change.result, "repeat": True}


def sync_apply(*, user, item: dict) -> dict:
    """Apply one outbox item once (the API's per-item result). An id received before answers
    its stored result with "repeat": true, nothing applied again, except an item refused as
    invalid, which the agent corrects and sends again under the same id."""
    pk = uuid.UUID(str(item["id"]))
    stored = SyncChange.objects.filter(pk=pk).first()
    if stored is not None and (stored.user_id != user.pk or stored.status != Status.INVALID):
        return _repeat(user, stored)
    try:
        with transaction.atomic():
            outcome = run(user, item)
            result = result_of(pk, outcome)
            if item.get("kind") in KINDS:
                _record(user, pk, item, outcome, result, exists=stored is not None)
    except IntegrityError:  # the same id sent twice at once: the other request recorded it
        again = SyncChange.objects.filter(pk=pk).first()
        if again is None:
            raise
        return _repeat(user, again)
    return result
