"""The {map} figure laid out: countries projected, simplified and labelled, cities placed.

The data file names countries (ISO 3166-1 alpha-3) and cities (gazetteer names, looked up in
those countries); `labels` may give the names printed for cities. Geometry comes from
dossier.render.geodata; pyproj projects it with a Lambert conformal conic fitted to the area
shown (standard parallels at a sixth of its height from each edge); shapely clips and simplifies
it to what a printed figure can show. Units are millimetres, the SVG's user units.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache
from typing import Any

from dossier.errors import DossierError
from dossier.load.blocks import Block
from dossier.render import geodata
from dossier.render.glyphs import GlyphSet, Run

WIDTH = 144.0       # the print measure
# The e-reader's rendition: the same map drawn narrower, so that its labels, at the same size,
# are a larger part of the figure, which a phone shows at its width (labels then ~0.8× the text).
READER_WIDTH = 80.0
PAD = 6.0           # room around the shown countries, for the neighbours and the labels
TOLERANCE = 0.15    # simplification, mm: below what print shows
MIN_AREA = 0.3      # islands smaller than this (mm²) are left out
MARGIN_DEG = 14.0   # neighbouring land read around the shown countries, in degrees
COUNTRY_SIZE = 2.9
CITY_SIZE = 2.5
DOT = 0.7
LEADER = 4.5        # distance of a label set outside its country
COUNTRY_LEADERS = (LEADER, 6.5, 8.5, 10.5)  # tried in turn until the label covers no other one
CITY_LEADERS = (3.5, 5.0, 6.5)  # distances tried for a city label that finds no room beside its dot
CROWDED = 500.0     # a candidate's score from this on covers another label or a dot (see _candidates)

Box = tuple[float, float, float, float]


@dataclass(frozen=True)
class MapShape:
    d: str
    kind: str  # "land" (a neighbour), "member" (a country shown), "focus" (a member with cities)


@dataclass(frozen=True)
class MapLabel:
    run: Run
    leader: tuple[tuple[float, float], ...] = ()


@dataclass(frozen=True)
class MapCity:
    x: float
    y: float
    label: MapLabel


@dataclass(frozen=True)
class Map:
    width: float
    height: float
    shapes: tuple[MapShape, ...]
    countries: tuple[MapLabel, ...]
    cities: tuple[MapCity, ...]
    glyphs: GlyphSet
    text_size: float = CITY_SIZE  # its smallest text, mm


@dataclass(frozen=True)
class _Projected:
    """The countries drawn, in millimetres: what does not depend on labels, cities or locale."""

    height: float
    transform: Any
    matrix: tuple[float, ...]
    frame: Any
    members: dict[str, Any]   # code → outline in mm
    member_paths: dict[str, str]
    neighbours: tuple[MapShape, ...]


def layout(block: Block, locale: str, prefix: str, width: float = WIDTH) -> Map:
    """The map `width` mm wide (the print measure by default; `READER_WIDTH` for the EPUB)."""
    codes, names, labels = _options(block)
    members = _members(codes, block)
    drawn = _project(tuple(codes), width)
    cities = _cities(names, members, block)
    focus = {c.country for c in cities}
    shapes = [*drawn.neighbours,
              *(MapShape(drawn.member_paths[m.code], "focus" if m.iso2 in focus else "member") for m in members)]

    glyphs = GlyphSet(prefix)
    placer = _Placer(drawn.frame, [drawn.members[m.code] for m in members])
    matrix = drawn.matrix
    placed_cities = []
    for city in cities:
        x, y = (float(v) for v in drawn.transform(_xy(city.lon, city.lat))[0])
        x, y = matrix[0] * x + matrix[4], matrix[3] * y + matrix[5]
        placer.taken.append((x - DOT, y - DOT, x + DOT, y + DOT))
        placed_cities.append((x, y, labels.get(city.key, city.key)))
    city_marks = _place_cities(placer, glyphs, placed_cities)
    country_labels = [placer.country(glyphs, m.name(locale), drawn.members[m.code]) for m in members]
    return Map(width, drawn.height, tuple(shapes), tuple(country_labels), tuple(city_marks), glyphs,
               min(CITY_SIZE, COUNTRY_SIZE))


def _place_cities(placer: _Placer, glyphs: GlyphSet, cities: list[tuple[float, float, str]]) -> list[MapCity]:
    """Each city's label beside its dot; where every side is taken (a small map, near cities), set
    farther off with a leader line to its dot."""
    marks = []
    for x, y, text in cities:
        score, run = min(placer._candidates(glyphs, text, x, y, CITY_SIZE, 400, DOT + 0.6), key=lambda c: c[0])
        leader: tuple[tuple[float, float], ...] = ()
        for gap in CITY_LEADERS if score >= CROWDED else ():
            far_score, far = min(placer._candidates(glyphs, text, x, y, CITY_SIZE, 400, gap), key=lambda c: c[0])
            if far_score < CROWDED:
                run, leader = far, ((round(x, 2), round(y, 2)), _leader_end(far, x, y))
                break
        placer.taken.append(_box(run))
        marks.append(MapCity(round(x, 2), round(y, 2), MapLabel(run, leader)))
    return marks


def _leader_end(run: Run, x: float, y: float) -> tuple[float, float]:
    """Where a leader from (x, y) meets its label: the nearest point of the label's box edge."""
    left, top, right, bottom = _box(run, 0.4)
    return (round(min(max(x, left), right), 2), round(min(max(y, top), bottom), 2))


