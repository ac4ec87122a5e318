import datetime
import time
from unittest import mock

import pytest
from django.utils import timezone

from accounts import access_log
from accounts.models import AccessLog
from accounts.tasks import purge_access_log

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _empty_queue():
    access_log._queue.clear()
    yield
    access_log._queue.clear()


def test_it_writes_one_row_per_record_shown(agent_a):
    assert access_log.record(agent_a, model="cooperatives.Organisation", rows=[(1, 7), (2, 7)],
                             fields=("contact_phone",), channel="page", path="/x/") == 2
    assert access_log.flush() == 2
    assert sorted(AccessLog.objects.values_list("object_id", "commune_id", "fields")) == [
        (1, 7, "contact_phone"), (2, 7, "contact_phone")]


def test_it_logs_nothing_for_anonymous_users_or_no_field(agent_a):
    from django.contrib.auth.models import AnonymousUser
    assert access_log.record(AnonymousUser(), model="m", rows=[(1, 1)], fields=("x",),
                             channel="page", path="/") == 0
    assert access_log.record(agent_a, model="m", rows=[(1, 1)], fields=(), channel="page",
                             path="/") == 0
    assert access_log.waiting() == 0


def test_it_keeps_entries_and_never_blocks_when_the_write_fails(agent_a):
    with mock.patch.object(AccessLog.objects, "bulk_create", side_effect=RuntimeError("down")):
        start = time.perf_counter()
        access_log.record(agent_a, model="m", rows=[(i, 1) for i in range(10)], fields=("x",),
                          channel="api", path="/")
        assert time.perf_counter() - start < 0.05
        assert access_log.flush() == 0
    assert access_log.waiting() == 10
    assert access_log.flush() == 10


def test_it_purges_rows_older_than_365_days_only(agent_a):
    now = timezone.now()
    for days in (366, 364):
        AccessLog.objects.create(user=agent_a, at=now - datetime.timedelta(days=days),
                                 model="m", object_id=1, fields="x", channel="page", path="/")
    assert purge_access_log() == 1
    assert AccessLog.objects.count() == 1
