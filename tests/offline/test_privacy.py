"""Offline changes in the register of personal data: a contact's erasure empties it in the
changes sent offline; they are deleted a year after receipt, open conflicts kept."""

import datetime

import pytest
from django.utils import timezone

from offline.models import SyncChange
from offline.sync import sync_apply
from privacy.models import Erasure
from privacy.records import _contact
from privacy.retention import pseudonymise_past_retention
from privacy.services import erase

from .helpers import edit
from .test_conflicts import _meanwhile

pytestmark = pytest.mark.django_db


def test_an_erasure_empties_the_contact_in_offline_changes(agent_a, admin_user, org_a):
    _meanwhile(admin_user, org_a)
    change = edit(org_a, contact_name="Awa Terrain", contact_phone="+237677000000")
    _meanwhile(admin_user, org_a, contact_name="Awa Bureau")
    assert sync_apply(user=agent_a, item=change)["status"] == "conflict"
    org_a.refresh_from_db()
    erase(user=admin_user, holding=_contact(org_a), cause=Erasure.Cause.REQUEST)
    stored = SyncChange.objects.get(pk=change["id"])
    assert stored.conflicts == {"contact_name": {"base": "", "theirs": "", "mine": ""}}
    assert [stored.values[f] for f in ("contact_name", "contact_phone", "contact_email")] == [
        "", "", ""]
    assert stored.base["contact_name"] == "" and stored.values["name"] == "Coop Manioc Alpha"
    assert "Awa" not in str(SyncChange.objects.values_list("base", "values", "conflicts").get())


def test_offline_changes_go_after_a_year_but_open_conflicts(agent_a, admin_user, org_a):
    old = timezone.now() - datetime.timedelta(days=400)
    for n, status in enumerate(("applied", "conflict", "invalid")):
        SyncChange.objects.create(id=f"00000000-0000-0000-0000-00000000000{n}",
                                  user=agent_a, kind="organisation.update", status=status)
    SyncChange.objects.update(received_at=old)
    recent = SyncChange.objects.create(id="10000000-0000-0000-0000-000000000000", user=agent_a,
                                       kind="organisation.update", status="applied")
    pseudonymise_past_retention()
    assert sorted(str(pk) for pk in SyncChange.objects.values_list("pk", flat=True)) == sorted(
        ["00000000-0000-0000-0000-000000000001", str(recent.pk)])
