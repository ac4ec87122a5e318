"""Importers for the territory: OCHA COD-AB admin tables, then commune boundaries and points.

Both are idempotent (keyed on P-code, a second run changes nothing) and run in one transaction.
Parents always come from the P-code prefix (CMrrr > CMrrrddd > CMrrrdddccc); a parent column
that disagrees is reported, not trusted.
"""

import csv
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from django.db import transaction
from django.db.models import Q

from .models import Commune, Department, Region
from .signals import territory_bulk_changed

# ISO 3166-2:CM subdivision codes; admin1.csv does not carry them.
REGION_ISO_CODES = {
    "CM001": "CM-AD", "CM002": "CM-CE", "CM003": "CM-ES", "CM004": "CM-EN", "CM005": "CM-LT",
    "CM006": "CM-NO", "CM007": "CM-NW", "CM008": "CM-OU", "CM009": "CM-SU", "CM010": "CM-SW",
}
BATCH_SIZE = 200

# Rows of the raw OCHA admin3 table that repeat a commune under a second P-code. The reference
# data's README: "Drop CM009003010 Nye'ete: it duplicates CM009003009 Niete (Niete)". Cameroon
# has 360 communes; the duplicate is reported and never loaded (a data migration merged it into
# the kept P-code on databases that had loaded it).
DUPLICATE_COMMUNES = {"CM009003010": "CM009003009"}


class ReferenceDataError(ValueError):
    """A reference file cannot be read as the expected format."""


@dataclass
class LevelCounts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0

    def __str__(self):
        return f"{self.created} created, {self.updated} updated, {self.unchanged} unchanged"


@dataclass
class ParentFault:
    """A row whose parent column disagrees with its P-code prefix."""

    pcode: str
    name: str
    declared_parent: str
    loaded_under: str

    def __str__(self):
        return (f"{self.pcode} {self.name}: parent column says {self.declared_parent}, "
                f"loaded under {self.loaded_under} (P-code prefix)")


@dataclass
class AdminImportReport:
    regions: LevelCounts = field(default_factory=LevelCounts)
    departments: LevelCounts = field(default_factory=LevelCounts)
    communes: LevelCounts = field(default_factory=LevelCounts)
    parent_faults: list[ParentFault] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # rows not loaded, with the reason

    def lines(self) -> list[str]:
        lines = [f"regions: {self.regions}", f"departments: {self.departments}",
                 f"communes: {self.communes}"]
        lines += [f"parent fault: {fault}" for fault in self.parent_faults]
        lines += [f"skipped: {reason}" for reason in self.skipped]
        return lines


@dataclass
class BoundaryImportReport:
    updated: int = 0
    unchanged: int = 0
    points_from_csv: int = 0
    points_from_properties: int = 0
    points_computed: int = 0
    unknown_pcodes: list[str] = field(default_factory=list)  # in a file, not in the database
    skipped: list[str] = field(default_factory=list)  # features or rows not usable, with reason
    without_point: list[str] = field(default_factory=list)  # communes still lacking one after
    without_boundary: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        lines = [
            f"communes: {self.updated} updated, {self.unchanged} unchanged",
            f"points: {self.points_from_csv} from CSV, {self.points_from_properties} from "
            f"feature properties, {self.points_computed} computed from polygons",
            f"communes without point: {_few(self.without_point)}",
            f"communes without boundary: {_few(self.without_boundary)}",
        ]
        if self.unknown_pcodes:
            lines.append(f"unknown P-codes (not loaded): {_few(self.unknown_pcodes, 50)}")
        lines += [f"skipped: {reason}" for reason in self.skipped]
        return lines


def _few(pcodes: list[str], limit: int = 10) -> str:
    """The count, and the P-codes themselves when there are few of them."""
    if not pcodes or len(pcodes) > limit:
        return str(len(pcodes))
    return f"{len(pcodes)} ({', '.join(pcodes)})"


