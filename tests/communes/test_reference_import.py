"""The territory importers against the real OCHA tables and commune polygons (read in place)."""

import csv
import json
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db.models import Count

from communes.importers import (
    ParentFault,
    ReferenceDataError,
    import_admin_tables,
    import_boundaries,
    polygon_point,
)
from communes.models import Commune, Department, Region

pytestmark = pytest.mark.django_db

DATA = Path(settings.RELESS_REFERENCE_DIR)
ADMIN_DIR = DATA / "raw" / "ocha_cod_ab_2018_via_cartong"
GEOJSON = DATA / "cameroon_communes_simplified.geojson"
POINTS = DATA / "cameroon_communes.csv"

# README counts of the cleaned set: the raw duplicate Nye'ete (CM009003010, Sud) is not loaded.
COMMUNES_PER_REGION = {
    "CM001": 21, "CM002": 70, "CM003": 33, "CM004": 47, "CM005": 34,
    "CM006": 21, "CM007": 34, "CM008": 40, "CM009": 29, "CM010": 31,
}
NYEETE_SKIPPED = ("admin3.csv line {line} (CM009003010): Nye'ete duplicates commune CM009003009 "
                  "(same commune under a second P-code; not loaded)")


@pytest.fixture
def territory():
    return import_admin_tables(admin_dir=ADMIN_DIR)


