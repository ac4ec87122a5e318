"""The offline pages and the data-offline-* attributes of the real forms."""

import pytest
from django.urls import reverse

from offline.versions import organisation_version

from ..conftest import client_for
from ..factories import DiagnosticFactory

pytestmark = pytest.mark.django_db


def _form_tag(html: str) -> str:
    start = html.index('<form method="post" novalidate')
    return html[start:html.index(">", start) + 1]


def test_the_workspace_holds_the_outbox_and_says_it_needs_javascript(agent_a):
    html = client_for(agent_a, language="en").get(reverse("offline:workspace")).content.decode()
    assert (f'<section id="outbox" data-sync-url="/api/v1/sync/" '
            f'data-snapshot-url="/api/v1/offline/snapshot/" data-user="{agent_a.pk}"') in html
    assert '<section id="offline-data"' in html
    assert "<noscript><p class=\"help\">Working offline needs JavaScript" in html
    assert "0 changes wait for your choice." in html


def test_the_workspace_in_french(rep_a):
    html = client_for(rep_a, language="fr").get(reverse("offline:workspace")).content.decode()
    assert "<h1>Travailler hors ligne</h1>" in html
    assert reverse("offline:form", args=["change-proposal"]) in html
    assert reverse("offline:form", args=["organisation-create"]) not in html


@pytest.mark.parametrize(("slug", "agent", "representative"), [
    ("organisation-create", 200, 404), ("organisation-edit", 200, 404),
    ("registry-event", 200, 404), ("verification", 200, 404), ("diagnostic-entry", 200, 404),
    ("link-propose", 200, 200), ("change-proposal", 404, 200), ("nothing", 404, 404)])
def test_each_shell_answers_its_roles(agent_a, rep_a, slug, agent, representative):
    url = reverse("offline:form", args=[slug])
    assert (client_for(agent_a).get(url).status_code,
            client_for(rep_a).get(url).status_code) == (agent, representative)


def test_a_shell_names_its_kind_and_commune(agent_a, commune_a):
    html = client_for(agent_a).get(reverse("offline:form", args=["registry-event"])).content
    assert _form_tag(html.decode()) == (
        '<form method="post" novalidate data-offline-kind="registry_event.add" '
        f'data-offline-target="" data-offline-commune="{commune_a.pcode}" '
        'data-offline-version="" data-offline-label="" data-offline-shell>')


def test_the_verification_shell_asks_the_day_and_offers_the_phones_position(agent_a):
    html = client_for(agent_a).get(reverse("offline:form", args=["verification"])).content
    html = html.decode()
    assert 'data-offline-kind="verification.add"' in _form_tag(html)
    assert 'class="use-position"' in html and "js/forms.js" in html
    assert 'name="visited_on" value=' not in html  # a kept shell offers no stale day


def test_the_edit_form_carries_the_version(agent_a, org_a, commune_a):
    html = client_for(agent_a).get(reverse("organisation_edit", args=[org_a.pk])).content
    assert _form_tag(html.decode()) == (
        '<form method="post" novalidate data-offline-kind="organisation.update" '
        f'data-offline-target="{org_a.pk}" data-offline-commune="{commune_a.pcode}" '
        f'data-offline-version="{organisation_version(org_a)}" '
        'data-offline-label="Coop Manioc Alpha">')


@pytest.mark.parametrize(("who", "url_name", "kind"), [
    ("agent_a", "organisation_create", "organisation.create"),
    ("agent_a", "registry_event_create", "registry_event.add"),
    ("agent_a", "organisation_verify", "verification.add"),
    ("agent_a", "link_propose", "link.propose"),
    ("rep_a", "change_propose", "change_request.submit"),
    ("agent_a", "diagnostic_row_add", "diagnostic_entry.add")])
def test_every_real_form_of_the_offline_kinds_is_marked(request, who, url_name, kind, org_a,
                                                    commune_a):
    args = {"organisation_create": [commune_a.pcode],
            "diagnostic_row_add": [DiagnosticFactory(commune=commune_a, status="draft").pk,
                                   "entries"]}.get(url_name, [org_a.pk])
    html = client_for(request.getfixturevalue(who)).get(reverse(url_name, args=args)).content
    assert f'data-offline-kind="{kind}"' in _form_tag(html.decode())


def test_the_archive_form_is_not_marked(agent_a, org_a):
    html = client_for(agent_a).get(reverse("organisation_archive", args=[org_a.pk])).content
    assert "data-offline" not in html.decode()