# --- admin tables -----------------------------------------------------------------------------

# level -> (model, parent FK attribute); the P-code grows by 3 digits per level.
LEVELS = {1: (Region, None), 2: (Department, "region_id"), 3: (Commune, "department_id")}


def import_admin_tables(*, admin_dir: str | Path) -> AdminImportReport:
    """Load admin1.csv, admin2.csv and admin3.csv (OCHA COD-AB / HDX columns) from `admin_dir`.

    Creates or updates regions, departments and communes keyed on P-code; rows of the database
    missing from the files are kept. Empty English names never erase an existing one.
    """
    admin_dir = Path(admin_dir)
    tables = {level: _read_csv(admin_dir / f"admin{level}.csv", _admin_columns(level))
              for level in LEVELS}
    report = AdminImportReport()
    counts = {1: report.regions, 2: report.departments, 3: report.communes}
    with transaction.atomic():
        parent_ids: dict[str, int] = {}
        for level, rows in tables.items():
            wanted = _admin_rows(level, rows, parent_ids, report)
            _sync_level(level, wanted, counts[level])
            parent_ids = dict(LEVELS[level][0].objects.values_list("pcode", "pk"))
        territory_bulk_changed.send(sender=Commune)
    return report


def _admin_columns(level: int) -> list[str]:
    prefix = f"ADM{level}"
    parent = [f"ADM{level - 1}_PCODE"] if level > 1 else []
    return [f"{prefix}_PCODE", f"{prefix}_FR", f"{prefix}_EN", *parent]


def _admin_rows(level: int, rows: list[dict], parent_ids: dict[str, int],
                report: AdminImportReport) -> dict[str, dict]:
    """Validate one table's rows; returns pcode -> field values to write."""
    prefix, parent_attr = f"ADM{level}", LEVELS[level][1]
    pattern = re.compile(r"[A-Z]{2}\d{3}" + r"\d{3}" * (level - 1))
    wanted: dict[str, dict] = {}
    for line, row in enumerate(rows, start=2):
        pcode = row[f"{prefix}_PCODE"].strip()
        name_fr, name_en = row[f"{prefix}_FR"].strip(), row[f"{prefix}_EN"].strip()
        where = f"admin{level}.csv line {line} ({pcode or 'no P-code'})"
        if not pattern.fullmatch(pcode):
            report.skipped.append(f"{where}: invalid P-code")
            continue
        if pcode in wanted:
            report.skipped.append(f"{where}: duplicate P-code")
            continue
        if level == 3 and pcode in DUPLICATE_COMMUNES:
            report.skipped.append(
                f"{where}: {name_fr or name_en} duplicates commune {DUPLICATE_COMMUNES[pcode]} "
                "(same commune under a second P-code; not loaded)")
            continue
        if not (name_fr or name_en):
            report.skipped.append(f"{where}: no name")
            continue
        values = {"name_fr": name_fr or name_en, "name_en": name_en}
        if level == 1 and pcode in REGION_ISO_CODES:
            values["iso_code"] = REGION_ISO_CODES[pcode]
        if parent_attr:
            parent = pcode[:-3]
            declared = row[f"ADM{level - 1}_PCODE"].strip()
            if declared != parent:
                report.parent_faults.append(
                    ParentFault(pcode, values["name_fr"], declared, parent))
            if parent not in parent_ids:
                report.skipped.append(f"{where}: parent {parent} not found")
                continue
            values[parent_attr] = parent_ids[parent]
        wanted[pcode] = values
    return wanted


