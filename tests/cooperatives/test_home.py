"""The public home page: regions > departments > communes with organisation counts, served
from the stamped cache and refreshed by every registry or territory change, in each language."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from cooperatives import services

from ..factories import OrganisationFactory

pytestmark = pytest.mark.django_db


def _home(lang: str = "en") -> str:
    response = Client(HTTP_ACCEPT_LANGUAGE=lang).get("/")
    assert response.status_code == 200
    return response.content.decode()


def _commune(pcode: str, name: str, n: int, label: str = "") -> str:
    label = label or ("organisation" if n == 1 else "organisations")
    return f'<a href="/c/{pcode}/">{name}</a> <span class="help">{n} {label}</span>'


def _total(n: int, label: str = "registered organisations") -> str:
    return f"<b>{n}</b>{label}</div>"


@pytest.fixture
def registry(org_a, org_b, commune_a, commune_c, cassava):
    """Alpha 2 organisations, Bêta 1 (same department), Gamma 0 (another region)."""
    north = commune_c.department.region
    north.name_en = "North Test"
    north.save()
    OrganisationFactory(name="Coop Alpha 2", commune=commune_a, primary_filiere=cassava,
                        status="dormant")


def test_it_counts_the_organisations_of_each_commune_department_and_region(registry):
    html = _home()
    assert _commune("CM901001001", "Alpha", 2) in html
    assert _commune("CM901001002", "Bêta", 1) in html
    assert _commune("CM902001001", "Gamma", 0) in html
    assert 'Centre Test <span class="help">3 organisations</span></summary>' in html
    assert 'Département A <span class="help">3 organisations</span></h3>' in html
    assert 'North Test <span class="help">0 organisations</span></summary>' in html
    assert _total(3) in html


def test_it_shows_no_personal_data(registry):
    html = _home()
    for secret in ("Awa Secret", "699 000 111", "awa.secret@example.org", "Bruno Private"):
        assert secret not in html


def test_it_serves_the_list_from_the_cache(registry):
    _home()
    with CaptureQueriesContext(connection) as queries:
        html = _home()
    assert len(queries) == 0
    assert _commune("CM901001001", "Alpha", 2) in html


def test_it_counts_an_organisation_registered_after_the_list_was_cached(
        registry, agent_a, commune_a, cassava):
    assert _total(3) in _home()
    services.organisation_create(user=agent_a, commune=commune_a, name="Coop Nouvelle",
                                 legal_form="scoops", primary_filiere=cassava, members_total=9)
    html = _home()
    assert _commune("CM901001001", "Alpha", 3) in html
    assert 'Centre Test <span class="help">4 organisations</span></summary>' in html
    assert _total(4) in html


def test_it_forgets_a_deleted_organisation(registry, org_b):
    _home()
    org_b.delete()
    html = _home()
    assert _commune("CM901001002", "Bêta", 0) in html
    assert _total(2) in html


def test_it_shows_a_renamed_commune(registry, commune_a):
    _home()
    commune_a.name_fr = commune_a.name_en = "Alpha-Ville"
    commune_a.save()
    assert _commune("CM901001001", "Alpha-Ville", 2) in _home()


def test_it_keeps_one_list_per_language(registry, commune_a):
    commune_a.name_en = "Alpha Town"
    commune_a.save()
    for _ in range(2):  # the second round is read from the cache
        french, english = _home("fr"), _home("en")
        assert _total(3, "organisations enregistrées") in french
        assert 'Centre-Test <span class="help">3 organisations</span></summary>' in french
        assert _commune("CM901001001", "Alpha", 2) in french
        assert _total(3) in english
        assert 'Centre Test <span class="help">3 organisations</span></summary>' in english
        assert _commune("CM901001001", "Alpha Town", 2) in english
        assert "registered" not in french and "enregistrées" not in english


def test_it_escapes_the_names_it_caches(registry, commune_c):
    commune_c.name_fr = commune_c.name_en = "Gamma <b>&</b>"
    commune_c.save()
    html = _home()
    assert _commune("CM902001001", "Gamma &lt;b&gt;&amp;&lt;/b&gt;", 0) in html
    assert "<b>&</b>" not in html
