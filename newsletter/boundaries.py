"""Iraq's governorate boundaries, shipped with the package, and point-in-polygon tests.

The data is ``data/iraq-governorates.json``, derived once from Natural Earth by
``scripts/make_boundaries.py`` (see ``data/README.md``); nothing is downloaded at build time.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache, cached_property
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent / "data"
BOUNDARIES_FILE = DATA_DIR / "iraq-governorates.json"

Point = tuple[float, float]  # (lon, lat)


@dataclass(frozen=True)
class Area:
    """One governorate: its house spelling, outline rings and where its name goes."""

    name: str
    rings: tuple[tuple[Point, ...], ...]
    arcs: tuple[tuple[int, ...], ...]
    label: Point

    @cached_property
    def bbox(self) -> tuple[float, float, float, float]:
        """West, south, east and north edges of the outline."""
        lons = [x for ring in self.rings for x, _ in ring]
        lats = [y for ring in self.rings for _, y in ring]
        return min(lons), min(lats), max(lons), max(lats)

    def contains(self, lon: float, lat: float) -> bool:
        """Whether the point lies inside the outline (even-odd rule)."""
        west, south, east, north = self.bbox
        # The box test first: it rules out most governorates for a tenth of the cost.
        if not (west <= lon <= east and south <= lat <= north):
            return False
        return contains(self.rings, lon, lat)


@dataclass(frozen=True)
class Unmapped:
    """A governorate the boundary data lacks: named at its seat, drawn within another."""

    name: str
    within: str
    seat: Point


@dataclass(frozen=True)
class Boundaries:
    """Every governorate of the shipped data, the shared arcs and the source note."""

    areas: tuple[Area, ...]
    arcs: tuple[tuple[Point, ...], ...]
    unmapped: tuple[Unmapped, ...]
    source: dict[str, str]

    def area(self, name: str) -> Area | None:
        """The area of a governorate by house spelling, or None when it has no outline."""
        return next((a for a in self.areas if a.name == name), None)

    def area_at(self, lon: float, lat: float) -> Area | None:
        """The governorate whose outline holds the point, or None outside Iraq."""
        return next((a for a in self.areas if a.contains(lon, lat)), None)

    def in_iraq(self, lon: float, lat: float) -> bool:
        """Whether the point lies inside one of the governorates."""
        return self.area_at(lon, lat) is not None

    def arc_uses(self) -> dict[int, int]:
        """How many governorates use each arc: 1 means the international border."""
        uses: dict[int, int] = {}
        for area in self.areas:
            for ring in area.arcs:
                for ref in ring:
                    index = ref if ref >= 0 else ~ref
                    uses[index] = uses.get(index, 0) + 1
        return uses


def contains(rings: tuple[tuple[Point, ...], ...], lon: float, lat: float) -> bool:
    """Even-odd point-in-polygon test over one or more rings."""
    result = False
    for ring in rings:
        count = len(ring)
        for i in range(count):
            x1, y1 = ring[i]
            x2, y2 = ring[(i + 1) % count]
            if (y1 > lat) != (y2 > lat) and lon < (x2 - x1) * (lat - y1) / (y2 - y1) + x1:
                result = not result
    return result


def _stitch(arcs: tuple[tuple[Point, ...], ...], refs: list[int]) -> tuple[Point, ...]:
    points: list[Point] = []
    for ref in refs:
        arc = arcs[ref] if ref >= 0 else arcs[~ref][::-1]
        points.extend(arc if not points else arc[1:])
    return tuple(points)


@cache
def load_boundaries(path: Path = BOUNDARIES_FILE) -> Boundaries:
    """Read the shipped boundary file (once per process)."""
    data = json.loads(path.read_text(encoding="utf-8"))
    arcs = tuple(tuple((float(x), float(y)) for x, y in arc) for arc in data["arcs"])
    areas = tuple(
        Area(
            name=g["name"],
            rings=tuple(_stitch(arcs, refs) for refs in g["arcs"]),
            arcs=tuple(tuple(refs) for refs in g["arcs"]),
            label=(float(g["label"][0]), float(g["label"][1])),
        )
        for g in data["governorates"]
    )
    unmapped = tuple(
        Unmapped(m["name"], m["within"], (float(m["seat"][0]), float(m["seat"][1])))
        for m in data["missing"]
    )
    return Boundaries(areas, arcs, unmapped, dict(data["source"]))
