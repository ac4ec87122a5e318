"""communes.search: a commune found by its name whatever the accents, the case, the hyphens
and the spaces; one query for the index, none for a search over a given index."""

import pytest
from django.utils import translation

from communes.search import commune_index, compact, normalise, pick_commune, search_communes

from ..factories import CommuneFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def adamaoua(department):
    """Three Ngaoundéré communes, a hyphenated one, and one with an English name."""
    names = {"CM901001011": "Ngaoundéré 1er", "CM901001012": "Ngaoundéré 2e",
             "CM901001013": "Ngaoundéré 3e", "CM901001014": "Galim-Tignère",
             "CM901001015": "Ngaoundal", "CM901001016": "Mbe"}
    for pcode, name in names.items():
        CommuneFactory(pcode=pcode, department=department, name_fr=name)
    CommuneFactory(pcode="CM901001017", department=department, name_fr="Côte-Ouest",
                   name_en="West-Coast")


def pcodes(text: str, **kwargs) -> list[str]:
    return [m.pcode for m in search_communes(text, **kwargs)]


def test_it_normalises_accents_case_and_separators():
    assert normalise("  Ngaoundéré-1er ") == "ngaoundere 1er"
    assert compact("GALIM – tignère") == "galimtignere"
    assert compact("d'Ékona") == "dekona"


@pytest.mark.parametrize("text", ["Ngaoundéré 1er", "ngaoundere 1er", "Ngaoundere 1er",
                                  "NGAOUNDERE-1ER", "ngaoundere1er", " ngaoundéré   1ER "])
def test_it_finds_ngaoundere_1er_however_it_is_typed(adamaoua, text):
    assert pcodes(text) == ["CM901001011"]


@pytest.mark.parametrize("text", ["Ngaoundéré", "ngaoundere", "NGAOUNDERE"])
def test_it_lists_every_ngaoundere_for_the_bare_name(adamaoua, text):
    assert pcodes(text) == ["CM901001011", "CM901001012", "CM901001013"]


def test_it_puts_the_exact_name_first_then_names_starting_with_it(adamaoua):
    assert pcodes("Ngaound") == ["CM901001015", "CM901001011", "CM901001012", "CM901001013"]
    assert pcodes("mbe") == ["CM901001016"]  # exact; "Ngaoundéré" holds no "mbe"


@pytest.mark.parametrize("text", ["galim tignere", "Galim-Tignère", "galimtignere", "tignere"])
def test_it_ignores_hyphens_and_spaces(adamaoua, text):
    assert pcodes(text) == ["CM901001014"]


def test_it_finds_the_english_name_and_the_p_code(adamaoua):
    assert pcodes("west coast") == ["CM901001017"]
    assert pcodes("cote ouest") == ["CM901001017"]
    assert pcodes("cm901001014") == ["CM901001014"]


def test_it_finds_nothing_for_empty_or_unknown_text(adamaoua):
    assert pcodes("") == [] and pcodes(" - ") == [] and pcodes("Yaoundé") == []


def test_it_stops_at_the_limit(adamaoua):
    assert pcodes("ngaoundere", limit=2) == ["CM901001011", "CM901001012"]


def test_it_reads_the_index_in_one_query_and_searches_it_with_none(
        adamaoua, django_assert_num_queries):
    with django_assert_num_queries(1):
        index = commune_index()
    with django_assert_num_queries(0):
        assert [m.pcode for m in search_communes("ngaoundere 2e", index=index)] == ["CM901001012"]


def test_it_names_the_department_and_region_in_the_active_language(adamaoua):
    (match,) = search_communes("west coast")
    with translation.override("en"):
        assert (match.name, match.department, match.region) == (
            "West-Coast", "Département A", "Centre Test")
    with translation.override("fr"):
        assert (match.name, match.region) == ("Côte-Ouest", "Centre-Test")


def test_it_picks_one_commune_offers_several_or_says_none(adamaoua):
    assert pick_commune("ngaoundere 3e").chosen.pcode == "CM901001013"
    assert pick_commune("Ngaoundal").chosen.pcode == "CM901001015"  # exact among prefixes
    several = pick_commune("ngaoundere")
    assert several.chosen is None
    assert [c.pcode for c in several.choices] == ["CM901001011", "CM901001012", "CM901001013"]
    with translation.override("fr"):
        assert pick_commune("Yaoundé").error == "Aucune commune ne s’appelle « Yaoundé »."
    with translation.override("en"):
        assert pick_commune("Yaoundé").error == "No commune is named “Yaoundé”."
        assert pick_commune("  ").error == "Type the name of a commune."
