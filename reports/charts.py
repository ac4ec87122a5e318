"""Server-side SVG for the report pages: small bar charts and the national map.

Everything is drawn here as inline SVG text (no JavaScript, no external resource). Labels are
escaped; callers pass plain strings and numbers.
"""

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.utils.formats import number_format
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

# Map: SVG units per degree of latitude. Integer coordinates are then 0.01° (about 1.1 km),
# plenty for a country 1,200 km tall drawn on a screen.
MAP_SCALE = 100
# Vertices closer than this (in map units) to the simplified outline are dropped.
MAP_TOLERANCE = 0.7


@dataclass(frozen=True)
class Shapes:
    """Projected commune outlines: `paths` maps a P-code to an SVG path `d`."""

    width: int
    height: int
    paths: dict[str, str]


def project_boundaries(boundaries: dict[str, dict], *, scale: float = MAP_SCALE,
                       tolerance: float = MAP_TOLERANCE) -> Shapes:
    """Project GeoJSON Polygon/MultiPolygon geometries (WGS84 lon/lat) to compact SVG paths.

    Equirectangular projection scaled by the cosine of the middle latitude (true shapes near
    the equator), north up, rounded to integers, simplified (Douglas-Peucker) and written with
    relative moves. Unknown geometry types are skipped.
    """
    rings = {pcode: _rings(geometry) for pcode, geometry in boundaries.items()}
    rings = {pcode: rs for pcode, rs in rings.items() if rs}
    lons = [p[0] for rs in rings.values() for r in rs for p in r]
    lats = [p[1] for rs in rings.values() for r in rs for p in r]
    if not lons:
        return Shapes(0, 0, {})
    west, east, south, north = min(lons), max(lons), min(lats), max(lats)
    kx = scale * math.cos(math.radians((south + north) / 2))

    def xy(point: Sequence[float]) -> tuple[int, int]:
        return round((point[0] - west) * kx), round((north - point[1]) * scale)

    paths = {pcode: _path([[xy(p) for p in ring] for ring in rs], tolerance)
             for pcode, rs in sorted(rings.items())}
    return Shapes(round((east - west) * kx) + 1, round((north - south) * scale) + 1, paths)


def _rings(geometry: dict | None) -> list[list]:
    if not isinstance(geometry, dict):
        return []
    if geometry.get("type") == "Polygon":
        return list(geometry.get("coordinates") or [])
    if geometry.get("type") == "MultiPolygon":
        return [ring for polygon in geometry.get("coordinates") or [] for ring in polygon]
    return []


def _path(rings: list[list[tuple[int, int]]], tolerance: float) -> str:
    parts = [_ring_path(_simplify_ring(_dedupe(ring), tolerance)) for ring in rings]
    parts = [part for part in parts if part]
    if not parts:  # a commune smaller than a map unit still gets a visible dot
        x, y = rings[0][0]
        return f"M{x} {y}h1v1h-1z"
    return "".join(parts)