@pytest.fixture
def superuser_client(client, django_user_model, settings):
    # conftest's `admin_user` is the platform's admin role, not a Django superuser; tests run
    # without collectstatic, so the admin pages need the plain static storage.
    settings.STORAGES = {**settings.STORAGES, "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
    client.force_login(django_user_model.objects.create_superuser("root", "root@example.org"))
    return client


def _counts():
    return Region.objects.count(), Department.objects.count(), Commune.objects.count()


def _geojson_pcodes():
    features = json.loads(GEOJSON.read_text(encoding="utf-8"))["features"]
    return {feature["properties"]["commune_pcode"] for feature in features}


def _write_geojson(path, features):
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    return path


def _square(x, y, size=0.1):
    ring = [[x, y], [x + size, y], [x + size, y + size], [x, y + size], [x, y]]
    return {"type": "Polygon", "coordinates": [ring]}


# --- admin tables -----------------------------------------------------------------------------

def test_it_loads_the_360_communes_and_reports_the_raw_duplicate(territory):
    assert _counts() == (10, 58, 360)
    assert (territory.regions.created, territory.departments.created,
            territory.communes.created) == (10, 58, 360)
    assert len(territory.skipped) == 1
    assert territory.skipped[0].endswith(NYEETE_SKIPPED.split(": ", 1)[1])
    assert "(CM009003010)" in territory.skipped[0]
    assert not Commune.objects.filter(pcode="CM009003010").exists()
    assert Commune.objects.filter(pcode="CM009003009").exists()


def test_it_places_every_unit_under_its_pcode_prefix(territory):
    for department in Department.objects.select_related("region"):
        assert department.region.pcode == department.pcode[:5]
    for commune in Commune.objects.select_related("department"):
        assert commune.department.pcode == commune.pcode[:8]
    per_region = dict(Commune.objects.values_list("department__region__pcode")
                      .annotate(n=Count("pk")).order_by())
    assert per_region == COMMUNES_PER_REGION


def test_it_reports_bare_bakem_loaded_under_moungo_not_its_parent_column(territory):
    assert territory.parent_faults == [
        ParentFault(pcode="CM005001001", name="Bare-Bakem", declared_parent="CM005002",
                    loaded_under="CM005001"),
    ]
    bare_bakem = Commune.objects.select_related("department").get(pcode="CM005001001")
    assert (bare_bakem.department.pcode, bare_bakem.department.name_fr) == ("CM005001", "Moungo")
    assert any("CM005001001" in line and "CM005001 " in line for line in territory.lines())


def test_it_trims_names_and_keeps_french_and_english_ones(territory):
    assert Commune.objects.get(pcode="CM008004003").name_fr == "Bandjoun"
    east = Region.objects.get(pcode="CM003")
    assert (east.name_fr, east.name_en, east.iso_code) == ("Est", "East", "CM-ES")
    far_north = Region.objects.get(pcode="CM004")
    assert (far_north.name_fr, far_north.name_en) == ("Extrême-Nord", "Far-North")
    benoue = Department.objects.get(pcode="CM006001")
    assert (benoue.name_fr, benoue.name_en) == ("Bénoué", "")
    assert not Commune.objects.filter(name_fr__regex=r"^\s|\s$").exists()


def test_it_changes_nothing_when_run_twice(territory):
    again = import_admin_tables(admin_dir=ADMIN_DIR)
    for level, total in ((again.regions, 10), (again.departments, 58), (again.communes, 360)):
        assert (level.created, level.updated, level.unchanged) == (0, 0, total)
    assert _counts() == (10, 58, 360)
    assert len(again.parent_faults) == 1


def test_it_restores_an_edited_name_but_keeps_a_curated_english_one(territory):
    Commune.objects.filter(pcode="CM008004003").update(name_fr="Bandjoun (edited)")
    Department.objects.filter(pcode="CM006001").update(name_en="Benue")
    again = import_admin_tables(admin_dir=ADMIN_DIR)
    assert (again.communes.updated, again.departments.updated) == (1, 0)
    assert Commune.objects.get(pcode="CM008004003").name_fr == "Bandjoun"
    assert Department.objects.get(pcode="CM006001").name_en == "Benue"


def test_it_writes_in_bulk(django_assert_max_num_queries):
    with django_assert_max_num_queries(20):
        import_admin_tables(admin_dir=ADMIN_DIR)


def test_it_skips_a_commune_whose_department_is_unknown(tmp_path):
    for level in (1, 2):
        (tmp_path / f"admin{level}.csv").write_text(
            (ADMIN_DIR / f"admin{level}.csv").read_text(encoding="utf-8-sig"), encoding="utf-8")
    (tmp_path / "admin3.csv").write_text(
        "ADM3_EN,ADM3_FR,ADM3_PCODE,ADM2_PCODE\n"
        ",Alpha,CM001001099,CM001001\n,Orphan,CM001099001,CM001099\n,Bad,CM1,CM001001\n",
        encoding="utf-8")
    report = import_admin_tables(admin_dir=tmp_path)
    assert report.communes.created == 1
    assert len(report.skipped) == 2
    assert "CM001099001" in report.skipped[0] and "not found" in report.skipped[0]
    assert "invalid P-code" in report.skipped[1]


def test_it_rejects_a_table_without_the_hdx_columns(tmp_path):
    (tmp_path / "admin1.csv").write_text("code,name\nCM001,Adamaoua\n")
    with pytest.raises(ReferenceDataError, match="ADM1_PCODE"):
        import_admin_tables(admin_dir=tmp_path)


# --- boundaries and points --------------------------------------------------------------------

def test_it_gives_every_commune_of_the_cleaned_geojson_a_point_and_a_boundary(territory):
    report = import_boundaries(boundaries=GEOJSON)
    pcodes = _geojson_pcodes()
    assert len(pcodes) == 360
    communes = Commune.objects.filter(pcode__in=pcodes)
    assert communes.with_point().filter(boundary__isnull=False).count() == 360
    assert (report.updated, report.points_computed, report.unknown_pcodes) == (360, 360, [])
    assert report.without_point == report.without_boundary == []


def test_it_computes_points_within_each_commune_polygon_extent(territory):
    import_boundaries(boundaries=GEOJSON)
    for commune in Commune.objects.filter(boundary__isnull=False):
        geometry = commune.boundary
        polygons = [geometry["coordinates"]] if geometry["type"] == "Polygon" else (
            geometry["coordinates"])
        lons = [p[0] for polygon in polygons for p in polygon[0]]
        lats = [p[1] for polygon in polygons for p in polygon[0]]
        assert min(lats) <= commune.latitude <= max(lats), commune.pcode
        assert min(lons) <= commune.longitude <= max(lons), commune.pcode


def test_it_takes_points_from_the_csv_over_the_polygons(territory):
    report = import_boundaries(boundaries=GEOJSON, points=POINTS)
    assert (report.points_from_csv, report.points_computed) == (360, 0)
    ngaoundal = Commune.objects.get(pcode="CM001001001")
    assert (ngaoundal.latitude, ngaoundal.longitude) == (6.44215, 13.14041)
    assert ngaoundal.boundary["type"] == "Polygon"


def test_it_changes_no_commune_when_boundaries_are_imported_twice(territory):
    import_boundaries(boundaries=GEOJSON, points=POINTS)
    again = import_boundaries(boundaries=GEOJSON, points=POINTS)
    assert (again.updated, again.unchanged) == (0, 360)


def test_it_reports_a_geojson_pcode_unknown_to_the_database(territory, tmp_path):
    path = _write_geojson(tmp_path / "b.geojson", [
        {"type": "Feature", "properties": {"commune_pcode": "CM001001001"},
         "geometry": _square(13.0, 6.4)},
        {"type": "Feature", "properties": {"commune_pcode": "CM099099099"},
         "geometry": _square(10.0, 5.0)},
    ])
    report = import_boundaries(boundaries=path)
    assert report.unknown_pcodes == ["CM099099099"]
    assert report.updated == 1
    assert not Commune.objects.filter(pcode="CM099099099").exists()
    assert any("CM099099099" in line for line in report.lines())


def test_it_reads_points_from_feature_properties_and_a_custom_pcode_property(territory, tmp_path):
    path = _write_geojson(tmp_path / "b.geojson", [
        {"type": "Feature", "properties": {"code": "CM001001001", "lat": 6.5, "lon": 13.1},
         "geometry": _square(13.0, 6.4)},
        {"type": "Feature", "properties": {"code": "CM001001002"},
         "geometry": {"type": "Point", "coordinates": [12.6, 6.5]}},
    ])
    report = import_boundaries(boundaries=path, pcode_property="code")
    assert (report.points_from_properties, report.updated) == (1, 1)
    assert "feature 1 (CM001001002)" in report.skipped[0]
    ngaoundal = Commune.objects.get(pcode="CM001001001")
    assert (ngaoundal.latitude, ngaoundal.longitude) == (6.5, 13.1)


def test_it_places_the_point_at_the_centroid_of_the_largest_polygon():
    small, large = _square(0.0, 0.0, 0.1), _square(10.0, 4.0, 2.0)
    multi = {"type": "MultiPolygon",
             "coordinates": [small["coordinates"], large["coordinates"]]}
    assert polygon_point(multi) == (5.0, 11.0)
    l_shape = {"type": "Polygon", "coordinates": [[[0, 0], [2, 0], [2, 1], [1, 1], [1, 2], [0, 2]]]}
    assert polygon_point(l_shape) == pytest.approx((5 / 6, 5 / 6), abs=1e-5)
    assert polygon_point({"type": "Point", "coordinates": [1, 2]}) is None


# --- management command -----------------------------------------------------------------------

def test_it_imports_through_the_management_command():
    out = StringIO()
    call_command("import_ocha", "--admin-dir", str(ADMIN_DIR), "--boundaries", str(GEOJSON),
                 "--points", str(POINTS), stdout=out)
    text = out.getvalue()
    assert "communes: 360 created, 0 updated, 0 unchanged" in text
    assert "CM009003010): Nye'ete duplicates commune CM009003009" in text
    assert "CM005001001 Bare-Bakem" in text and "loaded under CM005001" in text
    assert "360 from CSV" in text
    assert "communes without point: 0" in text
    assert Commune.objects.with_point().count() == 360


def test_it_imports_only_the_admin_tables_when_given_no_geometry():
    call_command("import_ocha", "--admin-dir", str(ADMIN_DIR), stdout=StringIO())
    assert _counts() == (10, 58, 360)
    assert not Commune.objects.with_point().exists()


def test_it_fails_cleanly_on_a_missing_folder(tmp_path):
    with pytest.raises(CommandError, match="admin1.csv"):
        call_command("import_ocha", "--admin-dir", str(tmp_path / "nowhere"), stdout=StringIO())
    assert _counts() == (0, 0, 0)


def test_the_points_csv_of_the_shared_data_has_the_expected_columns():
    with open(POINTS, encoding="utf-8-sig", newline="") as handle:
        assert {"commune_pcode", "latitude", "longitude"} <= set(csv.DictReader(handle).fieldnames)


# --- admin ------------------------------------------------------------------------------------

def test_it_lists_communes_in_the_admin_without_their_polygons(territory, superuser_client,
                                                                 django_assert_max_num_queries):
    import_boundaries(boundaries=GEOJSON)
    with django_assert_max_num_queries(12):
        response = superuser_client.get("/admin/communes/commune/", {"q": "Bare"})
    assert response.status_code == 200
    assert "Bare-Bakem" in response.text
    assert "coordinates" not in response.text


@pytest.mark.parametrize("language, summary", [
    ("en", "Polygon, 1 polygon(s)"),
    ("fr", "Polygon, 1 polygone(s)"),
])
def test_it_shows_a_commune_boundary_read_only_in_the_admin(territory, superuser_client,
                                                            language, summary):
    import_boundaries(boundaries=GEOJSON)
    commune = Commune.objects.get(pcode="CM001001001")
    response = superuser_client.get(f"/admin/communes/commune/{commune.pk}/change/",
                                    HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    assert summary in response.text
    assert 'name="boundary"' not in response.text


@pytest.mark.parametrize("path", ["/admin/communes/region/", "/admin/communes/department/"])
def test_it_lists_regions_and_departments_in_the_admin(territory, superuser_client, path):
    response = superuser_client.get(path, {"q": "CM005"})
    assert response.status_code == 200
    assert "Littoral" in response.text
