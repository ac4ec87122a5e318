"""Writing a checked organisation file: bulk inserts (core.bulk) and `UPDATE … FROM (VALUES …)`
of the changed columns, each row with the history row simple_history would write (the
uploader as author, reason "import") and, as `organisation_create` does, a registration event
for each new organisation with an RSC number. Other databases go through the ORM's bulk
helpers."""

import operator
from collections.abc import Iterator

from django.utils import timezone
from django.utils.translation import gettext
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from communes.models import Commune
from core.bulk import BulkWriter

from ..duplicates import flag_duplicates
from ..history import history_filieres_refresh
from ..models import (
    ContactConsent,
    ContactConsentState,
    Organisation,
    OrganisationFiliere,
    RegistryEvent,
)
from ..signals import organisations_bulk_changed
from .checking import Plan, Row
from .columns import DEFAULTS
from .results import ImportResult

BATCH = 1_000
UPDATE_BATCH = 200  # bulk_update's CASE grows with the batch: small batches stay linear
CHANGE_REASON = "import"


def write_plan(plan: Plan, user, commune: Commune, result: ImportResult) -> None:
    """Write a checked plan (inside the import's transaction), flag the possible duplicates
    of the rows written and tell the listeners of `organisations_bulk_changed`."""
    created = _create(plan.creates, user, commune)
    updated = _update(plan.updates, user)
    history_filieres_refresh(created + updated)  # their history records' filière sets
    _record_consents([*zip(created, plan.creates, strict=True),
                      *((row.target, row) for row in plan.updates)], user)
    organisations_bulk_changed.send(sender=Organisation, commune_ids=[commune.pk])
    result.duplicates_flagged = flag_duplicates(commune.pk, created + updated)
    result.written = True


def _record_consents(written: list[tuple[int, Row]], user) -> None:
    """The consents the file gives (column contact_consentement), as the consent page records
    them: the earlier consent closed, a new record, the contact shown again."""
    given = [(pk, row) for pk, row in written if row.values.get("contact_consent")]
    if not given:
        return
    ids = [pk for pk, _row in given]
    today = timezone.localdate()
    ContactConsent.objects.filter(organisation_id__in=ids, withdrawn_on__isnull=True).update(
        withdrawn_on=today, withdrawn_by=user)
    ContactConsent.objects.bulk_create([ContactConsent(
        organisation_id=pk, method=row.values["contact_consent"], given_on=today,
        document_reference=(gettext("Organisation import, line %(line)s") % {"line": row.line}
                            if row.values["contact_consent"] == ContactConsent.Method.PAPER
                            else ""), recorded_by=user) for pk, row in given], batch_size=BATCH)
    Organisation.objects.filter(pk__in=ids).update(contact_consent=ContactConsentState.GIVEN)


def _columns(model) -> list[str]:
    return [f.attname for f in model._meta.concrete_fields if not f.generated]


def _history_columns(model) -> list[str]:
    return [f.attname for f in model.history.model._meta.concrete_fields
            if f.attname != "history_id"]


HISTORY_STAMP = ("history_date", "history_change_reason", "history_type", "history_user_id")


def _history_table(model, rows: list[tuple], user, now,
                   kind: str = "+") -> tuple[list[str], Iterator[tuple]]:
    """Columns and rows of one history record ("+" created, "~" changed) per written row (a
    tuple in `_columns(model)` order), the uploader as author, as simple_history writes for
    a save."""
    history = model.history.model
    tracked = [c for c in _history_columns(model) if c not in HISTORY_STAMP]
    position = {name: i for i, name in enumerate(_columns(model))}
    pick = operator.itemgetter(*(position[c] for c in tracked))
    stamp = (now, CHANGE_REASON, kind, user.pk)
    if len(tracked) + len(HISTORY_STAMP) != len(history._meta.concrete_fields) - 1:
        raise RuntimeError(f"{history.__name__} has columns the import does not fill")
    return [*tracked, *HISTORY_STAMP], (pick(row) + stamp for row in rows)


