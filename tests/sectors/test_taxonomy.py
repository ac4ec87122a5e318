"""The shipped taxonomy: ministries, PCD sectors, filières and the agro-ecological zones."""

from io import StringIO

import pytest
from django.core.management import call_command

from sectors.models import Filiere, Ministry, Sector
from sectors.taxonomy import AGRO_ZONES, FILIERES, MINISTRIES, SECTORS, load_taxonomy

from ..factories import MinistryFactory

pytestmark = pytest.mark.django_db

DOMAIN_MINISTRIES = {
    "MINADER", "MINEPIA", "MINFOF", "MINPMEESA", "MINCOMMERCE", "MINTOUL", "MINMIDT", "MINEE",
    "MINHDU", "MINSANTE", "MINTP", "MINPOSTEL", "MINEFOP", "MINAS", "MINEPAT", "MINPROFF",
    "MINJEC", "MINDDEVEL", "MINEPDED",
}
PCD_MINISTRIES = {"MINEDUB", "MINESEC", "MINESUP", "MINSEP", "MINAC", "MINT", "MINCOM",
                  "MINRESI", "MINTSS", "MINDCAF", "MINAT"}
SECTOR_MINISTRY = {
    "agriculture": "MINADER", "elevage": "MINEPIA", "forets": "MINFOF", "pme_ess": "MINPMEESA",
    "commerce": "MINCOMMERCE", "tourisme": "MINTOUL", "mines": "MINMIDT", "eau_energie": "MINEE",
    "habitat": "MINHDU", "sante": "MINSANTE", "travaux_publics": "MINTP",
    "postes_telecom": "MINPOSTEL", "emploi_formation": "MINEFOP", "affaires_sociales": "MINAS",
    "promotion_femme": "MINPROFF", "jeunesse": "MINJEC", "environnement": "MINEPDED",
    "institution_communale": "MINDDEVEL", "education_base": "MINEDUB",
}
# Codes the demo dataset generator relies on.
GENERATOR_FILIERES = {
    "mais", "riz", "plantain", "manioc", "palmier_huile", "pomme_de_terre", "cacao", "cafe",
    "anacarde", "coton", "oignon", "sorgho_mil", "arachide", "haricot", "maraichage", "igname",
    "porc", "volaille", "petits_ruminants", "bovins", "miel", "lait", "peche", "aquaculture",
    "foret_communautaire", "bois", "pfnl", "artisanat", "commerce_marches", "ecotourisme",
    "mines_artisanales", "eau_potable", "electrification", "materiaux_locaux", "sante_mutuelle",
    "telecentre", "formation_professionnelle", "groupes_femmes", "groupes_jeunes", "dechets",
}
REGIONS = {"CM001", "CM002", "CM003", "CM004", "CM005", "CM006", "CM007", "CM008", "CM009",
           "CM010"}


@pytest.fixture
def taxonomy():
    return load_taxonomy()


def _counts():
    return Ministry.objects.count(), Sector.objects.count(), Filiere.objects.count()


def test_it_creates_the_whole_taxonomy_on_first_load(taxonomy):
    assert taxonomy == {
        "ministries": {"created": len(MINISTRIES), "updated": 0, "unchanged": 0},
        "sectors": {"created": len(SECTORS), "updated": 0, "unchanged": 0},
        "filieres": {"created": len(FILIERES), "updated": 0, "unchanged": 0},
    }
    ministries, sectors, filieres = _counts()
    assert (ministries, sectors, filieres) == (30, 29, len(FILIERES))
    assert filieres >= 60


def test_it_ships_every_ministry_of_the_domain_brief(taxonomy):
    acronyms = set(Ministry.objects.values_list("acronym", flat=True))
    assert DOMAIN_MINISTRIES | PCD_MINISTRIES == acronyms


def test_it_mirrors_the_pcd_sectors_with_their_supervising_ministry(taxonomy):
    supervisors = dict(Sector.objects.values_list("code", "ministry__acronym"))
    assert len(supervisors) == 29
    assert SECTOR_MINISTRY.items() <= supervisors.items()
    # Every ministry the brief maps PCD sectors to supervises one.
    assert PCD_MINISTRIES <= set(supervisors.values())


def test_it_ships_the_filiere_codes_the_dataset_generator_uses(taxonomy):
    assert GENERATOR_FILIERES <= set(Filiere.objects.values_list("code", flat=True))
    assert Filiere.objects.get(code="cacao").sector.ministry.acronym == "MINADER"
    assert Filiere.objects.get(code="miel").sector.ministry.acronym == "MINEPIA"
    assert Filiere.objects.get(code="pfnl").sector.ministry.acronym == "MINFOF"