def _dedupe(ring: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out = [p for i, p in enumerate(ring) if i == 0 or p != ring[i - 1]]
    if len(out) > 1 and out[0] == out[-1]:
        out.pop()
    return out


def _simplify_ring(ring: list[tuple[int, int]], tolerance: float) -> list[tuple[int, int]]:
    """Douglas-Peucker on a closed ring, split at its first point and the point farthest away."""
    if len(ring) < 4:
        return ring
    far = max(range(len(ring)), key=lambda i: (ring[i][0] - ring[0][0]) ** 2
              + (ring[i][1] - ring[0][1]) ** 2)
    first = _simplify_line(ring[:far + 1], tolerance)
    second = _simplify_line(ring[far:] + ring[:1], tolerance)
    simplified = first[:-1] + second[:-1]
    return simplified if len(simplified) >= 3 else ring


def _simplify_line(points: list[tuple[int, int]], tolerance: float) -> list[tuple[int, int]]:
    keep = [False] * len(points)
    keep[0] = keep[-1] = True
    stack = [(0, len(points) - 1)]
    while stack:
        start, end = stack.pop()
        (x1, y1), (x2, y2) = points[start], points[end]
        dx, dy = x2 - x1, y2 - y1
        norm = math.hypot(dx, dy)
        best, index = 0.0, -1
        for i in range(start + 1, end):
            px, py = points[i]
            d = (abs(dy * px - dx * py + x2 * y1 - y2 * x1) / norm if norm
                 else math.hypot(px - x1, py - y1))
            if d > best:
                best, index = d, i
        if index >= 0 and best > tolerance:
            keep[index] = True
            stack.extend([(start, index), (index, end)])
    return [p for p, kept in zip(points, keep, strict=True) if kept]


def _ring_path(ring: list[tuple[int, int]]) -> str:
    if len(ring) < 3:
        return ""
    x0, y0 = ring[0]
    steps = []
    for (ax, ay), (bx, by) in zip(ring, ring[1:], strict=False):
        steps.extend((bx - ax, by - ay))
    return f"M{x0} {y0}l{_numbers(steps)}z"


def _numbers(values: Iterable[int]) -> str:
    """Numbers joined the short SVG way: a minus sign separates as well as a space does."""
    out = []
    for value in values:
        text = str(value)
        if out and not text.startswith("-"):
            out.append(" ")
        out.append(text)
    return "".join(out)


@dataclass(frozen=True)
class MapArea:
    pcode: str
    css_class: str
    title: str
    href: str | None = None


def choropleth(shapes: Shapes, areas: Iterable[MapArea], *, label: str) -> SafeString:
    """The map as one inline SVG: one path per area that has a shape, coloured by class."""
    out = [f'<svg class="map" viewBox="0 0 {shapes.width} {shapes.height}" role="img" '
           f'aria-label="{escape(label)}">']
    for area in areas:
        d = shapes.paths.get(area.pcode)
        if d is None:
            continue
        path = (f'<path class="{escape(area.css_class)}" d="{d}">'
                f"<title>{escape(area.title)}</title></path>")
        out.append(f'<a href="{escape(area.href)}">{path}</a>' if area.href else path)
    out.append("</svg>")
    return mark_safe("".join(out))  # noqa: S308 - every interpolated text is escaped above


# A chart is 320 units wide: 12 px labels at 1:1 in the 328 px a 360 px phone leaves for it.
CHART_WIDTH = 320
LABEL_CHARS = 18  # about what 126 units hold at 12 px


def bar_columns(rows: Sequence[tuple[str, Sequence[int]]],
                columns: Sequence[tuple[str, str]], *, label: str,
                width: int = CHART_WIDTH) -> SafeString:
    """Horizontal bars, one panel per column stacked top to bottom, each on its own scale.

    `rows` are (label, one value per column); `columns` are (heading, CSS class). Separate
    scales keep a column of small numbers (needs) readable beside one of large numbers
    (organisations); each bar carries its value, so nothing is read off an axis. The chart is
    `width` units wide and shown at most that many pixels wide (CSS), so its 12-unit labels
    stay 12 px on a 360 px phone; a long label wraps on two lines, and one still too long is
    cut with its full name in a <title>.
    """
    label_width, line, gap = 132, 15, 6
    wrapped = [_wrap(row_label, LABEL_CHARS) for row_label, _values in rows]
    heights = [line * len(lines) + gap for lines in wrapped]
    height = (20 + sum(heights)) * len(columns) + 4
    out = [f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" '
           f'aria-label="{escape(label)}">']
    y = 0
    for i, (heading, css) in enumerate(columns):
        top = max([row[1][i] for row in rows] + [0])
        room = 7 * len(_figure(top)) + 10  # after the longest bar, for its value (12 px digits)
        out.append(f'<text x="0" y="{y + 14}" class="head">{escape(heading)}</text>')
        y += 20
        for (row_label, values), lines, h in zip(rows, wrapped, heights, strict=True):
            out.append(_label(row_label, lines, label_width - 6, y + 12, line))
            bar = (width - label_width - room) * values[i] / top if top else 0
            bar_y = y + (h - gap) / 2 - 6
            out.append(f'<rect class="{escape(css)}" x="{label_width}" y="{bar_y:.1f}" '
                       f'width="{bar:.1f}" height="13"/>'
                       f'<text x="{label_width + bar + 4:.1f}" y="{bar_y + 11:.1f}">'
                       f"{_figure(values[i])}</text>")
            y += h
    out.append("</svg>")
    return mark_safe("".join(out))  # noqa: S308 - every interpolated text is escaped above


def _wrap(text: str, length: int, lines: int = 2) -> list[str]:
    """`text` on at most `lines` lines of `length` characters, cut at spaces; the last line is
    cut with "…" when the rest does not fit."""
    out, current = [], ""
    for word in text.split():
        if current and len(current) + 1 + len(word) > length:
            out.append(current)
            current = word
        else:
            current = f"{current} {word}".strip()
    out.append(current)
    if len(out) > lines:
        out = [*out[:lines - 1], " ".join(out[lines - 1:])]
    return [*out[:-1], _clip(out[-1], length)]


def _label(full: str, lines: list[str], x: int, y: int, line: int) -> str:
    title = f"<title>{escape(full)}</title>" if lines[-1].endswith("…") else ""
    if len(lines) == 1 and not title:
        return f'<text x="{x}" y="{y}" text-anchor="end">{escape(full)}</text>'
    spans = "".join(f'<tspan x="{x}" dy="{line if n else 0}">{escape(text)}</tspan>'
                    for n, text in enumerate(lines))
    return f'<text x="{x}" y="{y}" text-anchor="end">{title}{spans}</text>'


def _figure(value: int) -> str:
    """A value as people read it: the language's thousands separator (never in an
    attribute: only in text nodes)."""
    return number_format(value, force_grouping=True)


def _clip(text: str, length: int) -> str:
    return text if len(text) <= length else text[:length - 1] + "…"
