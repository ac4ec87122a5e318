"""The yearly sign-off pages: the checklist as the agent sees it, the steps through the form,
a return's reason on the agent's page, the reviewer's queue and the commune's timeline."""

import datetime
import zoneinfo

import pytest
from django.urls import reverse
from django.utils import dateformat, timezone, translation
from django.utils.html import escape

from reports import signoff
from reports.models import ReportRun, SignoffStep, YearSignoff

from ..conftest import client_for
from ..factories import DiagnosticFactory, EntryFactory, LinkFactory, OrganisationFactory

DOUALA = zoneinfo.ZoneInfo("Africa/Douala")
pytestmark = pytest.mark.django_db
YEAR = 2025


@pytest.fixture
def diagnostic(commune_a, agriculture):
    diagnostic = DiagnosticFactory(commune=commune_a, year=YEAR, validated_at=timezone.now())
    EntryFactory(diagnostic=diagnostic, sector=agriculture, priority_rank=1, need="Pistes")
    return diagnostic


def _en(user):
    client = client_for(user)
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    return client


def _step(client, commune, action, reason=""):
    return client.post(reverse("reports:signoff_step", args=[commune.pcode, YEAR]),
                       {"action": action, "reason": reason})


def test_the_year_page_lists_the_checklist_with_blocking_items(commune_a, agent_a):
    DiagnosticFactory(commune=commune_a, year=YEAR, status="draft")
    body = _en(agent_a).get(reverse("reports:signoff_year",
                                    args=[commune_a.pcode, YEAR])).content.decode()
    assert '<li class="blocking">✗ Diagnostic of 2025 validated (1)' in body
    assert '<li class="ok">✓ No change request pending for more than 30 days' in body
    assert "warning, not blocking" in body
    response = _step(_en(agent_a), commune_a, "submit")
    assert response.status_code == 200
    assert ("The year cannot be submitted yet: Diagnostic of 2025 validated."
            in response.content.decode())
    assert not YearSignoff.objects.exists()


def test_a_return_shows_its_reason_on_the_agents_page(diagnostic, commune_a, agent_a,
                                                      dept_reviewer):
    assert _step(client_for(agent_a), commune_a, "submit").status_code == 302
    response = _step(_en(dept_reviewer), commune_a, "return", "Les effectifs sont à revoir.")
    assert response.status_code == 302
    body = _en(agent_a).get(reverse("reports:signoff_year",
                                    args=[commune_a.pcode, YEAR])).content.decode()
    with translation.override("en"):
        when = dateformat.format(timezone.localtime(SignoffStep.objects.latest("id").at),
                                 "j N Y")
    assert (f'Returned on {when} by dept_rev: <q class="reason">'
            f'{escape("Les effectifs sont à revoir.")}</q>') in body
    assert 'value="submit"' in body  # the agent may submit again


def test_a_return_without_a_reason_is_shown_again(diagnostic, commune_a, agent_a,
                                                  dept_reviewer):
    signoff.year_submit(user=agent_a, commune=commune_a, year=YEAR)
    response = _step(_en(dept_reviewer), commune_a, "return")
    assert response.status_code == 200
    assert "Give a reason." in response.content.decode()
    assert YearSignoff.objects.get().state == "submitted"


def test_the_reviewers_queue_holds_their_step(diagnostic, commune_a, agent_a, dept_reviewer,
                                              region_reviewer):
    signoff.year_submit(user=agent_a, commune=commune_a, year=YEAR)
    queue = reverse("reports:signoff_queue")

    def waiting(user) -> str:  # the queue's table, before the reviewer's territory
        body = client_for(user).get(queue).content.decode()
        return body.split('<section id="waiting">')[1].split("</section>")[0]

    assert "Alpha" in waiting(dept_reviewer)
    assert "Alpha" not in waiting(region_reviewer)
    assert client_for(dept_reviewer).get(reverse("my_space"))["Location"] == queue


def test_the_reviewers_landing_page_lists_their_territory(commune_a, commune_b, commune_c,
                                                         dept_reviewer, region_reviewer,
                                                         far_reviewer, agent_a):
    """Each commune of the reviewer's department or region with its reports, diagnostics,
    interventions and years, and the territory's organisations as a download; not another
    territory's communes, and no such list for a CTD agent."""
    queue = reverse("reports:signoff_queue")
    for reviewer in (dept_reviewer, region_reviewer):
        body = client_for(reviewer).get(queue).content.decode()
        territory = body.split('<section id="territory"')[1]
        for commune in (commune_a, commune_b):
            for name in ("reports:convergence_commune", "reports:cooperation_commune",
                         "diagnostic_list", "commune_interventions",
                         "reports:signoff_commune"):
                assert f'href="{reverse(name, args=[commune.pcode])}"' in territory
        assert commune_c.pcode not in territory
        assert f'href="{reverse("quality:export_organisations", args=["xlsx"])}"' in territory
    far = client_for(far_reviewer).get(queue).content.decode()
    assert reverse("reports:signoff_commune", args=[commune_c.pcode]) in far
    assert commune_a.pcode not in far
    assert '<section id="territory"' not in client_for(agent_a).get(queue).content.decode()