def _create(rows: list[Row], user, commune: Commune) -> list[int]:
    """Insert the new organisations, their filières, their history rows and, for those with
    an RSC number, a registration event (with its own history row)."""
    if not rows:
        return []
    writer = BulkWriter()
    now, today = timezone.now(), timezone.localdate()
    ids = writer.reserve_ids(Organisation, len(rows))
    if not ids:  # a database without a fast path: the ORM's bulk helpers
        return _create_with_orm(rows, user, commune)
    columns = _columns(Organisation)
    position = {name: i for i, name in enumerate(columns)}
    base = {f.attname: f.get_default() for f in Organisation._meta.concrete_fields}
    base.update(DEFAULTS, commune_id=commune.pk, created_at=now, updated_at=now)
    base = [base[c] for c in columns]
    id_at = position["id"]
    tuples: list[tuple] = []

    def organisations():  # built while the database stores the previous ones
        for pk, row in zip(ids, rows, strict=True):
            values = base.copy()
            values[id_at] = pk
            for name, value in row.model.items():
                values[position[name]] = value
            tuples.append(tuple(values))
            yield tuples[-1]

    writer.insert(Organisation, columns, organisations())
    writer.insert(Organisation.history.model, *_history_table(Organisation, tuples, user, now))
    writer.insert(OrganisationFiliere, ["organisation_id", "filiere_id"],
                  ((pk, f) for pk, row in zip(ids, rows, strict=True)
                   for f in sorted(row.filieres)))
    rsc_at, date_at = position["rsc_number"], position["rsc_date"]
    registered = [t for t in tuples if t[rsc_at]]
    event_ids = writer.reserve_ids(RegistryEvent, len(registered)) if registered else []
    event_columns = _columns(RegistryEvent)
    kind = RegistryEvent.Kind.REGISTRATION.value
    events = [tuple({"id": event_id, "organisation_id": t[id_at], "kind": kind,
                     "date": t[date_at] or today, "reference": t[rsc_at], "note": ""}[c]
                    for c in event_columns)
              for event_id, t in zip(event_ids, registered, strict=True)]
    writer.insert(RegistryEvent, event_columns, events)
    writer.insert(RegistryEvent.history.model, *_history_table(RegistryEvent, events, user, now))
    return ids


def _create_with_orm(rows: list[Row], user, commune: Commune) -> list[int]:
    objects = [Organisation(commune=commune, **{**DEFAULTS, **row.model}) for row in rows]
    saved = bulk_create_with_history(objects, Organisation, batch_size=BATCH,
                                     default_user=user, default_change_reason=CHANGE_REASON)
    ids = [o.pk for o in saved]
    OrganisationFiliere.objects.bulk_create(
        [OrganisationFiliere(organisation_id=pk, filiere_id=f)
         for pk, row in zip(ids, rows, strict=True) for f in sorted(row.filieres)],
        batch_size=5 * BATCH)
    today = timezone.localdate()
    events = [RegistryEvent(organisation_id=o.pk, kind=RegistryEvent.Kind.REGISTRATION,
                            date=o.rsc_date or today, reference=o.rsc_number)
              for o in saved if o.rsc_number]
    bulk_create_with_history(events, RegistryEvent, batch_size=BATCH, default_user=user,
                             default_change_reason=CHANGE_REASON)
    return ids


def _update(rows: list[Row], user) -> list[int]:
    """Write the changed columns of the updated organisations, one history row each, and
    their filières when the row sets them."""
    if not rows:
        return []
    writer = BulkWriter()
    if writer.vendor not in ("postgresql", "sqlite"):
        return _update_with_orm(rows, user)
    ids = [row.target for row in rows]
    columns = _columns(Organisation)
    position = {name: i for i, name in enumerate(columns)}
    current: dict[int, list] = {}
    for start in range(0, len(ids), BATCH):
        for values in Organisation.objects.filter(pk__in=ids[start:start + BATCH]).values_list(
                *columns):
            current[values[position["id"]]] = list(values)
    now = timezone.now()
    changed = {"updated_at"}  # only the columns some row changes
    for row in rows:
        values = current[row.target]
        for name, value in row.model.items():
            if values[position[name]] != value:
                values[position[name]] = value
                changed.add(name)
        values[position["updated_at"]] = now
    changed = sorted(changed)
    tuples = [tuple(current[pk]) for pk in ids]
    writer.update(Organisation, changed,
                  [(t[position["id"]], *(t[position[c]] for c in changed)) for t in tuples])
    writer.insert(Organisation.history.model,
                  *_history_table(Organisation, tuples, user, now, kind="~"))
    with_filieres = [row for row in rows if row.filieres is not None]
    for start in range(0, len(with_filieres), BATCH):
        OrganisationFiliere.objects.filter(organisation_id__in=[
            row.target for row in with_filieres[start:start + BATCH]]).delete()
    writer.insert(OrganisationFiliere, ["organisation_id", "filiere_id"],
                  ((row.target, f) for row in with_filieres for f in sorted(row.filieres)))
    return ids


def _update_with_orm(rows: list[Row], user) -> list[int]:
    ids = [row.target for row in rows]
    objects = {}
    for start in range(0, len(ids), BATCH):
        objects.update(Organisation.objects.in_bulk(ids[start:start + BATCH]))
    now = timezone.now()
    fields = {"updated_at"}
    for row in rows:
        organisation = objects[row.target]
        for name, value in row.model.items():
            if getattr(organisation, name) != value:
                setattr(organisation, name, value)
                fields.add(name.removesuffix("_id"))
        organisation.updated_at = now
    bulk_update_with_history([objects[pk] for pk in ids], Organisation, sorted(fields),
                             batch_size=UPDATE_BATCH, default_user=user,
                             default_change_reason=CHANGE_REASON)
    with_filieres = [row for row in rows if row.filieres is not None]
    OrganisationFiliere.objects.filter(
        organisation_id__in=[row.target for row in with_filieres]).delete()
    OrganisationFiliere.objects.bulk_create(
        [OrganisationFiliere(organisation_id=row.target, filiere_id=f)
         for row in with_filieres for f in sorted(row.filieres)], batch_size=5 * BATCH)
    return ids