@cache
def _projected(codes: tuple[str, ...]) -> tuple[Any, tuple[float, ...], dict[str, Any], tuple[Any, ...]]:
    """Projection and clipping, in metres: the slow part (seconds), done once per process for
    every width: the transform, the members' bounds, their outlines, the neighbouring land's.
    `codes` were checked by `_members`."""
    import shapely

    members = [m for c in codes for m in geodata.countries((-180.0, -90.0, 180.0, 90.0)) if m.code == c]
    transform, window = _projection([m.geometry for m in members])
    # A country cut at the antimeridian is one outline again once projected (snapped to the metre).
    projected = {m.code: shapely.union_all(shapely.get_parts(shapely.transform(
        shapely.intersection(m.geometry, window), transform)), grid_size=1.0) for m in members}
    neighbours = tuple(
        shapely.transform(shapely.intersection(c.geometry, window), transform)
        for c in geodata.countries(_bbox(window)) if c.code not in projected
    )
    bounds = shapely.union_all(list(projected.values())).bounds
    return transform, bounds, projected, neighbours


@cache
def _project(codes: tuple[str, ...], width: float = WIDTH) -> _Projected:
    """The projected countries scaled to a figure `width` mm wide, simplified to what it shows."""
    import shapely
    from shapely import affinity

    transform, (minx, miny, maxx, maxy), projected, neighbour_outlines = _projected(codes)
    scale = (width - 2 * PAD) / (maxx - minx)
    height = round((maxy - miny) * scale + 2 * PAD, 1)
    matrix = (scale, 0.0, 0.0, -scale, PAD - minx * scale, PAD + maxy * scale)
    frame = shapely.box(0, 0, width, height)

    def to_mm(geometry: Any) -> Any:
        return affinity.affine_transform(geometry, list(matrix))

    neighbours = tuple(MapShape(d, "land") for outline in neighbour_outlines if (d := _path(to_mm(outline), frame)))
    mm = {code: to_mm(outline) for code, outline in projected.items()}
    paths = {code: _path(outline, frame) for code, outline in mm.items()}
    return _Projected(height, transform, matrix, frame, mm, paths, neighbours)


@dataclass(frozen=True)
class _Named:
    key: str
    country: str
    lat: float
    lon: float


