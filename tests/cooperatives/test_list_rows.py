"""The organisation list's rows written in Python (cooperatives.list_rows, core.numbers):
the same text as Django's template filters and model methods, in both languages."""

import datetime
import re

import pytest
from django.contrib.humanize.templatetags.humanize import intcomma
from django.template import engines
from django.urls import reverse
from django.utils import translation
from django.utils.formats import date_format

from cooperatives.list_rows import organisation_rows, rows_html
from cooperatives.models import Organisation
from core.numbers import grouper

from ..factories import OrganisationFactory

VALUES = [0, 7, 999, 1000, 1001, 12345, 999999, 1234567, 2**40, -1, -1234, -1234567]


@pytest.mark.parametrize("language", ["fr", "en"])
def test_grouped_numbers_are_intcommas_text(language):
    with translation.override(language):
        group = grouper()
        assert [group(v) for v in VALUES] == [intcomma(v) for v in VALUES]
        # Not a whole number: intcomma itself.
        assert [group(v) for v in (None, 1234.5, "12345", "x")] == [
            intcomma(v) for v in (None, 1234.5, "12345", "x")]
    if language == "fr":  # the French separator, not a comma
        with translation.override("fr"):
            assert grouper()(1234567) != "1,234,567"


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["fr", "en"])
def test_a_row_holds_the_texts_the_template_wrote(language, commune_a, cassava):
    today = datetime.date(2026, 6, 15)
    recent = OrganisationFactory(
        commune=commune_a, primary_filiere=cassava, acronym="GICX", rsc_number="CM-RSC-1",
        members_total=12345, members_women=1001, members_youth=7, legal_form="coop_ca",
        last_verified_on=datetime.date(2026, 1, 10), last_verification_outcome="active")
    old = OrganisationFactory(
        commune=commune_a, primary_filiere=cassava, acronym="", rsc_number=None,
        members_total=5, members_women=0, members_youth=0, status="dormant",
        last_verified_on=datetime.date(2020, 1, 10), last_verification_outcome="moved")
    never = OrganisationFactory(commune=commune_a, primary_filiere=cassava,
                                last_verified_on=None)
    organisations = list(Organisation.objects.filter(pk__in=[recent.pk, old.pk, never.pk])
                         .select_related("commune", "primary_filiere").order_by("pk"))
    with translation.override(language):
        rows = organisation_rows(organisations, today)
        expected = [{
            "url": reverse("organisation_detail", args=[o.pk]),
            "name": o.name,
            "acronym": o.acronym or "",
            "commune": o.commune.name,
            "legal_form": o.get_legal_form_display(),
            "filiere": o.primary_filiere.name,
            "status": o.get_status_display(),
            "rsc_number": o.rsc_number or "",
            "members": intcomma(o.members_total),
            "women": intcomma(o.members_women),
            "youth": intcomma(o.members_youth),
            "verified_on": date_format(o.last_verified_on, "SHORT_DATE_FORMAT")
            if o.last_verified_on else "",
            "verification": o.get_last_verification_outcome_display()
            if o.last_verified_on else "",
            "is_verified": o.is_verified(today),
        } for o in organisations]
    assert rows == expected
    assert [r["is_verified"] for r in rows] == [True, False, False]
    assert rows[1]["acronym"] == rows[1]["rsc_number"] == rows[2]["verified_on"] == ""
    assert rows[1]["verified_on"] != "" and rows[1]["verification"] != ""


@pytest.mark.django_db
def test_the_list_page_prints_the_rows(client, admin_user, org_a, commune_a):
    Organisation.objects.filter(pk=org_a.pk).update(members_total=12345, acronym="ORGA")
    client.force_login(admin_user)
    client.cookies["django_language"] = "en"
    html = client.get(f"/communes/{commune_a.pcode}/organisations/").content.decode()
    url = reverse("organisation_detail", args=[org_a.pk])
    assert f'<a href="{url}">{org_a.name}</a> <span class="help">ORGA</span>' in html
    assert '<td class="num">12,345</td>' in html


