"""A closed year is frozen: its registry snapshot and both reports are kept at the closure and
read from then on, by the commune's runs and pages, by the national reports and by the API
(reports and aggregates), whatever happens to the registry or its history afterwards.

The cast: commune A holds P (cassava, 10 members, 4 women) and Q (cassava, 20 members) from
March 2025, linked from June 2025; commune B holds Z (cassava) from 2025, linked to P.
"""

import datetime
import json
import zoneinfo

import pytest
from django.urls import reverse
from django.utils import dateformat, timezone, translation

from cooperatives.models import Organisation
from cooperatives.selectors import organisation_aggregates
from reports import signoff, snapshot
from reports.compute import compute_for_communes, compute_national, registry_for_year
from reports.models import FrozenRegistry, ReportRun

from ..conftest import client_for
from ..factories import DiagnosticFactory, EntryFactory, LinkFactory, OrganisationFactory

pytestmark = pytest.mark.django_db
DOUALA = zoneinfo.ZoneInfo("Africa/Douala")
YEAR = 2025


def _dated(obj, month: int) -> None:
    obj.history.update(history_date=datetime.datetime(YEAR, month, 1, 12, tzinfo=DOUALA))


@pytest.fixture
def registry(commune_a, commune_b, cassava, agriculture):
    p = OrganisationFactory(commune=commune_a, primary_filiere=cassava, name="P",
                            members_total=10, members_women=4, employees=2)
    q = OrganisationFactory(commune=commune_a, primary_filiere=cassava, name="Q",
                            members_total=20, members_women=0, members_youth=0, employees=0)
    z = OrganisationFactory(commune=commune_b, primary_filiere=cassava, name="Z")
    pq = LinkFactory(source=p, target=q, start_date=datetime.date(YEAR, 6, 1))
    pz = LinkFactory(source=p, target=z, kind="training")
    for obj, month in ((p, 3), (q, 3), (z, 3), (pq, 6), (pz, 7)):
        _dated(obj, month)
    diagnostic = DiagnosticFactory(commune=commune_a, year=YEAR, validated_at=timezone.now())
    EntryFactory(diagnostic=diagnostic, sector=agriculture, priority_rank=1, need="Pistes")
    return {"P": p, "Q": q, "Z": z, "PQ": pq, "PZ": pz}


def _close(commune, agent, dept, region, admin):
    signoff.year_submit(user=agent, commune=commune, year=YEAR)
    signoff.year_approve(user=dept, commune=commune, year=YEAR)
    signoff.year_approve(user=region, commune=commune, year=YEAR)
    signoff.year_close(user=admin, commune=commune, year=YEAR)


@pytest.fixture
def closed(registry, commune_a, agent_a, dept_reviewer, region_reviewer, admin_user):
    _close(commune_a, agent_a, dept_reviewer, region_reviewer, admin_user)
    return registry


def _rewrite_history(registry):
    """What the frozen copies must not see: Q's history erased (as if never recorded)."""
    registry["Q"].history.all().delete()


def test_the_closure_keeps_the_communes_registry_as_it_stood(closed, commune_a):
    kept = FrozenRegistry.objects.get()
    assert (kept.version, kept.day) == (1, datetime.date(YEAR, 12, 31))
    assert [(o["name"], o["status"], o["members"], o["women"], o["filieres"])
            for o in kept.organisations] == [("P", "active", 10, 4, ["manioc"]),
                                             ("Q", "active", 20, 0, ["manioc"])]
    assert [(link["kind"], link["start"], link["counted"]) for link in kept.links] == [
        ("joint_sale", f"{YEAR}-06-01", True), ("training", None, True)]


def test_a_closed_years_commune_report_is_its_frozen_copy(closed, commune_a, commune_b):
    before = compute_for_communes("cooperation", [commune_a.pk, commune_b.pk], YEAR)
    assert (before[commune_a.pk]["active_organisations"], before[commune_a.pk]["links"]) == (
        2, 2)
    _rewrite_history(closed)
    after = compute_for_communes("cooperation", [commune_a.pk, commune_b.pk], YEAR)
    assert after[commune_a.pk] == before[commune_a.pk]  # frozen
    # B's year is not closed: it reads the (rewritten) history, where Q never existed.
    assert after[commune_b.pk]["links"] == 1


