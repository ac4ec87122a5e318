"""core.bulk.BulkWriter, the one bulk writer (organisation import, dataset generator), on the
database the suite runs on (SQLite by default, PostgreSQL with DATABASE_URL)."""

import datetime

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType

from cooperatives.models import RegistryEvent
from core.bulk import BulkWriter

from ..factories import UserFactory

pytestmark = pytest.mark.django_db
STAMP = datetime.datetime(2025, 3, 1, 8, 30, 15, tzinfo=datetime.UTC)
EVENT_COLUMNS = ["id", "organisation_id", "kind", "date", "reference", "note"]
LOG_COLUMNS = ["id", "action_time", "user_id", "content_type_id", "object_id", "object_repr",
               "action_flag", "change_message"]


def _events():
    return list(RegistryEvent.objects.order_by("id").values_list(*EVENT_COLUMNS))


def test_it_reserves_ids_after_the_highest_one(org_a):
    taken = RegistryEvent.objects.create(organisation=org_a, kind="registration",
                                         date=datetime.date(2024, 1, 1)).pk
    ids = BulkWriter().reserve_ids(RegistryEvent, 3)
    assert len(ids) == 3 and ids == list(range(ids[0], ids[0] + 3)) and ids[0] > taken


def test_it_inserts_rows_with_their_exact_values(org_a):
    writer = BulkWriter()
    a, b = writer.reserve_ids(RegistryEvent, 2)
    rows = [(a, org_a.pk, "registration", datetime.date(2024, 3, 15), "RSC/1", ""),
            (b, org_a.pk, "dissolution", datetime.date(1999, 12, 31), "", "Fermée « été »")]
    writer.insert(RegistryEvent, EVENT_COLUMNS, (row for row in rows))  # a generator
    assert _events() == rows
    assert writer.written == {RegistryEvent: 2}


def test_it_inserts_aware_datetimes_and_nulls():
    user = UserFactory()
    kind = ContentType.objects.get_for_model(RegistryEvent)
    writer = BulkWriter()
    ids = writer.reserve_ids(LogEntry, 2)
    rows = [(ids[0], STAMP, user.pk, kind.pk, "12", "GIC Espoir", 1, "[]"),
            (ids[1], STAMP + datetime.timedelta(days=1), user.pk, None, None, "", 3, "")]
    writer.insert(LogEntry, LOG_COLUMNS, rows)
    assert list(LogEntry.objects.order_by("id").values_list(*LOG_COLUMNS)) == rows


def test_it_updates_the_given_columns_only(org_a):
    writer = BulkWriter()
    a, b = writer.reserve_ids(RegistryEvent, 2)
    writer.insert(RegistryEvent, EVENT_COLUMNS, [
        (a, org_a.pk, "registration", datetime.date(2024, 1, 1), "R1", "n1"),
        (b, org_a.pk, "registration", datetime.date(2024, 1, 2), "R2", "n2")])
    writer.update(RegistryEvent, ["date", "reference"],
                  [(b, datetime.date(2025, 6, 30), "R2-bis")])
    assert _events() == [(a, org_a.pk, "registration", datetime.date(2024, 1, 1), "R1", "n1"),
                         (b, org_a.pk, "registration", datetime.date(2025, 6, 30), "R2-bis", "n2")]


def test_it_buffers_rows_and_flushes_them_in_declaration_order(org_a):
    writer = BulkWriter()
    writer.declare(RegistryEvent, EVENT_COLUMNS)
    writer.declare(LogEntry, LOG_COLUMNS)
    user = UserFactory()
    (event_id,) = writer.reserve_ids(RegistryEvent, 1)
    (log_id,) = writer.reserve_ids(LogEntry, 1)
    writer.add(LogEntry, (log_id, STAMP, user.pk, None, None, "x", 2, ""))
    writer.add(RegistryEvent, (event_id, org_a.pk, "modification", datetime.date(2024, 5, 5),
                               "", ""))
    assert writer.buffered() == 2 and _events() == []
    writer.flush()
    assert writer.buffered() == 0
    assert _events() == [(event_id, org_a.pk, "modification", datetime.date(2024, 5, 5), "", "")]
    assert LogEntry.objects.get().object_repr == "x"
    writer.flush()  # nothing left: nothing written twice
    assert writer.written == {RegistryEvent: 1, LogEntry: 1}


def test_it_converts_loose_values_through_their_fields_when_asked(org_a):
    user = UserFactory()
    writer = BulkWriter()
    writer.declare(RegistryEvent, EVENT_COLUMNS, convert=True)
    writer.declare(LogEntry, LOG_COLUMNS, convert=True)
    (event_id,) = writer.reserve_ids(RegistryEvent, 1)
    (log_id,) = writer.reserve_ids(LogEntry, 1)
    writer.add(RegistryEvent, (event_id, org_a.pk, "registration", "2024-03-15", "R", ""))
    writer.add(LogEntry, (log_id, STAMP, user.pk, None, None, "x", 2.0, ""))  # a float
    writer.flush()
    assert _events() == [(event_id, org_a.pk, "registration", datetime.date(2024, 3, 15),
                          "R", "")]
    row = LogEntry.objects.values_list(*LOG_COLUMNS).get()
    assert row == (log_id, STAMP, user.pk, None, None, "x", 2, "")
    assert type(row[6]) is int

