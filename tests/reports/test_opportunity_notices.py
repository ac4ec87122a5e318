"""A new cooperation opportunity (a pair absent from the commune's previous run of the year)
tells the representatives of both organisations, once; a commune's first run of a year, a
past year's run and an unchanged run tell no one."""

import pytest
from django.utils import timezone

from accounts.models import Notification
from cooperatives.models import Role
from reports.models import ReportRun
from reports.runs import report_run_request, report_runs_store_changed
from reports.tasks import run_report

from ..factories import OrganisationFactory, make_user

pytestmark = pytest.mark.django_db
YEAR = timezone.localdate().year


def _run(commune, year=YEAR):
    run, _send = report_run_request(kind=ReportRun.Kind.COOPERATION, year=year, commune=commune)
    run_report.apply(args=[run.pk])
    run.refresh_from_db()
    assert run.status == "done"
    return run


def _told():
    return sorted((n.recipient.username, n.organisation_id, n.object_id)
                  for n in Notification.objects.select_related("recipient"))


@pytest.fixture
def second(commune_a, cassava):
    org = OrganisationFactory(name="Coop Manioc Deux", commune=commune_a,
                              primary_filiere=cassava, members_total=50, members_women=5,
                              members_youth=5)
    make_user("rep_a2", role=Role.REPRESENTATIVE, organisation=org)
    return org


def test_a_new_pair_tells_both_sides_once(commune_a, cassava, org_a, rep_a, second, agent_a,
                                          english):
    _run(commune_a)
    assert _told() == []  # the commune's first run of the year: nothing to compare with
    third = OrganisationFactory(name="Coop Manioc Trois", commune=commune_a,
                                primary_filiere=cassava, members_total=30, members_women=3,
                                members_youth=3)
    make_user("rep_a3", role=Role.REPRESENTATIVE, organisation=third)
    _run(commune_a)
    assert _told() == sorted([("rep_a", org_a.pk, third.pk), ("rep_a2", second.pk, third.pk),
                              ("rep_a3", third.pk, org_a.pk), ("rep_a3", third.pk, second.pk)])
    notice = Notification.objects.get(recipient__username="rep_a")
    assert notice.kind == "opportunity"
    assert notice.url == f"/reports/cooperation/{commune_a.pcode}/"
    assert notice.text == ("New cooperation opportunity: Coop Manioc Alpha and Coop Manioc "
                           "Trois share Cassava and have no link yet.")
    _run(commune_a)
    assert len(_told()) == 4  # nothing new


def test_a_past_years_run_tells_no_one(commune_a, org_a, rep_a, second):
    _run(commune_a, YEAR - 1)
    ReportRun.objects.filter(year=YEAR - 1).update(result={"opportunities": []})
    _run(commune_a, YEAR - 1)
    assert _told() == []


def test_runs_stored_by_the_national_computation_tell_too(commune_a, org_a, rep_a, second):
    _run(commune_a)
    opportunity = {"organisations": sorted([org_a.pk, second.pk]),
                   "names": ["A", "B"], "filieres": [], "members": 1}
    ReportRun.objects.update(result={"opportunities": []})
    stored = report_runs_store_changed(ReportRun.Kind.COOPERATION, YEAR, {
        commune_a.pcode: {"opportunities": [opportunity]}})
    assert stored == 1
    assert _told() == sorted([("rep_a", org_a.pk, second.pk), ("rep_a2", second.pk, org_a.pk)])