def _run(commune, kind, year, result):
    now = timezone.now()
    ReportRun.objects.create(kind=kind, commune=commune, scope=commune.pcode, year=year,
                             status="done", result=result, queued_at=now, started_at=now,
                             finished_at=now)


def _dated(obj, *when) -> None:
    """Date the object's history records (oldest first) in Douala time."""
    for record, moment in zip(obj.history.order_by("history_id"), when, strict=True):
        type(record).objects.filter(pk=record.pk).update(
            history_date=datetime.datetime(*moment, 12, tzinfo=DOUALA))


def test_the_timeline_shows_a_closed_years_figures_beside_the_year_before(
        diagnostic, commune_a, agent_a, dept_reviewer, region_reviewer, admin_user, cassava):
    # 2024: P (10 members) and Q (20), linked from June. 2025: R (30) joins.
    p = OrganisationFactory(commune=commune_a, primary_filiere=cassava, members_total=10)
    q = OrganisationFactory(commune=commune_a, primary_filiere=cassava, members_total=20)
    r = OrganisationFactory(commune=commune_a, primary_filiere=cassava, members_total=30)
    link = LinkFactory(source=p, target=q, start_date=datetime.date(2024, 6, 1))
    for obj, when in ((p, (2024, 3, 1)), (q, (2024, 3, 1)), (link, (2024, 6, 1)),
                      (r, (2025, 4, 1))):
        _dated(obj, when)
    # The stored 2024 runs (the year is not closed: its share and score come from them).
    _run(commune_a, "cooperation", 2024, {"linked_share": {"num": 2, "den": 2}})
    _run(commune_a, "convergence", 2024, {"score": None})
    for user, action in ((agent_a, "submit"), (dept_reviewer, "approve"),
                         (region_reviewer, "approve"), (admin_user, "close")):
        assert _step(client_for(user), commune_a, action).status_code == 302
    rows = signoff.timeline(commune_a, current_year=2026)
    assert [(r["year"], r["signoff"].state) for r in rows] == [
        (2026, "open"), (2025, "closed"), (2024, "open")]
    # 2025, frozen at the closure: one agriculture need, organisations, no intervention.
    assert rows[1]["figures"] == {"organisations": 3, "members": 60,
                                  "linked_share": {"num": 2, "den": 3},
                                  "score": {"num": 0, "den": 1}}
    assert rows[1]["previous"] == {"organisations": 2, "members": 30,
                                   "linked_share": {"num": 2, "den": 2}, "score": None}
    body = _en(agent_a).get(reverse("reports:signoff_commune",
                                    args=[commune_a.pcode])).content.decode()
    assert ('<td class="num">67 % (2/3)</td><td class="num">100 % (2/2)</td>'
            in body)
    assert '<td class="num">0 % (0/1)</td><td class="num">–</td>' in body
    assert '<td class="num">3</td><td class="num">2</td>' in body
    assert '<td class="num">60</td><td class="num">30</td>' in body
    assert "Closed" in body
    year_page = _en(agent_a).get(reverse("reports:signoff_year",
                                         args=[commune_a.pcode, YEAR])).content.decode()
    assert year_page.count("version 1 · ") == 2  # both reports frozen at the closure


def test_the_commune_menu_links_its_years(commune_a, agent_a):
    body = client_for(agent_a).get(reverse("commune_dashboard",
                                           args=[commune_a.pcode])).content.decode()
    assert reverse("reports:signoff_commune", args=[commune_a.pcode]) in body


def test_the_pages_answer_404_outside_scope(commune_a, agent_b, rep_a, analyst):
    for user in (agent_b, rep_a, analyst):
        client = client_for(user)
        assert client.get(reverse("reports:signoff_commune",
                                  args=[commune_a.pcode])).status_code == 404
        assert client.get(reverse("reports:signoff_year",
                                  args=[commune_a.pcode, YEAR])).status_code == 404
    assert client_for(agent_b).get(reverse("reports:signoff_year",
                                           args=[commune_a.pcode, 1200])).status_code == 404