def _options(block: Block) -> tuple[list[str], list[str], dict[str, str]]:
    data = block.data if isinstance(block.data, dict) else {}
    countries, cities, labels = data.get("countries"), data.get("cities", []), data.get("labels", {})
    if not isinstance(countries, list) or not countries or not isinstance(cities, list) or not isinstance(labels, dict):
        raise DossierError.single(
            "data-format", block.location,
            "{map} data needs 'countries' (a list of ISO 3166-1 alpha-3 codes), and may have 'cities' (a list) "
            "and 'labels' (city: printed name)",
        )
    return [str(c) for c in countries], [str(c) for c in cities], {str(k): str(v) for k, v in labels.items()}


def _members(codes: list[str], block: Block) -> list[geodata.Country]:
    everything = {c.code: c for c in geodata.countries((-180.0, -90.0, 180.0, 90.0))}
    unknown = [c for c in codes if c not in everything]
    if unknown:
        raise DossierError.single("map-country", block.location, f"{{map}}: unknown country code '{unknown[0]}'")
    return [everything[c] for c in codes]


def _cities(names: list[str], members: list[geodata.Country], block: Block) -> list[_Named]:
    found = []
    for name in names:
        match = next((c for m in members if (c := geodata.city(name, m.iso2))), None)
        if match is None:
            raise DossierError.single("map-city", block.location, f"{{map}}: no city '{name}' in the countries shown")
        found.append(_Named(name, match.country, match.lat, match.lon))
    return found


def _xy(lon: float, lat: float) -> Any:
    import numpy as np

    return np.array([[lon, lat]])


def _projection(geometries: list[Any]) -> tuple[Any, Any]:
    """A Lambert conformal conic fitted to the countries, and the window of land to read and draw.

    Longitudes west of -90° count as east of 180° (Chukotka lies across the antimeridian)."""
    import numpy as np
    import shapely
    from pyproj import Transformer

    parts = [p for g in geometries for p in getattr(g, "geoms", [g])]
    bounds = [(x0 + 360, y0, x1 + 360, y1) if x1 < -90 else (x0, y0, x1, y1) for x0, y0, x1, y1 in
              (p.bounds for p in parts)]
    west, south = min(b[0] for b in bounds), min(b[1] for b in bounds)
    east, north = max(b[2] for b in bounds), max(b[3] for b in bounds)
    span = north - south
    centre = (west + east) / 2
    crs = (f"+proj=lcc +lat_1={south + span / 6:.2f} +lat_2={north - span / 6:.2f} +lat_0={(south + north) / 2:.2f} "
           f"+lon_0={centre - 360 if centre > 180 else centre:.2f} +datum=WGS84 +units=m +no_defs")
    forward = Transformer.from_crs("EPSG:4326", crs, always_xy=True)

    def transform(coords: Any) -> Any:
        x, y = forward.transform(coords[:, 0], coords[:, 1])
        return np.column_stack([x, y])

    south, north = max(south - MARGIN_DEG, -89.0), min(north + MARGIN_DEG / 2, 89.9)
    west, east = west - MARGIN_DEG, east + MARGIN_DEG
    boxes = [shapely.box(max(west, -180.0), south, min(east, 180.0), north)]
    if east > 180:
        boxes.append(shapely.box(-180.0, south, east - 360, north))
    return transform, shapely.union_all(boxes)


def _bbox(window: Any) -> tuple[float, float, float, float]:
    return tuple(round(v, 3) for v in window.bounds)  # type: ignore[return-value]


def _path(geometry: Any, frame: Any) -> str:
    """SVG path data of the polygons, clipped to the frame, simplified, islands too small dropped."""
    import shapely

    geometry = shapely.simplify(shapely.intersection(geometry, frame), TOLERANCE, preserve_topology=True)
    polygons = [p for p in shapely.get_parts(geometry) if p.geom_type == "Polygon" and p.area >= MIN_AREA]
    rings = [r for p in polygons for r in (p.exterior, *p.interiors)]
    return "".join("M" + " ".join(f"{x:.1f} {y:.1f}" for x, y in r.coords[:-1]) + "Z" for r in rings)


# Directions tried for a label set beside its point, in order of preference (x, y: y down).
DIRECTIONS = ((1, 0), (-1, 0), (1, -1), (1, 1), (-1, -1), (-1, 1), (0, -1), (0, 1))


