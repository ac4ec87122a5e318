"""The pages the role menus added (issue 14): a representative's space, suggested partners and
requests; the commune's links; the admin's national duplicates, integrity and run pages."""

import pytest
from django.utils import timezone

from cooperatives.models import ChangeRequest, CooperationLink, DuplicateFlag, LinkStatus
from operations.models import IntegrityCheckRun
from reports.models import ReportRun
from tests.conftest import english_client
from tests.factories import OrganisationFactory

pytestmark = pytest.mark.django_db


def _cooperation_run(commune, opportunities, *, year=None, finished=None):
    now = timezone.now()
    return ReportRun.objects.create(
        kind="cooperation", commune=commune, scope=commune.pcode,
        year=year or timezone.localdate().year, status=ReportRun.Status.DONE,
        started_at=finished or now, finished_at=finished or now,
        result={"opportunities": opportunities})


def test_suggested_partners_are_the_latest_runs_opportunities_naming_the_organisation(
        rep_a, org_a, commune_a, cassava, django_assert_max_num_queries):
    partner = OrganisationFactory(commune=commune_a, primary_filiere=cassava, name="Coop Gamma")
    other = OrganisationFactory(commune=commune_a, primary_filiere=cassava, name="Coop Delta")
    stale = timezone.now() - timezone.timedelta(days=2)
    _cooperation_run(commune_a, [{"organisations": [org_a.pk, other.pk], "members": 5,
                                  "filieres": ["manioc"], "suggested_kind": "training",
                                  "names": [org_a.name, other.name]}], finished=stale)
    _cooperation_run(commune_a, [
        {"organisations": [partner.pk, org_a.pk], "members": 41, "filieres": ["manioc"],
         "suggested_kind": "joint_sale", "names": [partner.name, org_a.name]},
        {"organisations": [partner.pk, other.pk], "members": 30, "filieres": ["manioc"],
         "suggested_kind": "joint_sale", "names": [partner.name, other.name]}])
    client = english_client(rep_a)
    with django_assert_max_num_queries(12):
        response = client.get("/me/suggestions/")
    suggestions = response.context["suggestions"]
    assert [(s["organisation"].pk, s["partner_id"], s["partner_name"], s["kind_label"],
             s["filieres"], s["members"]) for s in suggestions] == [
        (org_a.pk, partner.pk, "Coop Gamma", "Joint sale", ["Cassava"], 41)]
    html = response.content.decode()
    assert f'action="/reports/cooperation/{commune_a.pcode}/opportunities/propose/"' in html
    assert f'name="organisations" value="{partner.pk}"' in html
    assert "Coop Delta" not in html


def test_our_space_lists_the_organisation_suggestions_and_requests(rep_a, org_a, commune_a):
    ChangeRequest.objects.create(organisation=org_a, requested_by=rep_a, status="rejected",
                                 changes={"members_total": {"old": 10, "new": 90}},
                                 reason="Pas de PV d'AG", reviewed_at=timezone.now())
    response = english_client(rep_a).get("/me/space/")
    html = response.content.decode()
    assert response.status_code == 200
    assert org_a.name in html and "Rejected" in html and "Pas de PV d&#x27;AG" in html
    assert "No partner is suggested to your organisation in the latest report." in html
    assert response.context["request_count"] == 1


def test_my_requests_are_mine_only(rep_a, rep_b, org_a, org_b):
    ChangeRequest.objects.create(organisation=org_a, requested_by=rep_a, changes={})
    ChangeRequest.objects.create(organisation=org_b, requested_by=rep_b, changes={})
    page = english_client(rep_a).get("/me/requests/").context["page"]
    assert [cr.organisation_id for cr in page] == [org_a.pk]


def test_the_commune_links_page(agent_a, org_a, org_b, commune_a, cassava,
                                django_assert_max_num_queries):
    third = OrganisationFactory(commune=commune_a, primary_filiere=cassava)
    waiting_us = CooperationLink.objects.create(source=org_b, target=org_a, kind="joint_sale",
                                                source_confirmed=True)
    waiting_them = CooperationLink.objects.create(source=org_a, target=org_b, kind="training",
                                                  source_confirmed=True)
    confirmed = CooperationLink.objects.create(source=third, target=org_a, kind="other",
                                               status=LinkStatus.CONFIRMED,
                                               source_confirmed=True, target_confirmed=True)
    client = english_client(agent_a)
    with django_assert_max_num_queries(14):
        response = client.get(f"/communes/{commune_a.pcode}/links/")
    context = response.context
    assert [link.pk for link in context["awaiting"]] == [waiting_us.pk]
    assert [link.pk for link in context["waiting_partner"]] == [waiting_them.pk]
    assert [link.pk for link in context["page"]] == [confirmed.pk]
    assert context["awaiting"][0].can_confirm


def test_national_duplicates_count_open_pairs_per_commune(admin_user, commune_a, commune_b,
                                                          org_a, org_b, cassava):
    a2 = OrganisationFactory(commune=commune_a, primary_filiere=cassava)
    a3 = OrganisationFactory(commune=commune_a, primary_filiere=cassava)
    b2 = OrganisationFactory(commune=commune_b, primary_filiere=cassava)
    DuplicateFlag.objects.create(org_a=org_a, org_b=a2, reasons=["name"])
    DuplicateFlag.objects.create(org_a=org_a, org_b=a3, reasons=["name"])
    DuplicateFlag.objects.create(org_a=org_b, org_b=b2, reasons=["name"],
                                 status=DuplicateFlag.Status.DISMISSED)
    response = english_client(admin_user).get("/quality/duplicates/")
    assert [(r["org_a__commune__pcode"], r["open"]) for r in response.context["page"]] == [
        (commune_a.pcode, 2)]
    assert response.context["total"] == 2


def test_integrity_page_shows_the_latest_run(admin_user):
    IntegrityCheckRun.objects.create(results={"self_links": [1, 2, 3]}, faults=3)
    response = english_client(admin_user).get("/operations/integrity/")
    checks = {c["code"]: c["faults"] for c in response.context["checks"]}
    assert checks["self_links"] == 3 and checks["duplicate_links"] == 0
    assert "Links from an organisation to itself" in response.content.decode()


def test_runs_page_counts_the_last_day(admin_user, commune_a):
    _cooperation_run(commune_a, [])
    ReportRun.objects.create(kind="convergence", commune=commune_a, scope=commune_a.pcode,
                             year=2026, status=ReportRun.Status.FAILED, error="boom",
                             finished_at=timezone.now())
    response = english_client(admin_user).get("/operations/runs/")
    assert dict(response.context["by_status"]) == {"Queued": 0, "Running": 0, "Done": 1,
                                                   "Failed": 1}
    assert "boom" in response.content.decode()
