"""The public home page: what the registry is, the national figures under the one definition
of "registered organisations" (every status but dissolved), the commune search by name, the
map, the regions collapsed with labelled figures; all served from the cache."""

import re

import pytest
from django.test import Client

from cooperatives.opendata import open_figures

from ..factories import CommuneFactory, OrganisationFactory

pytestmark = pytest.mark.django_db


def get(path: str, lang: str = "en"):
    return Client(HTTP_ACCEPT_LANGUAGE=lang).get(path)


def page(path: str, lang: str = "en") -> str:
    response = get(path, lang)
    assert response.status_code == 200
    return response.content.decode()


@pytest.fixture
def registry(org_a, org_b, commune_a, commune_b, commune_c, cassava, maize):
    """Alpha: org_a (active, 10 members, 4 women, 3 under 35), a dormant GIC of 20, an
    organisation in creation and a dissolved one (RELESS member); Bêta: org_b (active);
    Gamma (region North Test): one dissolved organisation only."""
    north = commune_c.department.region
    north.name_en = "North Test"
    north.save()
    OrganisationFactory(name="GIC Endormi", commune=commune_a, primary_filiere=maize,
                        legal_form="gic", status="dormant", members_total=20,
                        members_women=20, members_youth=0)
    OrganisationFactory(name="Coop Naissante", commune=commune_a, primary_filiere=cassava,
                        status="in_creation", reless_member_since="2024-01-01")
    OrganisationFactory(name="Coop Dissoute", commune=commune_a, primary_filiere=cassava,
                        status="dissolved", reless_member_since="2023-01-01")
    OrganisationFactory(name="Coop Fermée", commune=commune_c, primary_filiere=cassava,
                        status="dissolved")


def card(n: int, label: str) -> str:
    return f"<b>{n}</b>{label}</div>"


def test_it_says_what_the_registry_is_in_both_languages(registry):
    assert "The national registry of the social and solidarity economy" in page("/")
    assert "Le registre national de l’économie sociale et solidaire" in page("/", "fr")


def test_it_shows_the_national_figures_of_registered_organisations(registry):
    html = page("/")
    assert card(4, "registered organisations") in html  # 3 in Alpha (not the dissolved), 1 Bêta
    assert card(2, "active organisations") in html
    assert card(20, "members of active organisations") in html
    assert card(8, "of them women") in html
    assert card(6, "of them under 35") in html
    assert card(2, "of 3 communes with registered organisations") in html
    assert "not dissolved (in creation, active or dormant)" in html


def test_it_labels_the_regions_and_keeps_them_closed(registry):
    html = page("/")
    assert 'Centre Test <span class="help">4 organisations</span></summary>' in html
    assert 'North Test <span class="help">0 organisations</span></summary>' in html
    assert '<a href="/c/CM901001001/">Alpha</a> <span class="help">3 organisations</span>' in html
    assert '<a href="/c/CM901001002/">Bêta</a> <span class="help">1 organisation</span>' in html
    assert re.findall(r"<details[^>]*>", html.split('id="regions"')[1]) == [
        '<details class="region">'] * 2


def test_it_links_the_public_map_and_open_data(registry):
    html = page("/")
    assert '<a href="/reports/map/">The map of the communes</a>' in html
    assert get("/reports/map/").status_code == 200


def test_one_definition_home_open_data_and_commune_pages_agree(registry):
    figures = open_figures()
    assert figures["country"]["organisations"] == 4
    communes = {c["commune"].pcode: c["organisations"]
                for r in figures["regions"] for c in r["communes"]}
    assert communes == {"CM901001001": 3, "CM901001002": 1, "CM902001001": 0}
    on_pages = {}
    for pcode in communes:
        html = page(f"/c/{pcode}/")
        on_pages[pcode] = int(re.search(r"<b>(\d+)</b>registered organisation", html).group(1))
        assert f"<h2>Registered organisations ({on_pages[pcode]})</h2>" in html
    assert on_pages == communes
    assert card(sum(on_pages.values()), "registered organisations") in page("/")
    assert '<p class="card"><b>4</b> registered organisations</p>' in page("/open-data/")


def test_it_answers_a_warm_hit_from_the_cache_without_a_query(
        registry, django_assert_num_queries):
    page("/")
    with django_assert_num_queries(0):
        assert card(4, "registered organisations") in page("/")


def test_it_sends_a_single_match_to_the_commune_page(registry):
    for text in ("alpha", "ALPHA", "beta", "Bêta", "be-ta"):
        response = get(f"/?q={text}")
        assert response.status_code == 302, text
    assert get("/?q=alpha")["Location"] == "/c/CM901001001/"
    assert get("/?q=be-ta")["Location"] == "/c/CM901001002/"


def test_it_lists_several_matches_with_their_department(registry):
    html = page("/?q=a")
    assert "3 communes match “a”" in html
    assert ('<li><a href="/c/CM901001001/">Alpha</a> <span class="help">Département A, '
            'Centre Test</span></li>') in html
    assert '<a href="/c/CM902001001/">Gamma</a>' in html
    assert 'value="a"' in html  # the box keeps what was typed


def test_it_says_when_no_commune_matches_in_the_users_language(registry):
    assert "No commune is named “Yaoundé”." in page("/?q=Yaoundé")
    assert "Aucune commune ne s’appelle « Yaoundé »." in page("/?q=Yaoundé", "fr")


def test_it_offers_the_names_to_the_browser_without_a_script(registry):
    html = page("/")
    assert '<input type="search" name="q" id="id_q" value="" list="commune-names"' in html
    assert ('<datalist id="commune-names"><option value="Alpha"><option value="Bêta">'
            '<option value="Gamma"></datalist>') in html
    assert "<script" not in html


def test_it_finds_a_commune_renamed_after_the_index_was_cached(registry, commune_a):
    assert get("/?q=alpha")["Location"] == "/c/CM901001001/"
    commune_a.name_fr = commune_a.name_en = "Ngaoundéré 1er"
    commune_a.save()
    assert get("/?q=ngaoundere 1er")["Location"] == "/c/CM901001001/"
    assert "No commune is named “alpha”." in page("/?q=alpha")


def test_it_searches_from_the_cached_index_without_a_query(
        registry, department, django_assert_num_queries):
    for n in range(15):
        CommuneFactory(pcode=f"CM901001{100 + n}", department=department,
                       name_fr=f"Ngaoundéré {n}")
    get("/?q=zz")  # the index is cached
    with django_assert_num_queries(0):
        assert "15 communes match “ngaoundere”" in page("/?q=ngaoundere")
