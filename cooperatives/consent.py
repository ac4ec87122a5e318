"""The contact person's consent (Law No. 2024/017): recorded, withdrawn, and the one rule that
decides whether a contact is shown.

An organisation's contact (name, phone, e-mail) is kept on the basis of its person's consent
(core/personal_data.py, entry "organisation_contact"). `Organisation.contact_consent` follows
the latest `ContactConsent` record: the contact is shown, to those whose scope reads it, only
when it is "given"; pages, the API, exports and the history say why it is hidden otherwise.
Open data never holds contacts."""

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from .models import ContactConsent, ContactConsentState, Organisation
from .permissions import can_write_commune, scope_of

CONTACT_FIELDS = ("contact_name", "contact_phone", "contact_email")


def contact_shown(organisation: Organisation) -> bool:
    """Whether the organisation's contact may be shown at all (scope is checked apart)."""
    return organisation.shows_contact


def contact_hidden_reason(organisation: Organisation, latest: ContactConsent | None = None) -> str:
    """The sentence that replaces a hidden contact ("" when it is shown)."""
    if contact_shown(organisation):
        return ""
    if organisation.contact_consent == ContactConsentState.WITHDRAWN:
        if latest is not None and latest.withdrawn_on:
            return _("Contact hidden: its person withdrew their consent on %(day)s.") % {
                "day": formats.date_format(latest.withdrawn_on, "SHORT_DATE_FORMAT")}
        return _("Contact hidden: its person withdrew their consent.")
    return _("Contact hidden: no consent of its person is recorded.")


def latest_consent(organisation: Organisation) -> ContactConsent | None:
    return organisation.consents.select_related("recorded_by", "withdrawn_by").first()


def _may_record(user, organisation: Organisation, method: str) -> bool:
    if can_write_commune(user, organisation.commune_id):
        return True
    # A representative records their organisation's contact's consent online.
    return (organisation.pk in scope_of(user).organisation_ids
            and method == ContactConsent.Method.ONLINE)


def _set_state(organisation: Organisation, state: str) -> None:
    Organisation.objects.filter(pk=organisation.pk).update(contact_consent=state)
    organisation.contact_consent = state


@transaction.atomic
def consent_record(*, user, organisation: Organisation, method: str,
                   given_on: datetime.date | None = None, document_reference: str = "",
                   note: str = "") -> ContactConsent:
    """Record that the organisation's contact person consents (any earlier consent is
    replaced by this one)."""
    if not _may_record(user, organisation, method):
        raise PermissionDenied
    if method not in ContactConsent.Method.values:
        raise ValidationError({"method": _("Say how the consent was given.")})
    given_on = given_on or timezone.localdate()
    if given_on > timezone.localdate():
        raise ValidationError({"given_on": _("A consent cannot be given in the future.")})
    if method == ContactConsent.Method.PAPER and not document_reference.strip():
        raise ValidationError({"document_reference": _(
            "Say where the signed form is kept at the commune.")})
    organisation.consents.filter(withdrawn_on__isnull=True).update(
        withdrawn_on=given_on, withdrawn_by=user)
    consent = ContactConsent.objects.create(
        organisation=organisation, method=method, given_on=given_on,
        document_reference=document_reference.strip(), note=note, recorded_by=user)
    _set_state(organisation, ContactConsentState.GIVEN)
    return consent


@transaction.atomic
def consent_withdraw(*, user, organisation: Organisation,
                     on: datetime.date | None = None) -> ContactConsent | None:
    """Record that the contact person withdrew their consent: the contact is hidden
    everywhere from now on (it is erased only on the person's erasure request)."""
    scope = scope_of(user)
    if not (can_write_commune(user, organisation.commune_id)
            or organisation.pk in scope.organisation_ids):
        raise PermissionDenied
    on = on or timezone.localdate()
    active = organisation.consents.filter(withdrawn_on__isnull=True).first()
    if active is not None:
        active.withdrawn_on = max(on, active.given_on)
        active.withdrawn_by = user
        active.save(update_fields=["withdrawn_on", "withdrawn_by"])
    _set_state(organisation, ContactConsentState.WITHDRAWN)
    return active
