"""Backups honour erasure: a backup taken before an erasure, restored, comes back with the
value still erased — from the database's own erasure records read before the restore, and
from the erasure log kept outside the database when those records are lost too."""

import pytest
from django.core.management import call_command
from django.db import connection

from cooperatives.models import Organisation
from privacy.models import Erasure
from privacy.records import load
from privacy.services import erase

from ..celery_worker import requires_services
from .traces import tables_holding

pytestmark = [requires_services(), pytest.mark.django_db(transaction=True)]

SECRETS = ("Awa Secret", "+237 699 000 111", "awa.secret@example.org")


def _erase(admin, org):
    [holding] = load(admin, [f"organisation_contact:{org.pk}"])
    return erase(user=admin, holding=holding, cause=Erasure.Cause.REQUEST)


def test_a_restore_replays_the_erasures_the_database_recorded(tmp_path, org_a, admin_user):
    call_command("backup_db", output=str(tmp_path / "before.dump"))
    erasure = _erase(admin_user, org_a)
    assert all(tables_holding(s) == [] for s in SECRETS)

    call_command("restore_db", str(tmp_path / "before.dump"), yes=True)
    assert all(tables_holding(s) == [] for s in SECRETS)
    org_a.refresh_from_db()
    assert (org_a.contact_name, org_a.contact_consent) == ("", "missing")
    assert list(Erasure.objects.values_list("pk", flat=True)) == [erasure.pk]
    token = f"[erased #{erasure.pk}]"
    assert set(org_a.history.values_list("contact_name", flat=True)) == {token, ""}


def test_a_restore_replays_the_erasure_log_when_the_database_lost_its_records(
        tmp_path, org_a, admin_user, settings):
    settings.PERSONAL_DATA_ERASURE_LOG = str(tmp_path / "erasures.jsonl")
    call_command("backup_db", output=str(tmp_path / "before.dump"))
    erasure = _erase(admin_user, org_a)
    logged = (tmp_path / "erasures.jsonl").read_text().splitlines()
    assert len(logged) == 1 and "Awa" not in logged[0]
    with connection.cursor() as cursor:  # the records are gone with the database
        cursor.execute("TRUNCATE privacy_erasure CASCADE")

    call_command("restore_db", str(tmp_path / "before.dump"), yes=True)
    assert all(tables_holding(s) == [] for s in SECRETS)
    assert Organisation.objects.get(pk=org_a.pk).contact_email == ""
    assert list(Erasure.objects.values_list("pk", "cause")) == [(erasure.pk, "request")]
    assert Erasure.objects.create(entry="x", model="cooperatives.Organisation", object_id=1,
                                  fields=[], cause="request").pk == erasure.pk + 1


def test_a_restore_leaves_a_contact_entered_after_the_erasure(tmp_path, org_a, admin_user):
    erasure = _erase(admin_user, org_a)
    org_a.refresh_from_db()
    org_a.contact_name = "New Contact"
    org_a.save()
    call_command("backup_db", output=str(tmp_path / "after.dump"))
    call_command("restore_db", str(tmp_path / "after.dump"), yes=True)
    org_a.refresh_from_db()
    assert org_a.contact_name == "New Contact"
    assert Erasure.objects.get().pk == erasure.pk
