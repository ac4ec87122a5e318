"""The privacy notice (/privacy/): generated from the register, in French and English, public;
every form that collects personal data links to its entry's section."""

import re
from html import unescape
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation

from cooperatives.models import Reless
from core.personal_data import REGISTER
from diagnostics.models import TerritorialDiagnostic

from ..conftest import client_for
from ..factories import DiagnosticFactory

pytestmark = pytest.mark.django_db

NOTICE = "/privacy/"
HEADINGS = {
    "en": ["What we keep", "Your rights", "How to exercise them", "How long we keep data"],
    "fr": ["Ce que nous gardons", "Vos droits", "Comment les exercer",
           "Combien de temps nous gardons les données"],
}


def _texts(tag: str, html: str) -> list[str]:
    return [unescape(t) for t in re.findall(rf"<{tag}[^>]*>(.*?)</{tag}>", html, re.S)]


def _link(code: str) -> str:
    return f'<a href="{NOTICE}#{code}">'


@pytest.mark.parametrize("language", ["en", "fr"])
def test_it_lists_every_entry_in_the_visitors_language(language):
    html = client_for(None, language=language).get(NOTICE).content.decode()
    with translation.override(language):
        categories = [str(e.category) for e in REGISTER]
    assert _texts("h2", html) == HEADINGS[language]
    assert _texts("h3", html) == categories
    assert all(f'<section id="{e.code}"' in html for e in REGISTER)


def test_it_follows_the_browsers_language_without_a_cookie():
    html = client_for(None).get(NOTICE, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert _texts("h1", html) == ["Your personal data"]


def test_it_says_each_basis_who_sees_how_long_and_why_not_erased():
    html = unescape(client_for(None, language="en").get(NOTICE).content.decode())
    bureau = html[html.index('<section id="bureau_member"'):]
    bureau = bureau[:bureau.index("</section>")]
    assert "<dd>Task of public interest of the commune and the State</dd>" in bureau
    assert "the public sees the office, never the name" in bureau
    assert "the name is erased once the mandate has ended" in bureau
    assert "<dd>Consent of the person</dd>" in html  # the contacts
    assert "<dd>Yes, on your request.</dd>" in html


def test_it_gives_the_delay_and_retention_from_the_settings(settings):
    settings.PERSONAL_DATA_REQUEST_DAYS = 20
    html = client_for(None, language="en").get(NOTICE).content.decode()
    assert "You receive an answer within 20 days." in html
    assert "pseudonymised 5 years after the end of the relation" in html


def test_it_answers_anonymous_visitors_with_at_most_one_query(django_assert_max_num_queries):
    client = client_for(None, language="fr")
    with django_assert_max_num_queries(1):
        response = client.get(NOTICE)
    assert response.status_code == 200
    assert client.post(NOTICE).status_code == 405


def test_it_links_every_page_to_the_notice(english):
    html = client_for(None).get(reverse("home")).content.decode()
    assert f'<a href="{NOTICE}">Personal data</a>' in html
    html = client_for(None, language="fr").get(reverse("home")).content.decode()
    assert f'<a href="{NOTICE}">Données personnelles</a>' in html


# The forms that collect personal data -------------------------------------------------------

def test_it_links_the_organisation_form_to_the_contacts(agent_a, org_a):
    agent = client_for(agent_a)
    html = agent.get(reverse("organisation_create", args=[org_a.commune.pcode])).content.decode()
    assert _link("organisation_contact") in html
    html = agent.get(reverse("organisation_edit", args=[org_a.pk])).content.decode()
    assert _link("organisation_contact") in html


def test_it_links_the_representatives_proposal_to_the_contacts(rep_a, org_a):
    html = client_for(rep_a).get(reverse("change_propose", args=[org_a.pk])).content.decode()
    assert _link("organisation_contact") in html


def test_it_links_the_bureau_member_form_to_the_bureau(agent_a, commune_a):
    Reless.objects.create(commune=commune_a, name="RELESS d'Alpha", status="active")
    url = reverse("bureau_member_create", args=[commune_a.pcode])
    assert _link("bureau_member") in client_for(agent_a).get(url).content.decode()


def test_it_links_the_import_page_to_the_contacts(agent_a, commune_a):
    url = reverse("quality:import_start", args=[commune_a.pcode])
    assert _link("organisation_contact") in client_for(agent_a).get(url).content.decode()


def test_it_links_the_diagnostic_actors_form_and_only_it(agent_a, commune_a):
    diagnostic = DiagnosticFactory(commune=commune_a, status=TerritorialDiagnostic.Status.DRAFT)
    agent = client_for(agent_a)
    actors = agent.get(reverse("diagnostic_row_add", args=[diagnostic.pk, "actors"]))
    assert _link("diagnostic_actor") in actors.content.decode()
    needs = agent.get(reverse("diagnostic_row_add", args=[diagnostic.pk, "entries"]))
    assert f'href="{NOTICE}#' not in needs.content.decode()


def test_it_links_the_users_own_settings_to_the_accounts(nobody):
    person = client_for(nobody)
    assert _link("user_account") in person.get(reverse("password_change")).content.decode()
    assert _link("user_account") in person.get(reverse("notifications")).content.decode()
    visitor = client_for(None)
    assert _link("user_account") in visitor.get(reverse("password_reset")).content.decode()


def test_it_keeps_the_docs_page_in_step_with_the_register():
    page = (Path(settings.BASE_DIR) / "docs" / "personal-data.md").read_text(encoding="utf-8")
    assert [e.code for e in REGISTER if f"`{e.code}`" not in page] == []