class _Placer:
    """Places labels where they do not cover each other, the cities or the frame's edge; a country's
    name inside it where it fits, otherwise outside with a leader line, away from other members."""

    def __init__(self, frame: Any, members: list[Any]) -> None:
        self.frame = frame
        self.members = members
        self.taken: list[Box] = []

    def beside(self, glyphs: GlyphSet, text: str, x: float, y: float, size: float, weight: int,
               *gaps: float) -> MapLabel:
        """The label beside (x, y) at the first of `gaps` where it covers no other label or dot
        (the best of the first gap's if none)."""
        best = None
        for gap in gaps:
            found = min(self._candidates(glyphs, text, x, y, size, weight, gap), key=lambda c: c[0])
            best = best or found
            if found[0] < CROWDED:
                best = found
                break
        self.taken.append(_box(best[1]))
        return MapLabel(best[1])

    def country(self, glyphs: GlyphSet, text: str, shape: Any) -> MapLabel:
        import shapely
        from shapely import ops

        part = max(shapely.get_parts(shape), key=lambda p: p.area)
        anchor = ops.polylabel(part, tolerance=0.2)
        for dx, dy in _spiral(4, 1.5):
            run = glyphs.run(text, round(anchor.x + dx, 2), round(anchor.y + dy + COUNTRY_SIZE * 0.36, 2),
                             COUNTRY_SIZE, 600, "middle")
            box = _box(run, 0.6)
            if part.contains(shapely.box(*box)) and self._free(box):
                self.taken.append(_box(run))
                return MapLabel(run)
        label = self.beside(glyphs, text, anchor.x, anchor.y, COUNTRY_SIZE, 600, *COUNTRY_LEADERS)
        ax, ay = label.run.left, label.run.y - COUNTRY_SIZE * 0.36
        end = (min(max(anchor.x, ax), ax + label.run.width), ay)
        if abs(end[1] - anchor.y) > COUNTRY_SIZE * 0.5:
            end = (end[0], ay + math.copysign(COUNTRY_SIZE * 0.55, anchor.y - ay))
        return MapLabel(label.run, ((round(anchor.x, 2), round(anchor.y, 2)), (round(end[0], 2), round(end[1], 2))))

    def _candidates(self, glyphs: GlyphSet, text: str, x: float, y: float, size: float, weight: int,
                    gap: float) -> list[tuple[float, Run]]:
        import shapely

        found = []
        for rank, (dx, dy) in enumerate(DIRECTIONS):
            norm = math.hypot(dx, dy)
            px, py = x + gap * dx / norm, y + gap * dy / norm
            anchor = "start" if dx > 0 else "end" if dx < 0 else "middle"
            baseline = py + size * 0.36 if dy == 0 else py + size * 0.75 if dy > 0 else py - size * 0.1
            run = glyphs.run(text, round(px, 2), round(baseline, 2), size, weight, anchor)
            box = _box(run)
            outside = not self.frame.contains(shapely.box(*_grow(box, 0.8)))
            crowded = not self._free(box)
            covered = sum(shapely.box(*box).intersection(m).area for m in self.members if not m.contains(
                shapely.Point(x, y)))
            found.append((2 * CROWDED * outside + CROWDED * crowded + covered + rank * 0.5, run))
        return found

    def _free(self, box: Box) -> bool:
        return not any(_overlap(box, other) for other in self.taken)


def _box(run: Run, pad: float = 0.3) -> Box:
    return (run.left - pad, run.y - run.size * 0.75 - pad, run.left + run.width + pad, run.y + run.size * 0.22 + pad)


def _grow(box: Box, by: float) -> Box:
    return (box[0] - by, box[1] - by, box[2] + by, box[3] + by)


def _overlap(a: Box, b: Box) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _spiral(steps: int, step: float) -> list[tuple[float, float]]:
    """Offsets around a point, nearest first."""
    offsets = [(i * step, j * step) for i in range(-steps, steps + 1) for j in range(-steps, steps + 1)]
    return sorted(offsets, key=lambda o: (math.hypot(*o), o))
