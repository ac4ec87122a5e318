"""Words and numbers as people read them: capitalised labels, names rather than usernames,
the RELESS's current bureau apart from past mandates, thousands separators (a narrow no-break
space in French) on pages and charts but never inside attributes, and the forms'
progressive enhancements (filière filter, required marks, "use my position")."""

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import translation

from cooperatives.models import BureauMember, ChangeRequest, Organisation, Reless
from diagnostics.models import TerritorialDiagnostic
from reports.charts import bar_columns

from ..conftest import client_for
from ..factories import DiagnosticFactory, UserFactory

pytestmark = pytest.mark.django_db
NNBSP = "\u202f"


def _labels(html: str) -> list[str]:
    """The visible text at the start of every label, legend, term and header cell."""
    texts = re.findall(r"<(?:label|legend|dt|th)\b[^>]*>\s*([^<]*)", html)
    return [t.strip() for t in texts if t.strip()]


@pytest.fixture
def draft(commune_a):
    return DiagnosticFactory(commune=commune_a, status=TerritorialDiagnostic.Status.DRAFT)


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_every_label_of_the_forms_and_profiles_starts_with_a_capital(
        agent_a, org_a, commune_a, draft, lang):
    pages = [reverse("organisation_create", args=[commune_a.pcode]),
             reverse("organisation_edit", args=[org_a.pk]),
             reverse("organisation_detail", args=[org_a.pk]),
             reverse("organisation_archive", args=[org_a.pk]),
             reverse("registry_event_create", args=[org_a.pk]),
             reverse("organisation_list", args=[commune_a.pcode]),
             reverse("reless_edit", args=[commune_a.pcode]),
             reverse("diagnostic_row_add", args=[draft.pk, "entries"]),
             reverse("diagnostic_row_add", args=[draft.pk, "ideas"]),
             reverse("diagnostic_edit", args=[draft.pk]),
             reverse("intervention_create", args=[commune_a.pcode]),
             reverse("commune_interventions", args=[commune_a.pcode]),
             reverse("diagnostic_list", args=[commune_a.pcode]),
             reverse("diagnostic_detail", args=[draft.pk])]
    client = client_for(agent_a, lang)
    lowercase = {}
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        found = [t for t in _labels(response.content.decode()) if t[0].islower()]
        if found:
            lowercase[url] = found
    assert lowercase == {}


def test_the_french_profile_says_numero_rsc_with_a_capital(agent_a, org_a):
    html = client_for(agent_a, "fr").get(reverse("organisation_detail", args=[org_a.pk])).content
    assert "<dt>Numéro RSC</dt>" in html.decode()


# Forms ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("lang, note", [("en", "* required"), ("fr", "* obligatoire")])
def test_the_organisation_form_marks_required_fields(agent_a, commune_a, lang, note):
    html = client_for(agent_a, lang).get(
        reverse("organisation_create", args=[commune_a.pcode])).content.decode()
    assert note in re.sub(r"<[^>]+>", "", html)
    name_label = re.search(r'<label for="id_name">(.*?)</label>', html).group(1)
    assert name_label.endswith('<span class="required-mark" aria-hidden="true">*</span>')
    assert re.search(r'<input type="text" name="name"[^>]* required', html)
    acronym_label = re.search(r'<label for="id_acronym">(.*?)</label>', html).group(1)
    assert "required-mark" not in acronym_label


def test_the_filieres_are_checkboxes_with_a_filter_box_added_by_a_static_script(
        agent_a, commune_a, cassava, maize, poultry):
    html = client_for(agent_a, "fr").get(
        reverse("organisation_create", args=[commune_a.pcode])).content.decode()
    assert '<div id="id_filieres" class="filter-choices" data-filter-label="Filtrer la ' \
           'liste par nom">' in html
    boxes = re.findall(r'<input type="checkbox" name="filieres" value="(\d+)"', html)
    assert sorted(map(int, boxes)) == sorted([cassava.pk, maize.pk, poultry.pk])
    assert '<select name="filieres"' not in html
    # Static files only: the offline client's settings are JSON data, never run.
    assert re.findall(r"<script[^>]*>", html) == [
        '<script id="offline-config" type="application/json">',
        '<script src="/static/js/offline.js" defer>', '<script src="/static/js/forms.js" defer>']


def test_the_use_my_position_button_is_hidden_until_the_script_shows_it(agent_a, org_a):
    html = client_for(agent_a, "en").get(reverse("organisation_edit", args=[org_a.pk])).content
    button = re.search(r'<button type="button" class="use-position"[^>]*>', html.decode())
    assert button and " hidden " in button.group(0)
    assert 'data-latitude="id_latitude" data-longitude="id_longitude"' in button.group(0)


def test_the_form_script_handles_the_filter_and_the_position(settings):
    from pathlib import Path

    script = (Path(settings.BASE_DIR) / "static" / "js" / "forms.js").read_text()
    assert "navigator.geolocation" in script and ".filter-choices" in script


def test_a_saved_form_works_without_the_script(agent_a, commune_a, cassava, maize):
    response = client_for(agent_a, "en").post(
        reverse("organisation_create", args=[commune_a.pcode]),
        {"name": "Coop Sans JS", "legal_form": "association", "status": "active",
         "primary_filiere": cassava.pk, "filieres": [maize.pk]})
    assert response.status_code == 302
    organisation = Organisation.objects.get(name="Coop Sans JS")
    assert sorted(organisation.filieres.values_list("code", flat=True)) == ["mais", "manioc"]


# People --------------------------------------------------------------------------------------

