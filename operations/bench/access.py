"""ACCESS: what logging a view of personal data adds to a request (issue 17: under 2 ms).

An organisation's page as its CTD agent sees it (contacts shown, so logged), in-process
(Django's whole request cycle), with the access log on and with `record` replaced by a
function doing nothing: the difference of the medians is the log's cost per request. The
queue's own cost is measured apart (`record` alone, µs per call, the write left to the
writer thread)."""

import statistics
import time
from unittest import mock

from django.contrib.auth import get_user_model
from django.test import Client

from accounts import access_log
from cooperatives.models import ContactConsentState, Organisation, Role, RoleAssignment

from .context import Context, add_row
from .home import _host, _timed_get

REQUESTS = 200
RECORDS = 10_000


def _agent_and_page():
    organisation = (Organisation.objects.filter(contact_consent=ContactConsentState.GIVEN)
                    .exclude(contact_name="").order_by("pk").first())
    if organisation is None:
        raise RuntimeError("no organisation with a contact shown")
    role = (RoleAssignment.objects.filter(role=Role.CTD_AGENT, commune=organisation.commune_id,
                                          user__is_active=True).select_related("user").first())
    if role is None:  # a dataset without accounts: the bench's own agent of the commune
        user, _created = get_user_model().objects.get_or_create(username="bench.access.agent")
        role, _created = RoleAssignment.objects.get_or_create(
            user=user, role=Role.CTD_AGENT, commune_id=organisation.commune_id)
    return role.user, f"/organisations/{organisation.pk}/"


def measure_access(ctx: Context, *, requests: int = REQUESTS, records: int = RECORDS) -> None:
    user, path = _agent_and_page()
    client = Client(HTTP_ACCEPT_LANGUAGE="fr", SERVER_NAME=_host())
    client.force_login(user)
    _timed_get(client, path)  # caches warm
    logged, plain = [], []
    for _ in range(requests):  # interleaved: the machine's drift weighs on both alike
        logged.append(_timed_get(client, path))
        with mock.patch.object(access_log, "record", lambda *a, **k: None):
            plain.append(_timed_get(client, path))
    access_log.flush()
    started = time.perf_counter()
    for i in range(records):
        access_log.record(user, model="cooperatives.Organisation", rows=[(i, 1)],
                          fields=("contact_name",), channel="page", path=path)
    per_call_us = (time.perf_counter() - started) / records * 1e6
    access_log._queue.clear()  # measured, not meant to be stored
    cost = statistics.median(logged) - statistics.median(plain)
    details = {"requests": requests, "logged_median_ms": round(statistics.median(logged), 3),
               "plain_median_ms": round(statistics.median(plain), 3),
               "record_us": round(per_call_us, 2), "path": path}
    add_row(ctx, "ACCESS", f"access log: added to an organisation's page (CTD agent), "
            f"difference of medians over {requests} requests, in-process",
            round(max(cost, 0.0), 3), "ms", 2, "<",
            note=f"page {details['logged_median_ms']} ms logged, {details['plain_median_ms']} "
                 f"ms not; record() alone {details['record_us']} µs per call (queued, written "
                 f"in batches by a thread)", details=details)