def _between_tags(html: str) -> str:
    return re.sub(r">\s+<", "><", html.strip())


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["fr", "en"])
@pytest.mark.parametrize("query", ["", "?q=zzz&status=active&ordering=-members_total",
                                   "?region=nowhere"])
def test_the_filter_fields_are_djangos_field_groups(client, admin_user, org_a, language, query):
    """The list writes each filter field itself (label, errors, widget): the same HTML as
    Django's `as_field_group` for that field, values, choices and errors included."""
    client.force_login(admin_user)
    client.cookies["django_language"] = language
    response = client.get(f"/organisations/{query}")
    html = response.content.decode()
    form = response.context["filterset"].form
    fields = form.visible_fields()
    assert len(fields) >= 10
    written = re.findall(r'<div class="field">(<label for="id_(?!per_page).*?)</div>', html,
                         flags=re.S)
    with translation.override(language):
        assert [_between_tags(w) for w in written] == [
            _between_tags(str(f.as_field_group())) for f in fields]
    if query == "?region=nowhere":
        assert form.errors and "errorlist" in written[[f.name for f in fields].index("region")]
    if language == "fr":
        assert '<label for="id_status">Statut\xa0:</label>' in html


# The table's loop as the list's template wrote it before `rows_html`: the reference.
TEMPLATE_LOOP = (
    '{% load i18n %}{% for r in rows %}<tr><td><a href="{{ r.url }}">{{ r.name }}</a>'
    '{% if r.acronym %} <span class="help">{{ r.acronym }}</span>{% endif %}</td>'
    '{% if not commune %}<td>{{ r.commune }}</td>{% endif %}<td class="wide">'
    '{{ r.legal_form }}</td><td>{{ r.filiere }}</td><td>{{ r.status }}</td>'
    '<td class="wide">{{ r.rsc_number }}</td><td class="num">{{ r.members }}</td>'
    '<td class="num wide">{{ r.women }}</td><td class="num wide">{{ r.youth }}</td><td>'
    '{% if r.verified_on %}{{ r.verified_on }} <span class="help">{{ r.verification }}'
    '</span>{% endif %}{% if not r.is_verified %} <span class="badge warning">'
    '{% translate "Not verified" %}</span>{% endif %}</td></tr>\n{% endfor %}')


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["fr", "en"])
def test_rows_html_is_what_the_template_wrote(language, commune_a, cassava):
    OrganisationFactory(
        commune=commune_a, primary_filiere=cassava, name='Café & <Thé> "Les Amis" d\'Or',
        acronym="A&B", rsc_number="CM<1>", members_total=12345, members_women=1001,
        last_verified_on=datetime.date(2026, 1, 10), last_verification_outcome="active")
    OrganisationFactory(commune=commune_a, primary_filiere=cassava, acronym="",
                        rsc_number=None, last_verified_on=None)
    organisations = list(Organisation.objects.select_related("commune", "primary_filiere")
                         .order_by("pk"))
    engine = engines["django"].from_string(TEMPLATE_LOOP)
    with translation.override(language):
        rows = organisation_rows(organisations, datetime.date(2026, 6, 15))
        for with_commune in (True, False):
            expected = engine.render({"rows": rows, "commune": None if with_commune else 1})
            assert rows_html(rows, with_commune=with_commune) == expected
    assert "Café &amp; &lt;Thé&gt; &quot;Les Amis&quot; d&#x27;Or" in expected
    assert rows_html([], with_commune=True) == ""


@pytest.mark.django_db
def test_an_empty_list_says_so(client, admin_user, org_a):
    client.force_login(admin_user)
    client.cookies["django_language"] = "en"
    html = client.get("/organisations/?q=nothing-like-it").content.decode()
    assert '<tbody>\n<tr><td colspan="10">No organisation matches.</td></tr>\n</tbody>' in html
    assert org_a.name not in html