def test_people_are_shown_by_their_name_everywhere(agent_a, rep_a, org_a):
    rep_a.first_name, rep_a.last_name = "Awa", "Ndzi"
    rep_a.save()
    agent_a.first_name, agent_a.last_name = "Paul", "Biya Mballa"
    agent_a.save()
    client_for(rep_a, "en").post(reverse("change_propose", args=[org_a.pk]), {
        "contact_name": "Awa Secret", "contact_phone": "+237 699 000 111",
        "contact_email": "awa.secret@example.org", "legal_form": "scoops", "status": "active",
        "filieres": ["manioc"], "members_total": 12, "members_women": 4, "members_youth": 3})
    pending = ChangeRequest.objects.get(status="pending")
    agent = client_for(agent_a, "en")
    queue = agent.get(reverse("commune_change_requests", args=[org_a.commune.pcode]))
    assert "Requested by Awa Ndzi" in queue.content.decode()
    agent.post(reverse("change_request_review", args=[pending.pk]), {"decision": "approve"})
    detail = agent.get(reverse("change_request_detail", args=[pending.pk])).content.decode()
    assert "Reviewed by Paul Biya Mballa" in detail
    profile = agent.get(reverse("organisation_detail", args=[org_a.pk])).content.decode()
    assert "Paul Biya Mballa" in profile and "agent_a" not in profile and "rep_a" not in profile


def test_a_person_without_a_name_is_shown_by_username():
    assert UserFactory(username="rep.1").display_name == "rep.1"


# RELESS bureau -------------------------------------------------------------------------------

@pytest.mark.parametrize("lang, current, past", [("en", "Current bureau", "Past mandates"),
                                                 ("fr", "Bureau en exercice", "Mandats passés")])
def test_the_reless_page_sets_the_current_bureau_apart_from_past_mandates(
        agent_a, commune_a, lang, current, past):
    reless = Reless.objects.create(commune=commune_a, name="RELESS d'Alpha", status="active")
    for name, start, end in [("Ancien Président", "2015-01-01", "2018-12-31"),
                             ("Avant-dernier Président", "2019-01-01", "2022-12-31"),
                             ("Président Actuel", "2023-01-01", None)]:
        BureauMember.objects.create(reless=reless, person_name=name, office="president",
                                    mandate_start=start, mandate_end=end)
    html = client_for(agent_a, lang).get(reverse("reless_detail", args=[commune_a.pcode])).content
    html = html.decode()
    now, before = html.split(f">{current}</h2>")[1].split(f">{past}</h2>")
    assert "Président Actuel" in now and "Ancien" not in now and "Avant-dernier" not in now
    assert before.index("Avant-dernier Président") < before.index("Ancien Président")
    assert len(re.findall(r"<h3 id=\"mandate-\d\">", before)) == 2


def test_the_reless_page_has_no_past_mandates_heading_without_past_mandates(agent_a, commune_a):
    reless = Reless.objects.create(commune=commune_a, name="RELESS d'Alpha", status="active")
    BureauMember.objects.create(reless=reless, person_name="Présidente", office="president",
                                mandate_start=datetime.date(2024, 1, 1))
    html = client_for(agent_a, "en").get(reverse("reless_detail", args=[commune_a.pcode])).content
    assert b"Past mandates" not in html and b"Current bureau" in html


# Numbers -------------------------------------------------------------------------------------

@pytest.fixture
def many(commune_a, cassava):
    """1,234 organisations in commune A (10 members each)."""
    Organisation.objects.bulk_create([
        Organisation(name=f"Coop {n:04d}", commune=commune_a, primary_filiere=cassava,
                     legal_form="association", members_total=10) for n in range(1234)])
    from cooperatives import freshness

    freshness.renew_all()
    return commune_a


@pytest.mark.parametrize("lang, text", [
    ("en", "<b>1,234</b>registered organisations"),
    ("fr", f"<b>1{NNBSP}234</b>organisations enregistrées")])
def test_the_national_page_groups_thousands(many, lang, text):
    client = client_for(None, lang)
    html = client.get(reverse("home")).content.decode()
    assert text in html
    for attribute in re.findall(r'(?:href|value|id|for|name)="([^"]*)"', html):
        if attribute.startswith("data:"):  # the empty favicon, `data:,`
            continue
        assert NNBSP not in attribute and "," not in attribute.replace(", ", "")


@pytest.mark.parametrize("lang, members", [("en", "12,340"), ("fr", f"12{NNBSP}340")])
def test_the_dashboard_groups_thousands(agent_a, many, lang, members):
    html = client_for(agent_a, lang).get(reverse("commune_dashboard", args=[many.pcode])).content
    assert f"<b>{members}</b>" in html.decode()


@pytest.mark.parametrize("lang, figure", [("en", "12,345"), ("fr", f"12{NNBSP}345")])
def test_chart_labels_group_thousands_but_attributes_stay_plain(lang, figure):
    with translation.override(lang):
        svg = str(bar_columns([("MINADER", [12345, 7])], [("Organisations", "c-orgs"),
                                                          ("Needs", "c-needs")], label="x"))
    assert f">{figure}</text>" in svg and ">7</text>" in svg
    assert all(NNBSP not in a and "," not in a for a in re.findall(r'="([^"]*)"', svg))


def test_french_groups_thousands_with_a_narrow_no_break_space():
    from django.utils.formats import number_format

    with translation.override("fr"):
        assert number_format(1234567, force_grouping=True) == f"1{NNBSP}234{NNBSP}567"