def test_it_gives_every_sector_a_ministry_and_every_filiere_a_sector(taxonomy):
    assert Sector.objects.filter(ministry__isnull=False).count() == 29
    assert Filiere.objects.filter(sector__ministry__isnull=False).count() == len(FILIERES)


def test_it_names_everything_in_french_and_english(taxonomy):
    for model in (Ministry, Sector, Filiere):
        assert not model.objects.filter(name_fr="").exists()
        assert not model.objects.filter(name_en="").exists()
        names = list(model.objects.values_list("name_fr", flat=True))
        assert len(names) == len(set(names)), model


def test_it_writes_rows_that_pass_model_validation(taxonomy):
    for model in (Ministry, Sector, Filiere):
        for obj in model.objects.all():
            obj.full_clean()


def test_it_changes_nothing_when_loaded_twice(taxonomy):
    again = load_taxonomy()
    for kind, total in (("ministries", 30), ("sectors", 29), ("filieres", len(FILIERES))):
        assert again[kind] == {"created": 0, "updated": 0, "unchanged": total}
    assert _counts() == (30, 29, len(FILIERES))


def test_it_restores_edited_rows_and_adopts_existing_ones():
    MinistryFactory(acronym="MINADER", name_fr="Agriculture", name_en="Agri")
    counts = load_taxonomy()
    assert counts["ministries"] == {"created": 29, "updated": 1, "unchanged": 0}
    Filiere.objects.filter(code="cacao").update(name_en="Chocolate",
                                                sector=Sector.objects.get(code="commerce"))
    assert load_taxonomy()["filieres"]["updated"] == 1
    cacao = Filiere.objects.get(code="cacao")
    assert (cacao.name_en, cacao.sector.code) == ("Cocoa", "agriculture")


def test_agro_zones_cover_the_ten_regions_with_existing_filieres(taxonomy):
    assert set(AGRO_ZONES) == REGIONS
    codes = set(Filiere.objects.values_list("code", flat=True))
    for region, filieres in AGRO_ZONES.items():
        assert set(filieres) <= codes, region
        assert len(filieres) == len(set(filieres)), region
        assert {"volaille", "porc", "maraichage", "artisanat"} <= set(filieres), region


@pytest.mark.parametrize("regions, typical", [
    (["CM002", "CM009", "CM003", "CM005", "CM010"],
     {"manioc", "plantain", "palmier_huile", "cacao"}),
    (["CM008", "CM007"], {"mais", "haricot", "pomme_de_terre", "maraichage"}),
    (["CM006", "CM004"], {"sorgho_mil", "oignon", "coton"}),
    (["CM001"], {"bovins", "mais", "igname"}),
])
def test_agro_zones_follow_the_domain_brief(regions, typical):
    for region in regions:
        assert typical <= set(AGRO_ZONES[region]), region


def test_cocoa_is_not_typical_of_the_sahel():
    assert "cacao" not in AGRO_ZONES["CM004"] and "cacao" not in AGRO_ZONES["CM006"]


def test_it_loads_through_the_management_command():
    out = StringIO()
    call_command("load_taxonomy", stdout=out)
    call_command("load_taxonomy", stdout=out)
    lines = out.getvalue().splitlines()
    assert lines[0] == "ministries: 30 created, 0 updated, 0 unchanged"
    assert lines[3] == "ministries: 0 created, 0 updated, 30 unchanged"
    assert lines[5] == f"filieres: 0 created, 0 updated, {len(FILIERES)} unchanged"


# --- admin ------------------------------------------------------------------------------------

@pytest.fixture
def superuser_client(client, django_user_model, settings):
    # conftest's `admin_user` is the platform's admin role, not a Django superuser; tests run
    # without collectstatic, so the admin pages need the plain static storage.
    settings.STORAGES = {**settings.STORAGES, "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
    client.force_login(django_user_model.objects.create_superuser("root", "root@example.org"))
    return client


@pytest.mark.parametrize("path, query, expected", [
    ("/admin/sectors/ministry/", "MINADER", "Ministry of Agriculture and Rural Development"),
    ("/admin/sectors/sector/", "elevage", "MINEPIA"),
    ("/admin/sectors/filiere/", "cacao", "MINADER"),
])
def test_it_searches_the_taxonomy_in_the_admin(taxonomy, superuser_client,
                                               django_assert_max_num_queries, path, query,
                                               expected):
    with django_assert_max_num_queries(12):
        response = superuser_client.get(path, {"q": query})
    assert response.status_code == 200
    assert expected in response.text


def test_it_filters_filieres_by_ministry_in_the_admin(taxonomy, superuser_client):
    minepia = Ministry.objects.get(acronym="MINEPIA")
    response = superuser_client.get("/admin/sectors/filiere/",
                                    {"sector__ministry__id__exact": minepia.pk})
    assert response.status_code == 200
    assert "Aquaculture" in response.text and "Cacao" not in response.text