def _sync_level(level: int, wanted: dict[str, dict], counts: LevelCounts) -> None:
    model, parent_attr = LEVELS[level]
    fields = ["name_fr", "name_en"] + (["iso_code"] if level == 1 else []) + (
        [parent_attr] if parent_attr else [])
    existing = model.objects.only("pcode", *fields).in_bulk(list(wanted), field_name="pcode")
    new, changed = [], []
    for pcode, values in wanted.items():
        obj = existing.get(pcode)
        if obj is None:
            new.append(model(pcode=pcode, **values))
            continue
        if not values["name_en"]:
            values["name_en"] = obj.name_en  # keep a curated English name
        diff = {name: value for name, value in values.items() if getattr(obj, name) != value}
        for name, value in diff.items():
            setattr(obj, name, value)
        if diff:
            changed.append(obj)
    model.objects.bulk_create(new, batch_size=BATCH_SIZE)
    if changed:
        model.objects.bulk_update(changed, fields, batch_size=BATCH_SIZE)
    counts.created += len(new)
    counts.updated += len(changed)
    counts.unchanged += len(wanted) - len(new) - len(changed)


def _read_csv(path: Path, columns: list[str]) -> list[dict]:
    with open(path, encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        missing = [column for column in columns if column not in (reader.fieldnames or [])]
        if missing:
            raise ReferenceDataError(f"{path.name}: missing columns {', '.join(missing)}")
        return [{key: (value or "") for key, value in row.items()} for row in reader]


# --- boundaries and points --------------------------------------------------------------------

def import_boundaries(*, boundaries: str | Path | None = None, points: str | Path | None = None,
                      pcode_property: str = "commune_pcode") -> BoundaryImportReport:
    """Set commune boundaries and points from a GeoJSON FeatureCollection and/or a points CSV.

    Each feature is matched on its `pcode_property`; its Polygon or MultiPolygon becomes the
    boundary. Its point is the feature's latitude/longitude (or lat/lon) properties when present,
    else the area-weighted centroid of its largest polygon's outer ring (WGS84 degrees, rounded
    to 5 decimals). Points from the CSV (commune_pcode, latitude, longitude) take precedence.
    P-codes unknown to the database are reported and ignored.
    """
    report = BoundaryImportReport()
    shapes, located = _read_geojson(boundaries, pcode_property, report) if boundaries else ({}, {})
    if points:
        csv_points = _read_points(Path(points), report)
        located.update({pcode: (point, "from_csv") for pcode, point in csv_points.items()})
    with transaction.atomic():
        _apply_geometry(shapes, located, report)
        territory_bulk_changed.send(sender=Commune)
    pcodes = Commune.objects.order_by("pcode").values_list("pcode", flat=True)
    report.without_point = list(pcodes.filter(Q(latitude__isnull=True) | Q(longitude__isnull=True)))
    report.without_boundary = list(pcodes.filter(boundary__isnull=True))
    return report


def _apply_geometry(shapes: dict[str, dict], located: dict[str, tuple],
                    report: BoundaryImportReport) -> None:
    pcodes = set(shapes) | set(located)
    fields = ["latitude", "longitude"] if located else []
    fields += ["boundary"] if shapes else []
    communes = Commune.objects.only("pcode", *fields).in_bulk(list(pcodes), field_name="pcode")
    report.unknown_pcodes = sorted(pcodes - set(communes))
    changed = []
    for pcode, commune in communes.items():
        values = {}
        if pcode in shapes:
            values["boundary"] = shapes[pcode]
        if pcode in located:
            (values["latitude"], values["longitude"]), source = located[pcode]
            setattr(report, f"points_{source}", getattr(report, f"points_{source}") + 1)
        diff = {name: value for name, value in values.items() if getattr(commune, name) != value}
        for name, value in diff.items():
            setattr(commune, name, value)
        if diff:
            changed.append(commune)
    if changed:
        Commune.objects.bulk_update(changed, fields, batch_size=BATCH_SIZE)
    report.updated = len(changed)
    report.unchanged = len(communes) - len(changed)


def _read_geojson(path: str | Path, pcode_property: str, report: BoundaryImportReport):
    """Returns (pcode -> geometry, pcode -> ((lat, lon), source)) for usable features."""
    try:
        with open(path, encoding="utf-8-sig") as handle:
            features = json.load(handle).get("features")
    except (json.JSONDecodeError, AttributeError) as error:
        raise ReferenceDataError(f"{Path(path).name}: not a GeoJSON FeatureCollection") from error
    if not isinstance(features, list):
        raise ReferenceDataError(f"{Path(path).name}: not a GeoJSON FeatureCollection")
    shapes, located = {}, {}
    for index, feature in enumerate(features):
        props = feature.get("properties") or {}
        geometry = feature.get("geometry") or {}
        pcode = str(props.get(pcode_property) or "").strip()
        where = f"feature {index} ({pcode or f'no {pcode_property}'})"
        if not pcode or pcode in shapes:
            report.skipped.append(f"{where}: {'duplicate' if pcode else 'missing'} P-code")
            continue
        computed = polygon_point(geometry)
        if computed is None:
            report.skipped.append(f"{where}: not a valid Polygon or MultiPolygon")
            continue
        point = _property_point(props)
        point, source = (point, "from_properties") if point else (computed, "computed")
        shapes[pcode], located[pcode] = geometry, (point, source)
    return shapes, located


def _property_point(props: dict) -> tuple[float, float] | None:
    for lat_key, lon_key in (("latitude", "longitude"), ("lat", "lon")):
        try:
            return float(props[lat_key]), float(props[lon_key])
        except (KeyError, TypeError, ValueError):
            continue
    return None


def _read_points(path: Path, report: BoundaryImportReport) -> dict[str, tuple[float, float]]:
    points = {}
    for line, row in enumerate(_read_csv(path, ["commune_pcode", "latitude", "longitude"]), 2):
        pcode = row["commune_pcode"].strip()
        try:
            lat, lon = float(row["latitude"]), float(row["longitude"])
        except ValueError:
            report.skipped.append(f"{path.name} line {line} ({pcode}): no valid latitude/longitude")
            continue
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            report.skipped.append(f"{path.name} line {line} ({pcode}): point out of range")
            continue
        points[pcode] = (lat, lon)
    return points


def polygon_point(geometry: dict) -> tuple[float, float] | None:
    """(latitude, longitude) of the area-weighted centroid of the largest polygon's outer ring.

    `geometry` is a GeoJSON Polygon or MultiPolygon in WGS84; None for anything else. The point
    may fall outside a very concave polygon.
    """
    try:
        kind, coordinates = geometry["type"], geometry["coordinates"]
        polygons = {"Polygon": [coordinates], "MultiPolygon": coordinates}[kind]
        rings = [[(float(p[0]), float(p[1])) for p in polygon[0]] for polygon in polygons]
    except (KeyError, TypeError, IndexError, ValueError):
        return None
    centroids = [_ring_centroid(ring) for ring in rings if len(ring) >= 3]
    if not centroids:
        return None
    _, lon, lat = max(centroids, key=lambda c: c[0])
    return round(lat, 5), round(lon, 5)


def _ring_centroid(ring: list[tuple[float, float]]) -> tuple[float, float, float]:
    """(absolute area, x, y) by the shoelace formula, relative to the first vertex for precision."""
    x0, y0 = ring[0]
    area2 = cx = cy = 0.0
    for (xa, ya), (xb, yb) in zip(ring, ring[1:] + ring[:1], strict=True):
        xa, ya, xb, yb = xa - x0, ya - y0, xb - x0, yb - y0
        cross = xa * yb - xb * ya
        area2 += cross
        cx += (xa + xb) * cross
        cy += (ya + yb) * cross
    if area2 == 0:  # degenerate ring: mean of its vertices
        return 0.0, sum(x for x, _ in ring) / len(ring), sum(y for _, y in ring) / len(ring)
    return abs(area2) / 2, x0 + cx / (3 * area2), y0 + cy / (3 * area2)
