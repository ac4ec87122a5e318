"""`check_integrity`: zero faults on healthy data, and each fault found where it is made."""

import datetime

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from cooperatives.models import OrganisationFiliere
from cooperatives.verification import verification_record
from operations.integrity import CHECKS, run_checks
from operations.models import IntegrityCheckRun
from operations.tasks import nightly_integrity_check
from reports.models import ReportRun
from reports.tasks import run_report

from ..factories import (
    DiagnosticFactory,
    InterventionFactory,
    LinkFactory,
    OrganisationFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def healthy(org_a, org_b, commune_a, cassava, agent_a, minader):
    for organisation in (org_a, org_b):  # as the phone migration stores them
        organisation.full_clean()
        organisation.save()
    union = OrganisationFactory(commune=commune_a, primary_filiere=cassava, legal_form="union")
    member = OrganisationFactory(commune=commune_a, primary_filiere=cassava, parent_union=union)
    LinkFactory(source=org_a, target=member)
    LinkFactory(source=org_a, target=org_b, kind="training")
    DiagnosticFactory(commune=commune_a, validated_by=agent_a, validated_at=timezone.now())
    InterventionFactory(commune=commune_a, ministry=minader, beneficiaries=[org_a])
    run = ReportRun.objects.create(kind="cooperation", scope=commune_a.pcode, year=2025,
                                   commune=commune_a)
    run_report(run.pk)
    return {"union": union, "member": member, "run": run}


def test_it_counts_phones_and_points_the_rules_refuse(healthy, org_a, org_b):
    type(org_a).objects.filter(pk=org_a.pk).update(contact_phone="abc")
    type(org_b).objects.filter(pk=org_b.pk).update(latitude=95.0, longitude=11.5)
    found = run_checks()
    assert (found["phones_not_normalised"], found["points_outside_cameroon"]) == (
        [org_a.pk], [org_b.pk])


def test_it_has_at_least_eight_checks():
    assert len(CHECKS) >= 8


def test_it_finds_nothing_on_healthy_data(healthy):
    assert run_checks() == {check.code: [] for check in CHECKS}
    call_command("check_integrity")
    assert IntegrityCheckRun.objects.get().faults == 0


def test_it_finds_each_fault_it_is_shown(healthy, org_a, org_b, commune_b, agent_a):
    org_b.status = "dissolved"
    org_b.save()
    OrganisationFiliere.objects.filter(organisation=healthy["member"]).delete()
    healthy["member"].parent_union = org_a  # a SCOOPS is no union
    healthy["member"].save()
    DiagnosticFactory(commune=commune_b, year=2024)  # validated, no validation date
    InterventionFactory(commune=commune_b, beneficiaries=[org_a])
    agent_a.is_active = False
    agent_a.save()
    ReportRun.objects.create(kind="convergence", scope="national", year=2025,
                             queued_at=timezone.now() - datetime.timedelta(days=1))
    found = run_checks()
    assert found["confirmed_links_to_dissolved"] == [
        org_a.links_out.get(target=org_b).pk]
    assert found["primary_filiere_missing"] == [healthy["member"].pk]
    assert found["parent_not_a_union"] == [healthy["member"].pk]
    assert len(found["validated_diagnostics_without_validator"]) == 1
    assert len(found["beneficiaries_outside_commune"]) == 1
    assert len(found["roles_without_target"]) == 1
    assert len(found["runs_pending_too_long"]) == 1
    with pytest.raises(CommandError, match="integrity check"):
        call_command("check_integrity")


def test_it_finds_a_last_verification_out_of_step_with_the_visits(healthy, org_a, org_b,
                                                                  agent_a):
    verification_record(user=agent_a, organisation=org_a, visited_on=datetime.date(2026, 1, 5),
                        outcome="active")
    assert run_checks()["latest_visit_out_of_step"] == []
    member = healthy["member"]
    verification_record(user=agent_a, organisation=member, visited_on=datetime.date(2026, 1, 5),
                        outcome="dormant")
    type(org_a).objects.filter(pk=org_a.pk).update(last_verification_outcome="dormant")
    type(org_b).objects.filter(pk=org_b.pk).update(last_verified_on=datetime.date(2026, 1, 1))
    type(member).objects.filter(pk=member.pk).update(last_verified_on=datetime.date(2026, 1, 6))
    assert run_checks()["latest_visit_out_of_step"] == sorted([org_a.pk, org_b.pk, member.pk])


def test_it_finds_a_stored_report_that_differs_from_a_recomputation(healthy):
    ReportRun.objects.filter(pk=healthy["run"].pk).update(result={"tampered": True})
    assert run_checks()["stored_reports_differ"] == [healthy["run"].pk]


def test_it_does_not_mistake_an_outdated_report_for_a_corrupt_one(healthy, org_a):
    ReportRun.objects.filter(pk=healthy["run"].pk).update(result={"tampered": True})
    org_a.members_total = 40
    org_a.save()  # edited after the run: the report is out of date, not corrupt
    assert run_checks()["stored_reports_differ"] == []


def test_it_runs_nightly_and_stores_the_outcome(healthy, settings):
    assert settings.CELERY_BEAT_SCHEDULE["nightly-integrity-check"]["task"] == (
        "operations.tasks.nightly_integrity_check") == nightly_integrity_check.name
    assert nightly_integrity_check() == 0
    assert IntegrityCheckRun.objects.get().faults == 0
