"""Input rules shared by the model, hence by forms, API, imports and change requests:
phone numbers and map points.

A phone is stored as `+237` followed by the 9 digits of a Cameroonian number. A map point
must fall within Cameroon's extent; outside its commune's boundary it is kept, with a warning.
"""

import re

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

# Cameroon's extent in WGS84 degrees, rounded outwards from the national boundary of the
# OCHA COD-AB (about 1.65–13.08 N, 8.49–16.19 E).
LATITUDE_RANGE = (1.6, 13.1)
LONGITUDE_RANGE = (8.4, 16.2)

_PHONE_NOISE = re.compile(r"[\s.\-/()\u00a0\u202f]+")
# Cameroonian numbers have 9 digits: 6… for mobiles, 2… for fixed lines.
_PHONE = re.compile(r"(?:\+237|00237|237)?([26]\d{8})")

PHONE_MESSAGE = gettext_lazy(
    "Enter a Cameroonian phone number of 9 digits, for example 6 77 12 34 56 or "
    "+237 677 12 34 56.")


def normalise_phone(text: str) -> str | None:
    """`+237` and the 9 digits of the number written in `text` (spaces, dots, dashes,
    +237 or 00237 allowed), '' for an empty text, None when it is not such a number."""
    compact = _PHONE_NOISE.sub("", text or "")
    if not compact:
        return ""
    match = _PHONE.fullmatch(compact)
    return f"+237{match.group(1)}" if match else None


def point_errors(latitude: float | None, longitude: float | None) -> dict[str, str]:
    """Messages by field for a map point that is incomplete or outside Cameroon."""
    if latitude is None and longitude is None:
        return {}
    if latitude is None or longitude is None:
        missing = "latitude" if latitude is None else "longitude"
        return {missing: _("Give both the latitude and the longitude, or neither.")}
    errors = {}
    if not LATITUDE_RANGE[0] <= latitude <= LATITUDE_RANGE[1]:
        errors["latitude"] = _(
            "The latitude must be within Cameroon, between %(low)s and %(high)s degrees.") % {
            "low": LATITUDE_RANGE[0], "high": LATITUDE_RANGE[1]}
    if not LONGITUDE_RANGE[0] <= longitude <= LONGITUDE_RANGE[1]:
        errors["longitude"] = _(
            "The longitude must be within Cameroon, between %(low)s and %(high)s degrees.") % {
            "low": LONGITUDE_RANGE[0], "high": LONGITUDE_RANGE[1]}
    return errors


def geometry_contains(geometry: dict | None, latitude: float, longitude: float) -> bool | None:
    """Whether a GeoJSON Polygon or MultiPolygon contains the point (None when there is no
    usable geometry). Even-odd rule over every ring, so holes are excluded."""
    if not geometry:
        return None
    kind, coordinates = geometry.get("type"), geometry.get("coordinates") or []
    polygons = [coordinates] if kind == "Polygon" else coordinates if kind == "MultiPolygon" \
        else None
    if not polygons:
        return None
    return any(_inside_polygon(rings, longitude, latitude) for rings in polygons)


def _inside_polygon(rings: list, x: float, y: float) -> bool:
    inside = False
    for ring in rings:
        for (x1, y1, *_rest), (x2, y2, *_rest2) in zip(ring, ring[1:] + ring[:1], strict=True):
            if (y1 > y) != (y2 > y) and x < (x2 - x1) * (y - y1) / (y2 - y1) + x1:
                inside = not inside
    return inside