def test_the_national_reports_show_the_closed_communes_frozen_copies(closed, commune_a,
                                                                      commune_b):
    _rewrite_history(closed)
    kept = compute_for_communes("convergence", [commune_a.pk], YEAR)[commune_a.pk]
    convergence = compute_national("convergence", YEAR)
    assert convergence["communes"][commune_a.pcode] == kept
    minader = convergence["departments"][commune_a.department.pcode]["ministries"]["MINADER"]
    assert minader["organisations"] == sum(
        convergence["communes"][c.pcode]["ministries"]["MINADER"]["organisations"]
        for c in (commune_a, commune_b)) == 3  # P and Q, frozen, and Z
    cooperation = compute_national("cooperation", YEAR)
    assert cooperation["communes"][commune_a.pcode]["active_organisations"] == 2
    # The national graph is the year's registry: Q's history is gone, P and Z remain.
    assert (cooperation["active_organisations"], cooperation["links"]) == (2, 1)


def test_the_closure_and_a_reopening_refresh_the_stored_runs(
        registry, commune_a, agent_a, dept_reviewer, region_reviewer, admin_user,
        django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        _close(commune_a, agent_a, dept_reviewer, region_reviewer, admin_user)
    _rewrite_history(registry)
    run = ReportRun.objects.filter(kind="cooperation", commune=commune_a, year=YEAR,
                                   status="done").latest("finished_at")
    assert run.result["active_organisations"] == 2  # computed after the closure: frozen
    with django_capture_on_commit_callbacks(execute=True):
        signoff.year_reopen(user=admin_user, commune=commune_a, year=YEAR, reason="Erreur")
    run = ReportRun.objects.filter(kind="cooperation", commune=commune_a, year=YEAR,
                                   status="done").latest("finished_at")
    assert run.result["active_organisations"] == 1  # the registry's history again


# The aggregates API ----------------------------------------------------------------------

def _aggregates(user, commune, **params):
    query = "&".join(f"{key}={value}" for key, value in params.items())
    return client_for(user).get(
        reverse("api-commune-aggregates", args=[commune.pcode]) + f"?{query}")


def test_a_past_year_not_signed_off_has_no_aggregates(registry, commune_a, analyst):
    answer = _aggregates(analyst, commune_a, year=YEAR)
    assert answer.status_code == 404
    assert answer.json()["detail"] == (
        f"L'année {YEAR} de la commune Alpha n'est pas validée : seuls les agrégats des "
        "années clôturées sont conservés.")


def test_a_closed_years_aggregates_are_its_snapshots(closed, commune_a, analyst, agent_a):
    answer = _aggregates(analyst, commune_a, year=YEAR, by="status")
    body = answer.json()
    assert (answer.status_code, body["signed_off"], body["version"], body["day"]) == (
        200, True, 1, f"{YEAR}-12-31")
    assert [step["action"] for step in body["approval_chain"]] == [
        "submit", "approve", "approve", "close"]
    assert [(r["group"], r["organisations"], r["members"], r["women"], r["employees"])
            for r in body["results"]] == [("active", 2, 30, 4, 2)]
    # Edits today and a rewritten history leave the answer byte-identical.
    before = _aggregates(analyst, commune_a, year=YEAR, by="ministry").content
    OrganisationFactory(commune=commune_a, primary_filiere=closed["P"].primary_filiere)
    _rewrite_history(closed)
    assert _aggregates(analyst, commune_a, year=YEAR, by="ministry").content == before
    assert json.loads(before)["results"][0]["group"] == "MINADER"


def test_the_current_year_says_it_is_not_signed_off(registry, commune_a, analyst):
    year = timezone.localdate().year
    body = _aggregates(analyst, commune_a, year=year).json()
    assert (body["year"], body["signed_off"], body["count"]) == (year, False, 1)
    assert "signed_off" not in _aggregates(analyst, commune_a).json()


@pytest.mark.parametrize(("params", "status", "field"), [
    ({"year": "deux-mille"}, 400, "year"),
    ({"year": YEAR, "status": "active"}, 400, "status"),
    ({"year": YEAR, "by": "colour"}, 400, "by"),
    ({"year": 2100}, 404, None),
])
def test_bad_year_requests_answer_a_clear_error(closed, commune_a, analyst, params, status,
                                                field):
    answer = _aggregates(analyst, commune_a, **params)
    assert answer.status_code == status
    assert answer.json()["detail"]
    if field:
        assert field in answer.json()["errors"]


def test_a_closed_year_stays_out_of_reach_outside_scope(closed, commune_a, far_reviewer):
    assert _aggregates(far_reviewer, commune_a, year=YEAR).status_code == 404


@pytest.mark.parametrize("by", ["ministry", "sector", "filiere", "legal_form", "status"])
def test_snapshot_aggregates_follow_the_live_aggregates_rule(registry, commune_a, by,
                                                             poultry):
    """The same rule on two sources: a snapshot of today's registry gives the live rows."""
    registry["Q"].filieres.add(poultry)
    from cooperatives.history import history_filieres_refresh
    history_filieres_refresh([registry["Q"].pk])
    today = timezone.localdate()
    taken = snapshot.capture(commune_a, day=today, registry=registry_for_year(today.year))
    live = organisation_aggregates(Organisation.objects.filter(commune=commune_a),
                                   level="commune", by=by)
    assert snapshot.aggregates(taken["organisations"], commune_a, by) == live


# Open data per closed year -----------------------------------------------------------------

def test_the_open_data_lists_each_closed_year_with_its_file(closed, commune_a, client):
    page = client.get(reverse("reports:open_data_years")).content.decode()
    assert f'href="/open-data/signed-off/{YEAR}.csv"' in page
    assert f'<th scope="row">{YEAR}</th><td class="num">1</td>' in page
    assert reverse("reports:open_data_years") in client.get(
        reverse("quality:open_data")).content.decode()
    answer = client.get(reverse("reports:open_data_year_csv", args=[YEAR]))
    lines = b"".join(answer.streaming_content).decode().splitlines()
    closed_on = timezone.localdate().isoformat()
    assert lines == [
        "commune_pcode,commune,department_pcode,region_pcode,year,version,closed_on,day,"
        "active_organisations,members,women,youth,counted_links,linked_organisations,"
        "convergence_score_num,convergence_score_den",
        f"{commune_a.pcode},Alpha,{commune_a.department.pcode},"
        f"{commune_a.department.region.pcode},{YEAR},1,{closed_on},{YEAR}-12-31,2,30,4,3,2,2,"
        "0,1"]
    assert "P" not in lines[1].split(",")  # no organisation's name
    assert client.get(reverse("reports:open_data_year_csv", args=[YEAR - 1])).status_code == 404


def test_a_reopened_year_leaves_the_open_data(closed, commune_a, admin_user, client):
    signoff.year_reopen(user=admin_user, commune=commune_a, year=YEAR, reason="Erreur")
    assert client.get(reverse("reports:open_data_year_csv", args=[YEAR])).status_code == 404
    assert "Aucune commune n'a encore clôturé d'année." in client.get(
        reverse("reports:open_data_years")).content.decode()


def test_a_closed_years_page_says_its_figures_are_signed_off(
        registry, commune_a, agent_a, dept_reviewer, region_reviewer, admin_user, cassava,
        django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        _close(commune_a, agent_a, dept_reviewer, region_reviewer, admin_user)
    OrganisationFactory(commune=commune_a, primary_filiere=cassava)  # an edit today
    url = reverse("reports:cooperation_commune", args=[commune_a.pcode]) + f"?year={YEAR}"
    body = client_for(agent_a, "en").get(url).content.decode()
    with translation.override("en"):
        day = dateformat.format(timezone.localtime(), "j N Y")
    assert (f"Signed-off figures of {YEAR} (version 1), kept at the closure on {day}: they "
            "no longer change.") in body
    assert reverse("reports:signoff_year", args=[commune_a.pcode, YEAR]) in body
    assert "Data changed since" not in body
