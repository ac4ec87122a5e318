"""The sign-off where the CTD agent lands, the commune dashboard: a notice for each year
returned to the agent (the year, who returned it, when, the reason, a link to the year's
sign-off page) and one line on where the commune's previous year stands; one query for both."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import dateformat, timezone, translation
from django.utils.html import escape

from cooperatives import year_notes
from cooperatives.models import Role, RoleAssignment
from reports import signoff
from reports.models import SignoffStep

from ..conftest import client_for
from ..factories import DiagnosticFactory

pytestmark = pytest.mark.django_db
LAST = timezone.localdate().year - 1  # the year the dashboard's line is about
REASON = "Les effectifs de la COOP-CA sont à revoir."


@pytest.fixture
def diagnostics(commune_a, commune_b):
    for commune in (commune_a, commune_b):
        for year in (LAST - 1, LAST):
            DiagnosticFactory(commune=commune, year=year, validated_at=timezone.now())


def _dashboard(user, commune, lang="en") -> str:
    response = client_for(user, lang).get(reverse("commune_dashboard", args=[commune.pcode]))
    assert response.status_code == 200
    return response.content.decode()


def _when(step, lang="en") -> str:
    with translation.override(lang):
        return dateformat.format(timezone.localtime(step.at), "j N Y")


def _returned(commune, year, agent, reviewer, reason=REASON) -> SignoffStep:
    signoff.year_submit(user=agent, commune=commune, year=year)
    return signoff.year_return(user=reviewer, commune=commune, year=year, reason=reason)


def test_a_returned_year_shows_who_when_why_and_the_way_to_its_page(
        diagnostics, commune_a, agent_a, dept_reviewer):
    step = _returned(commune_a, LAST, agent_a, dept_reviewer)
    year_url = reverse("reports:signoff_year", args=[commune_a.pcode, LAST])
    assert year_url == f"/reports/signoff/CM901001001/{LAST}/"
    body = _dashboard(agent_a, commune_a)
    assert (f'<div class="notice" role="status">\n'
            f'<p><b>The year {LAST} of Alpha was returned for correction</b></p>\n'
            f'<p>Returned on {_when(step)} by dept_rev: <q class="reason">{escape(REASON)}</q>'
            f'</p>\n<p><a href="{year_url}">Open the year {LAST} to correct it and submit it '
            f'again</a></p>\n</div>') in body
    assert "Sign-off of" not in body  # the notice says where the previous year stands
    french = _dashboard(agent_a, commune_a, "fr")
    assert f"<p><b>L'année {LAST} de Alpha a été renvoyée pour correction</b></p>" in french
    assert (f'<p>Renvoyée le {_when(step, "fr")} par dept_rev : '
            f'<q class="reason">{escape(REASON)}</q></p>') in french
    assert (f'<a href="{year_url}">Ouvrir l\'année {LAST} pour la corriger et la soumettre '
            f'de nouveau</a>') in french


def test_the_notice_goes_once_the_year_is_submitted_again(diagnostics, commune_a, agent_a,
                                                          dept_reviewer):
    _returned(commune_a, LAST, agent_a, dept_reviewer)
    step = signoff.year_submit(user=agent_a, commune=commune_a, year=LAST)
    body = _dashboard(agent_a, commune_a)
    assert 'class="notice"' not in body
    assert (f'<p class="signoff-line">Sign-off of {LAST}: submitted on {_when(step)}, waiting '
            f'for the departmental reviewer. <a href="/reports/signoff/CM901001001/">'
            f'Years and sign-off</a></p>') in body


def test_a_returned_year_of_the_agents_other_commune_shows_on_this_dashboard(
        diagnostics, commune_a, commune_b, agent_a, agent_b, dept_reviewer):
    RoleAssignment.objects.create(user=agent_a, role=Role.CTD_AGENT, commune=commune_b)
    older = _returned(commune_a, LAST - 1, agent_a, dept_reviewer, reason="Diagnostic ancien")
    other = _returned(commune_b, LAST, agent_b, dept_reviewer)
    body = _dashboard(agent_a, commune_a)
    # Oldest year first; each names its commune and links its own page.
    assert body.index(f"The year {LAST - 1} of Alpha") < body.index(f"The year {LAST} of Bêta")
    assert (f'Returned on {_when(older)} by dept_rev: <q class="reason">Diagnostic ancien</q>'
            in body)
    assert f'<a href="/reports/signoff/CM901001002/{LAST}/">' in body
    assert f"Returned on {_when(other)} by dept_rev" in body
    # Alpha's previous year is open: the line says so.
    assert f'<p class="signoff-line">Sign-off of {LAST}: not submitted yet. <a' in body
    # Bêta's own agent sees Bêta's notice, not Alpha's.
    body_b = _dashboard(agent_b, commune_b)
    assert f"The year {LAST} of Bêta was returned" in body_b
    assert "of Alpha was returned" not in body_b


def test_the_line_follows_the_previous_year_up_the_chain(
        diagnostics, commune_a, agent_a, dept_reviewer, region_reviewer, admin_user):
    def line(lang="en"):
        body = _dashboard(agent_a, commune_a, lang)
        start = body.index('<p class="signoff-line">') + len('<p class="signoff-line">')
        return body[start:body.index(" <a", start)]

    assert line() == f"Sign-off of {LAST}: not submitted yet."
    assert line("fr") == f"Validation de {LAST} : pas encore soumise."
    steps = [
        (lambda: signoff.year_submit(user=agent_a, commune=commune_a, year=LAST),
         "Sign-off of {y}: submitted on {d}, waiting for the departmental reviewer.",
         "Validation de {y} : soumise le {d}, en attente du relecteur départemental."),
        (lambda: signoff.year_approve(user=dept_reviewer, commune=commune_a, year=LAST),
         "Sign-off of {y}: approved by the department on {d}, waiting for the regional "
         "reviewer.",
         "Validation de {y} : approuvée par le département le {d}, en attente du relecteur "
         "régional."),
        (lambda: signoff.year_approve(user=region_reviewer, commune=commune_a, year=LAST),
         "Sign-off of {y}: approved by the region on {d}, waiting for the national admin to "
         "close it.",
         "Validation de {y} : approuvée par la région le {d}, en attente de la clôture par "
         "l&#x27;administrateur national."),
        (lambda: signoff.year_close(user=admin_user, commune=commune_a, year=LAST),
         "Sign-off of {y}: closed on {d}.", "Validation de {y} : close le {d}."),
        (lambda: signoff.year_reopen(user=admin_user, commune=commune_a, year=LAST,
                                     reason="Correction"),
         "Sign-off of {y}: reopened on {d}, to be submitted again.",
         "Validation de {y} : rouverte le {d}, à soumettre de nouveau."),
    ]
    for take, english, french in steps:
        step = take()
        assert line() == english.format(y=LAST, d=_when(step))
        assert line("fr") == french.format(y=LAST, d=_when(step, "fr"))
    assert 'class="notice"' not in _dashboard(agent_a, commune_a)


def test_the_notices_cost_one_query(diagnostics, commune_a, commune_b, agent_a, agent_b,
                                    dept_reviewer, monkeypatch):
    RoleAssignment.objects.create(user=agent_a, role=Role.CTD_AGENT, commune=commune_b)
    _returned(commune_a, LAST - 1, agent_a, dept_reviewer)
    _returned(commune_b, LAST, agent_b, dept_reviewer)
    signoff.year_submit(user=agent_a, commune=commune_a, year=LAST)
    client = client_for(agent_a)
    url = reverse("commune_dashboard", args=[commune_a.pcode])
    client.get(url)  # the session and the cached figures

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    with_notes = queries()
    monkeypatch.setattr(year_notes, "_year_notes", year_notes._no_notes)
    assert queries() == with_notes - 1
