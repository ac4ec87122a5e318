"""The yearly sign-off: who takes each step, the checklist, the chain, and the locks that say
why (services, forms and API)."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.html import escape

from cooperatives.models import ChangeRequest, DuplicateFlag, Role, RoleAssignment
from core.conflicts import Conflict
from diagnostics import services as diagnostics
from diagnostics.models import TerritorialDiagnostic
from reports import signoff
from reports.models import SignoffStep, YearSignoff

from ..conftest import client_for
from ..factories import (
    DiagnosticFactory,
    EntryFactory,
    InterventionFactory,
    OrganisationFactory,
)

pytestmark = pytest.mark.django_db
YEAR = 2025


@pytest.fixture
def diagnostic(commune_a, agriculture):
    diagnostic = DiagnosticFactory(commune=commune_a, year=YEAR,
                                   validated_at=timezone.now())
    EntryFactory(diagnostic=diagnostic, sector=agriculture, priority_rank=1, need="Pistes")
    return diagnostic


def _state(commune, year=YEAR):
    return YearSignoff.objects.get(commune=commune, year=year).state


def _walk_to(state, commune, agent, dept, region, admin):
    signoff.year_submit(user=agent, commune=commune, year=YEAR)
    if state == "submitted":
        return
    signoff.year_approve(user=dept, commune=commune, year=YEAR)
    if state == "department_approved":
        return
    signoff.year_approve(user=region, commune=commune, year=YEAR)
    if state == "approved":
        return
    signoff.year_close(user=admin, commune=commune, year=YEAR)


# The roles ---------------------------------------------------------------------------------

def test_it_requires_a_department_for_a_departmental_reviewer(nobody, department):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        RoleAssignment.objects.create(user=nobody, role=Role.DEPARTMENT_REVIEWER)
    RoleAssignment.objects.create(user=nobody, role=Role.DEPARTMENT_REVIEWER,
                                  department=department)


def test_it_gives_reviewers_their_territorys_communes(dept_reviewer, region_reviewer,
                                                      far_reviewer, commune_a, commune_b,
                                                      commune_c):
    from cooperatives.permissions import scope_of

    assert scope_of(dept_reviewer).reviewed_commune_ids == {commune_a.pk, commune_b.pk}
    assert scope_of(region_reviewer).reviewed_commune_ids == {commune_a.pk, commune_b.pk}
    assert scope_of(far_reviewer).reviewed_commune_ids == {commune_c.pk}
    assert scope_of(dept_reviewer).may("signoff", commune_a.pk)
    assert not scope_of(far_reviewer).may("signoff", commune_a.pk)
    assert not scope_of(dept_reviewer).may("write", commune_a.pk)


# The steps ---------------------------------------------------------------------------------

def test_it_walks_a_year_up_the_chain(diagnostic, commune_a, agent_a, dept_reviewer,
                                      region_reviewer, admin_user):
    signoff.year_submit(user=agent_a, commune=commune_a, year=YEAR)
    assert _state(commune_a) == "submitted"
    signoff.year_approve(user=dept_reviewer, commune=commune_a, year=YEAR)
    assert _state(commune_a) == "department_approved"
    signoff.year_approve(user=region_reviewer, commune=commune_a, year=YEAR, reason="RAS")
    assert _state(commune_a) == "approved"
    signoff.year_close(user=admin_user, commune=commune_a, year=YEAR)
    assert _state(commune_a) == "closed"
    steps = list(SignoffStep.objects.order_by("id").values_list(
        "action", "state", "by__username", "reason", "version"))
    assert steps == [("submit", "submitted", "agent_a", "", 1),
                     ("approve", "department_approved", "dept_rev", "", 1),
                     ("approve", "approved", "region_rev", "RAS", 1),
                     ("close", "closed", "admin", "", 1)]
    first = SignoffStep.objects.order_by("id").first()
    assert [i["code"] for i in first.checklist] == ["integrity", "diagnostic",
                                                    "change_requests", "duplicates"]


def test_the_agent_submits_only_their_commune(diagnostic, commune_a, agent_b, dept_reviewer):
    with pytest.raises(PermissionDenied):
        signoff.year_submit(user=agent_b, commune=commune_a, year=YEAR)
    with pytest.raises(PermissionDenied):
        signoff.year_submit(user=dept_reviewer, commune=commune_a, year=YEAR)


def test_the_department_reviewer_approves_only_their_departments_communes(
        diagnostic, commune_a, agent_a, far_reviewer, region_reviewer):
    signoff.year_submit(user=agent_a, commune=commune_a, year=YEAR)
    with pytest.raises(PermissionDenied):
        signoff.year_approve(user=far_reviewer, commune=commune_a, year=YEAR)
    with translation.override("en"), pytest.raises(Conflict) as refused:
        signoff.year_approve(user=region_reviewer, commune=commune_a, year=YEAR)
    assert refused.value.messages == [
        "The year 2025 is submitted: this step belongs to the departmental reviewer."]
    assert _state(commune_a) == "submitted"


def test_the_admin_closes_only_after_the_region(diagnostic, commune_a, agent_a, dept_reviewer,
                                                region_reviewer, admin_user):
    _walk_to("department_approved", commune_a, agent_a, dept_reviewer, region_reviewer,
             admin_user)
    with translation.override("en"), pytest.raises(Conflict) as refused:
        signoff.year_close(user=admin_user, commune=commune_a, year=YEAR)
    assert refused.value.messages == [
        "This step is not possible: the year 2025 is approved by the department."]
    with pytest.raises(PermissionDenied):
        signoff.year_close(user=region_reviewer, commune=commune_a, year=YEAR)


def test_a_return_needs_a_reason_and_reopens_for_the_agent(diagnostic, commune_a, agent_a,
                                                           dept_reviewer):
    signoff.year_submit(user=agent_a, commune=commune_a, year=YEAR)
    with translation.override("en"), pytest.raises(ValidationError) as refused:
        signoff.year_return(user=dept_reviewer, commune=commune_a, year=YEAR, reason="  ")
    assert refused.value.message_dict == {"reason": ["Give a reason."]}
    signoff.year_return(user=dept_reviewer, commune=commune_a, year=YEAR,
                        reason="Effectifs de la COOP-CA à revoir.")
    assert _state(commune_a) == "returned"
    assert signoff.lock_reason(commune_a.pk, YEAR) is None
    signoff.year_submit(user=agent_a, commune=commune_a, year=YEAR)
    assert _state(commune_a) == "submitted"


def test_the_admin_reopens_a_closed_year_as_a_new_version(diagnostic, commune_a, agent_a,
                                                          dept_reviewer, region_reviewer,
                                                          admin_user):
    _walk_to("closed", commune_a, agent_a, dept_reviewer, region_reviewer, admin_user)
    with pytest.raises(ValidationError):
        signoff.year_reopen(user=admin_user, commune=commune_a, year=YEAR, reason="")
    with pytest.raises(PermissionDenied):
        signoff.year_reopen(user=agent_a, commune=commune_a, year=YEAR, reason="Erreur")
    signoff.year_reopen(user=admin_user, commune=commune_a, year=YEAR, reason="Erreur")
    row = YearSignoff.objects.get(commune=commune_a, year=YEAR)
    assert (row.state, row.version) == ("open", 2)
    assert SignoffStep.objects.latest("id").version == 2


# The checklist -----------------------------------------------------------------------------

def test_the_checklist_blocks_on_integrity_and_the_diagnostic(commune_a, commune_b, agent_a,
                                                              cassava, agriculture):
    OrganisationFactory(commune=commune_a, primary_filiere=cassava, contact_phone="699 00")
    OrganisationFactory(commune=commune_b, primary_filiere=cassava, contact_phone="699 01")
    DiagnosticFactory(commune=commune_a, year=YEAR, status="draft")
    with translation.override("en"):
        items = [(i.code, i.blocking, i.ok, i.count, i.label)
                 for i in signoff.checklist(commune_a, YEAR)]
        assert items == [
            ("integrity", True, False, 1, "Integrity checks of the commune's registry at 0"),
            ("diagnostic", True, False, 1, "Diagnostic of 2025 validated"),
            ("change_requests", False, True, 0,
             "No change request pending for more than 30 days"),
            ("duplicates", False, True, 0, "Possible duplicates reviewed"),
        ]
        with pytest.raises(ValidationError) as refused:
            signoff.year_submit(user=agent_a, commune=commune_a, year=YEAR)
    assert refused.value.messages == [
        "The year cannot be submitted yet: Integrity checks of the commune's registry at 0; "
        "Diagnostic of 2025 validated."]
    assert not YearSignoff.objects.exclude(state="open").exists()


def test_warnings_do_not_block_a_submission(diagnostic, commune_a, agent_a, rep_a, org_a,
                                            cassava):
    org_a.contact_phone = "+237699000111"  # the cast's phone is typed with spaces
    org_a.save(update_fields=["contact_phone"])
    twin = OrganisationFactory(commune=commune_a, primary_filiere=cassava)
    DuplicateFlag.objects.create(org_a=min(org_a, twin, key=lambda o: o.pk),
                                 org_b=max(org_a, twin, key=lambda o: o.pk), reasons=["name"])
    old = ChangeRequest.objects.create(organisation=org_a, requested_by=rep_a, changes={})
    ChangeRequest.objects.filter(pk=old.pk).update(
        created_at=timezone.now() - datetime.timedelta(days=31))
    ChangeRequest.objects.create(organisation=org_a, requested_by=rep_a, changes={})
    counts = {i.code: (i.ok, i.count) for i in signoff.checklist(commune_a, YEAR)}
    assert counts == {"integrity": (True, 0), "diagnostic": (True, 0),
                      "change_requests": (False, 1), "duplicates": (False, 1)}
    signoff.year_submit(user=agent_a, commune=commune_a, year=YEAR)
    assert _state(commune_a) == "submitted"


# Locks that say why --------------------------------------------------------------------------

@pytest.fixture
def closed_year(diagnostic, commune_a, agent_a, dept_reviewer, region_reviewer, admin_user):
    _walk_to("closed", commune_a, agent_a, dept_reviewer, region_reviewer, admin_user)
    SignoffStep.objects.filter(action="close").update(
        at=datetime.datetime(2026, 2, 3, 10, 0, tzinfo=datetime.UTC))
    return commune_a


CLOSED_FR = ("L'année 2025 de la commune Alpha est close depuis le 3 févr. 2026 (par admin) : "
             "demandez sa réouverture.")
CLOSED_EN = ("The year 2025 of commune Alpha is closed since 3 Feb. 2026 (by admin): ask for "
             "it to be reopened.")


def test_it_says_why_a_closed_year_is_locked_in_both_languages(closed_year):
    with translation.override("fr"):
        assert signoff.lock_reason(closed_year.pk, YEAR) == CLOSED_FR
    with translation.override("en"):
        assert signoff.lock_reason(closed_year.pk, YEAR) == CLOSED_EN
    assert signoff.lock_reason(closed_year.pk, YEAR + 1) is None


def test_a_submitted_year_names_its_state_and_submitter(diagnostic, commune_a, agent_a):
    signoff.year_submit(user=agent_a, commune=commune_a, year=YEAR)
    SignoffStep.objects.update(at=datetime.datetime(2026, 1, 15, 9, 0, tzinfo=datetime.UTC))
    with translation.override("en"):
        assert signoff.lock_reason(commune_a.pk, YEAR) == (
            "The year 2025 of commune Alpha is submitted since 15 Jan. 2026 (by agent_a): ask "
            "a reviewer to return it.")


def test_it_refuses_the_years_diagnostic_and_single_year_interventions(closed_year, agent_a,
                                                                       minader, cassava):
    with translation.override("en"):
        with pytest.raises(Conflict) as refused:
            diagnostics.diagnostic_create(user=agent_a, commune=closed_year, year=YEAR)
        assert refused.value.messages == [CLOSED_EN]
        with pytest.raises(Conflict):
            diagnostics.intervention_record(
                user=agent_a, ministry=minader, commune=closed_year, programme="P",
                filiere=cassava, start_date=datetime.date(2025, 2, 1),
                end_date=datetime.date(2025, 11, 30))
    # Spanning two years, or still running: not only this year's, so accepted.
    diagnostics.intervention_record(user=agent_a, ministry=minader, commune=closed_year,
                                    programme="P", filiere=cassava,
                                    start_date=datetime.date(2025, 2, 1),
                                    end_date=datetime.date(2026, 3, 1))
    diagnostics.intervention_record(user=agent_a, ministry=minader, commune=closed_year,
                                    programme="P", filiere=cassava,
                                    start_date=datetime.date(2025, 2, 1))
    # Another year's diagnostic stays free.
    diagnostics.diagnostic_create(user=agent_a, commune=closed_year, year=YEAR + 1)


def test_the_form_shows_the_lock_in_the_users_language(closed_year, agent_a, minader,
                                                       cassava):
    intervention = InterventionFactory(ministry=minader, commune=closed_year, filiere=cassava,
                                       start_date=datetime.date(2025, 3, 1),
                                       end_date=datetime.date(2025, 6, 30))
    client = client_for(agent_a)
    form = {"ministry": minader.pk, "programme": "PIDMA 2", "filiere": cassava.pk,
            "start_date": "2025-03-01", "end_date": "2025-06-30", "budget": 5}
    response = client.post(reverse("intervention_edit", args=[intervention.pk]), form,
                           HTTP_ACCEPT_LANGUAGE="fr")
    assert response.status_code == 200
    assert escape(CLOSED_FR) in response.content.decode()
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    response = client.post(reverse("intervention_edit", args=[intervention.pk]), form)
    assert response.status_code == 200
    assert escape(CLOSED_EN) in response.content.decode()
    intervention.refresh_from_db()
    assert intervention.programme != "PIDMA 2"


def test_the_api_answers_409_with_the_reason(closed_year, agent_a, diagnostic):
    client = client_for(agent_a)
    url = reverse("api-diagnostic-detail", args=[diagnostic.pk])
    response = client.patch(url, {"source": "other"}, content_type="application/json",
                            HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 409
    assert response.json() == {"detail": CLOSED_EN}
    response = client.patch(url, {"source": "other"}, content_type="application/json",
                            HTTP_ACCEPT_LANGUAGE="fr")
    assert (response.status_code, response.json()) == (409, {"detail": CLOSED_FR})
    assert TerritorialDiagnostic.objects.get(pk=diagnostic.pk).source == "pcd"


def test_registry_edits_are_never_refused(closed_year, agent_a, org_a):
    from cooperatives.services import organisation_update

    organisation_update(user=agent_a, organisation=org_a, name="Coop Renommée")
    org_a.refresh_from_db()
    assert org_a.name == "Coop Renommée"


# The API -----------------------------------------------------------------------------------

def test_the_api_takes_each_step(diagnostic, commune_a, agent_a, dept_reviewer, agent_b):
    url = reverse("api-signoff", args=[commune_a.pcode, YEAR])
    assert client_for(agent_b).get(url).status_code == 404
    answer = client_for(agent_a).get(url).json()
    assert (answer["state"], answer["version"], answer["actions"]) == ("open", 1, ["submit"])
    response = client_for(agent_a).post(url, {"action": "submit"},
                                        content_type="application/json")
    assert response.status_code == 200
    assert response.json()["state"] == "submitted"
    response = client_for(agent_a).post(url, {"action": "submit"},
                                        content_type="application/json",
                                        HTTP_ACCEPT_LANGUAGE="en")
    assert (response.status_code, response.json()) == (
        409, {"detail": "This step is not possible: the year 2025 is submitted."})
    response = client_for(dept_reviewer).post(url, {"action": "return", "reason": "Incomplet"},
                                              content_type="application/json")
    chain = response.json()["chain"]
    assert [(s["action"], s["by"], s["reason"]) for s in chain] == [
        ("submit", "agent_a", ""), ("return", "dept_rev", "Incomplet")]


# Frozen reports --------------------------------------------------------------------------------

def _done_run(commune, kind, result):
    from reports.models import ReportRun

    now = timezone.now()
    return ReportRun.objects.create(kind=kind, commune=commune, scope=commune.pcode,
                                    year=YEAR, status="done", result=result, queued_at=now,
                                    started_at=now, finished_at=now)


def test_a_closed_years_api_answer_is_frozen(diagnostic, commune_a, agent_a, dept_reviewer,
                                             region_reviewer, admin_user, analyst, cassava):
    # Two organisations of commune A in 2025 (their history dated then); a stale stored run.
    first = OrganisationFactory(commune=commune_a, primary_filiere=cassava)
    second = OrganisationFactory(commune=commune_a, primary_filiere=cassava)
    for organisation in (first, second):
        _dated(organisation, datetime.datetime(YEAR, 3, 1, 12, tzinfo=datetime.UTC))
    _done_run(commune_a, "cooperation", {"active_organisations": 3})
    url = reverse("api-report-cooperation") + f"?commune={commune_a.pcode}&year={YEAR}"
    reader = client_for(analyst)
    assert reader.get(url).json()["signed_off"] is False
    _walk_to("closed", commune_a, agent_a, dept_reviewer, region_reviewer, admin_user)
    before = reader.get(url).content
    answer = reader.get(url).json()
    assert (answer["signed_off"], answer["version"], answer["run"]) == (True, 1, None)
    assert (answer["result"]["on"], answer["result"]["active_organisations"]) == (
        f"{YEAR}-12-31", 2)
    assert [(s["action"], s["state"]) for s in answer["approval_chain"]] == [
        ("submit", "submitted"), ("approve", "department_approved"), ("approve", "approved"),
        ("close", "closed")]
    assert "agent_a" not in before.decode()  # no user names for ministries
    # Later edits, runs of the year and even a rewritten history leave it byte-identical.
    _done_run(commune_a, "cooperation", {"active_organisations": 4})
    diagnostics.diagnostic_create(user=agent_a, commune=commune_a, year=YEAR + 1)
    first.history.all().delete()
    assert reader.get(url).content == before
    # The current year says it is not signed off.
    current = reverse("api-report-cooperation") + f"?commune={commune_a.pcode}"
    assert reader.get(current).json()["signed_off"] is False


def _dated(obj, when: datetime.datetime) -> None:
    obj.history.update(history_date=when)


def test_a_reopened_and_closed_again_year_is_version_2_and_keeps_version_1(
        diagnostic, commune_a, agent_a, dept_reviewer, region_reviewer, admin_user, analyst,
        cassava):
    from reports.models import FrozenRegistry, FrozenReport

    _walk_to("closed", commune_a, agent_a, dept_reviewer, region_reviewer, admin_user)
    signoff.year_reopen(user=admin_user, commune=commune_a, year=YEAR, reason="Correction")
    url = reverse("api-report-cooperation") + f"?commune={commune_a.pcode}&year={YEAR}"
    _done_run(commune_a, "cooperation", {"active_organisations": 0})
    assert client_for(analyst).get(url).json()["signed_off"] is False
    # The correction: an organisation of 2025 entered late (its history dated in 2025).
    late = OrganisationFactory(commune=commune_a, primary_filiere=cassava, name="Tardive")
    _dated(late, datetime.datetime(YEAR, 5, 1, 12, tzinfo=datetime.UTC))
    _walk_to("closed", commune_a, agent_a, dept_reviewer, region_reviewer, admin_user)
    answer = client_for(analyst).get(url).json()
    assert (answer["version"], answer["result"]["active_organisations"]) == (2, 1)
    assert [s["action"] for s in answer["approval_chain"]] == [
        "reopen", "submit", "approve", "approve", "close"]
    assert [(version, result["active_organisations"]) for version, result in
            FrozenReport.objects.filter(kind="cooperation").order_by("version")
            .values_list("version", "result")] == [(1, 0), (2, 1)]
    assert [[row["name"] for row in organisations] for organisations in
            FrozenRegistry.objects.order_by("version").values_list("organisations",
                                                                   flat=True)] == [
        [], ["Tardive"]]


def test_the_integrity_checks_count_only_the_communes_rows(commune_a, commune_b, cassava):
    from operations.integrity import commune_faults

    OrganisationFactory(commune=commune_a, primary_filiere=cassava, contact_phone="699 00",
                        latitude=30.0, longitude=11.0)
    OrganisationFactory(commune=commune_b, primary_filiere=cassava, contact_phone="699 01")
    assert commune_faults(commune_a.pk) == {"phones_not_normalised": 1,
                                            "points_outside_cameroon": 1}
    assert commune_faults(commune_b.pk) == {"phones_not_normalised": 1}
