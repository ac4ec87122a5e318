"""The commune search over the real 360 communes (OCHA tables, read in place), through the
cached index the pages use; an import of the territory retires the cached index."""

from pathlib import Path

import pytest
from django.conf import settings

from communes.importers import import_admin_tables
from cooperatives.selectors_public import cached_commune_index, find_communes, pick_commune_by_name

pytestmark = pytest.mark.django_db
ADMIN_DIR = Path(settings.RELESS_REFERENCE_DIR) / "raw" / "ocha_cod_ab_2018_via_cartong"


@pytest.fixture
def country():
    assert cached_commune_index() == ()  # cached empty before the import
    import_admin_tables(admin_dir=ADMIN_DIR)


def test_the_import_retires_the_cached_index(country):
    assert len(cached_commune_index()) == 360


@pytest.mark.parametrize("text", ["Ngaoundéré 1er", "ngaoundere 1er", "Ngaoundere 1er",
                                  "NGAOUNDÉRÉ-1ER"])
def test_it_finds_ngaoundere_1er(country, text):
    assert pick_commune_by_name(text).chosen.pcode == "CM001005005"


def test_it_lists_the_three_ngaoundere(country):
    assert [m.pcode for m in find_communes("Ngaoundéré")] == [
        "CM001005005", "CM001005006", "CM001005007"]
    assert [m.name for m in pick_commune_by_name("ngaoundere").choices] == [
        "Ngaoundere 1er", "Ngaoundere 2e", "Ngaoundere 3e"]


def test_it_finds_hyphenated_names_typed_with_spaces(country):
    assert pick_commune_by_name("galim tignère").chosen.pcode == "CM001002001"
    assert pick_commune_by_name("nanga eboko").chosen.pcode == "CM002001005"
    assert pick_commune_by_name("galim").chosen.pcode == "CM008001003"  # exact beats prefix
