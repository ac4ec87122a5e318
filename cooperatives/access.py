"""What the registry's pages, API and exports tell the access log (accounts.access_log): one
helper per kind of record, each logging only the records whose personal data was shown, and
only the fields shown with a value (a contact without its person's consent is never shown)."""

from collections import defaultdict
from collections.abc import Iterable

from django.utils.text import capfirst

from accounts import access_log

from .models import BureauMember, ContactConsentState, Organisation

ORGANISATION = "cooperatives.Organisation"
BUREAU_MEMBER = "cooperatives.BureauMember"
CONTACTS = ("contact_name", "contact_phone", "contact_email")
DESCRIPTION = "description"
EXPORT_BATCH = 1000  # organisations of an export logged together


def shown_fields(organisation: Organisation, fields: Iterable[str] = (*CONTACTS, DESCRIPTION)
                 ) -> tuple[str, ...]:
    """Those of `fields` shown with the organisation: contacts only with the consent given,
    and only fields holding a value."""
    consent = organisation.contact_consent == ContactConsentState.GIVEN
    return tuple(f for f in fields
                 if getattr(organisation, f) and (consent or f not in CONTACTS))


def log_organisations(request, organisations: Iterable[Organisation], *, channel: str = "page",
                      fields: Iterable[str] = (*CONTACTS, DESCRIPTION)) -> None:
    """Log the organisations shown to the request's user with their personal `fields`."""
    fields = tuple(fields)
    groups: dict[tuple, list] = defaultdict(list)
    for o in organisations:
        if shown := shown_fields(o, fields):
            groups[shown].append((o.pk, o.commune_id))
    for shown, rows in groups.items():
        access_log.record(request.user, model=ORGANISATION, rows=rows, fields=shown,
                          channel=channel, path=request.get_full_path())


def log_proposals(request, change_requests) -> None:
    """Log the organisations whose contacts or description a change request page showed
    (the proposed and the current values)."""
    groups: dict[tuple, list] = defaultdict(list)
    for cr in change_requests:
        consent = cr.organisation.contact_consent == ContactConsentState.GIVEN
        if shown := tuple(f for f in (*CONTACTS, DESCRIPTION)
                          if f in cr.changes and (consent or f not in CONTACTS)):
            groups[shown].append((cr.organisation_id, cr.organisation.commune_id))
    for shown, rows in groups.items():
        access_log.record(request.user, model=ORGANISATION, rows=rows, fields=shown,
                          channel="page", path=request.get_full_path())


def log_bureau(request, members: Iterable[BureauMember], commune_id: int) -> None:
    """Log the bureau members whose names a page showed."""
    access_log.record(request.user, model=BUREAU_MEMBER, fields=("person_name",),
                      rows=[(m.pk, commune_id) for m in members if m.person_name],
                      channel="page", path=request.get_full_path())


class ExportLog:
    """The access log of a streamed export: `add` each organisation as its row is written;
    every EXPORT_BATCH (and at `close`) they go to the log together. Holds ids, not rows."""

    def __init__(self, request_or_user, path: str, fields: tuple[str, ...] = CONTACTS):
        self.user, self.path, self.fields = request_or_user, path, fields
        self.groups: dict[tuple, list] = defaultdict(list)

    def add(self, organisation: Organisation) -> None:
        if shown := shown_fields(organisation, self.fields):
            self._add(shown, organisation.pk, organisation.commune_id)

    def add_values(self, record: dict) -> None:
        """`add` for a row read with `.values()`: "id", "commune_id", "contact_consent" and
        the logged fields (the same rule as `shown_fields`)."""
        consent = record["contact_consent"] == ContactConsentState.GIVEN
        if shown := tuple(f for f in self.fields
                          if record[f] and (consent or f not in CONTACTS)):
            self._add(shown, record["id"], record["commune_id"])

    def _add(self, shown: tuple, pk: int, commune_id: int) -> None:
        rows = self.groups[shown]
        rows.append((pk, commune_id))
        if len(rows) >= EXPORT_BATCH:
            self._write(shown)

    def close(self) -> None:
        for shown in list(self.groups):
            self._write(shown)

    def _write(self, shown: tuple) -> None:
        access_log.record(self.user, model=ORGANISATION, rows=self.groups.pop(shown),
                          fields=shown, channel="export", path=self.path)


def log_history(request, organisation: Organisation, rows: list[dict],
                hidden: Iterable[str]) -> None:
    """Log the personal fields whose changes the organisation's history answer showed
    (`rows`: the API's entries, each field named by its label)."""
    labels = {str(capfirst(Organisation._meta.get_field(f).verbose_name)): f
              for f in (*CONTACTS, DESCRIPTION) if f not in hidden}
    shown = {labels[c["field"]] for row in rows for c in row["fields"] if c["field"] in labels}
    access_log.record(request.user, model=ORGANISATION, fields=sorted(shown),
                      rows=[(organisation.pk, organisation.commune_id)] if shown else [],
                      channel="api", path=request.get_full_path())
