"""Place the map's numbered badges so that none covers another, a name or an incident.

A badge sits on its incident when there is room; otherwise it moves out along widening rings
and a leader line joins it to the incident. A governorate-level badge has no point to join:
it stays inside its governorate when it can, with no leader, so it never reads as a place.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass

XY = tuple[float, float]


@dataclass(frozen=True)
class Box:
    """An axis-aligned rectangle in map pixels."""

    x0: float
    y0: float
    x1: float
    y1: float

    def overlaps(self, other: Box) -> bool:
        """Whether the two rectangles share any area."""
        return (
            self.x0 < other.x1 and other.x0 < self.x1 and self.y0 < other.y1 and other.y0 < self.y1
        )

    def inside(self, other: Box) -> bool:
        """Whether this rectangle lies wholly within ``other``."""
        return (
            self.x0 >= other.x0
            and self.y0 >= other.y0
            and self.x1 <= other.x1
            and self.y1 <= other.y1
        )


def around(x: float, y: float, half_w: float, half_h: float) -> Box:
    """The box of the given half sizes centred on (x, y)."""
    return Box(x - half_w, y - half_h, x + half_w, y + half_h)


@dataclass(frozen=True)
class Request:
    """A badge to place: its number, the point it belongs to and, for a governorate-level row,
    a test of whether a position lies inside that governorate."""

    number: int
    anchor: XY
    region: Callable[[float, float], bool] | None = None


@dataclass(frozen=True)
class Badge:
    """A placed badge; ``leader`` is the point its line starts from, or None."""

    number: int
    x: float
    y: float
    leader: XY | None
    area: bool

    def box(self, radius: float) -> Box:
        """The square the badge's circle fits in."""
        return around(self.x, self.y, radius, radius)


def _rings(radius: float) -> list[list[tuple[float, XY]]]:
    """Rings of (angle, offset) around a point, nearest first."""
    rings = []
    distance = 2.4 * radius
    while distance < 30 * radius:
        count = max(8, int(2 * math.pi * distance / (2.2 * radius)))
        ring = []
        for step in range(count):
            # Without a cluster to flee, start up and to the right, where labels usually go.
            angle = -math.pi / 4 + 2 * math.pi * step / count
            ring.append((angle, (distance * math.cos(angle), distance * math.sin(angle))))
        rings.append(ring)
        distance += 1.2 * radius
    return rings


_RINGS: dict[float, list[list[tuple[float, XY]]]] = {}


def _candidates(radius: float, away: float | None) -> Iterator[XY]:
    """Offsets to try, nearest ring first; within a ring, those pointing ``away`` first.

    A generator: most badges settle in the first ring or two, so the outer rings are
    rarely sorted at all."""
    yield (0.0, 0.0)
    rings = _RINGS.get(radius)
    if rings is None:
        rings = _RINGS[radius] = _rings(radius)
    for ring in rings:
        if away is None:
            yield from (offset for _, offset in ring)
            continue
        turns = [
            (abs((angle - away + math.pi) % (2 * math.pi) - math.pi), step, offset)
            for step, (angle, offset) in enumerate(ring)
        ]
        yield from (offset for _, _, offset in sorted(turns))


def _away(anchor: XY, anchors: Sequence[XY], reach: float) -> float | None:
    """The direction from the centre of nearby anchors to this one: badges fan out that way."""
    near = [a for a in anchors if math.dist(a, anchor) < reach]
    cx = sum(a[0] for a in near) / len(near)
    cy = sum(a[1] for a in near) / len(near)
    if len(near) < 2 or math.dist((cx, cy), anchor) < 0.5:
        return None
    return math.atan2(anchor[1] - cy, anchor[0] - cx)


def _segment_hits(a: XY, b: XY, box: Box) -> bool:
    if (
        max(a[0], b[0]) <= box.x0
        or min(a[0], b[0]) >= box.x1
        or max(a[1], b[1]) <= box.y0
        or min(a[1], b[1]) >= box.y1
    ):
        return False  # the segment's own box misses: no sample point can be inside
    for i in range(1, 20):
        t = i / 20
        x, y = a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t
        if box.x0 < x < box.x1 and box.y0 < y < box.y1:
            return True
    return False


def _ccw(a: XY, b: XY, c: XY) -> float:
    return (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0])


def _crosses(a: XY, b: XY, c: XY, d: XY) -> bool:
    """Whether segments ab and cd cross (touching at a shared end does not count)."""
    if a in (c, d) or b in (c, d):
        return False
    return _ccw(a, b, c) * _ccw(a, b, d) < 0 and _ccw(c, d, a) * _ccw(c, d, b) < 0


def _leader_clear(
    start: XY,
    end: XY,
    obstacles: Sequence[Box],
    placed: Sequence[Badge],
    radius: float,
    tidy: bool,
) -> bool:
    if any(_segment_hits(start, end, box) for box in obstacles):
        return False
    for badge in placed:
        if _segment_hits(start, end, badge.box(radius)):
            return False
        if tidy and badge.leader and _crosses(start, end, badge.leader, (badge.x, badge.y)):
            return False
    return True


def place_badges(
    requests: Sequence[Request], obstacles: Sequence[Box], frame: Box, radius: float
) -> list[Badge]:
    """Place a badge for every request, in order, avoiding everything placed before."""
    dots = [around(r.anchor[0], r.anchor[1], 3, 3) for r in requests if r.region is None]
    anchors = [r.anchor for r in requests]
    placed: list[Badge] = []
    # Each pass relaxes a rule: first inside the governorate, then leaders that may cross.
    passes = ((True, True), (True, False), (False, True), (False, False))
    for request in requests:
        own = None if request.region else around(request.anchor[0], request.anchor[1], 3, 3)
        others = [d for d in dots if d != own]
        away = _away(request.anchor, anchors, 6 * radius)
        chosen = None
        for in_region, tidy in passes:
            chosen = _first_free(
                request,
                _candidates(radius, away),
                in_region,
                tidy,
                obstacles,
                others,
                placed,
                frame,
                radius,
            )
            if chosen:
                break
        if chosen is None:  # nowhere free: stack on the anchor rather than drop an incident
            chosen = Badge(request.number, *request.anchor, None, request.region is not None)
        placed.append(chosen)
    return placed


def _first_free(
    request: Request,
    offsets: Iterable[XY],
    in_region: bool,
    tidy: bool,
    obstacles: Sequence[Box],
    dots: Sequence[Box],
    placed: Sequence[Badge],
    frame: Box,
    radius: float,
) -> Badge | None:
    gap = radius + 1.5
    ax, ay = request.anchor
    # Plain tuples and one comprehension: this loop runs for every candidate of every badge.
    blockers = [(b.x0, b.y0, b.x1, b.y1) for b in (*obstacles, *dots)]
    blockers += [(b.x - gap, b.y - gap, b.x + gap, b.y + gap) for b in placed]
    for dx, dy in offsets:
        x, y = ax + dx, ay + dy
        x0, y0, x1, y1 = x - gap, y - gap, x + gap, y + gap
        if x0 < frame.x0 or y0 < frame.y0 or x1 > frame.x1 or y1 > frame.y1:
            continue
        if request.region and in_region and not request.region(x, y):
            continue
        if any(x0 < bx1 and bx0 < x1 and y0 < by1 and by0 < y1 for bx0, by0, bx1, by1 in blockers):
            continue
        moved = (dx, dy) != (0.0, 0.0)
        leader = request.anchor if moved and (request.region is None or not in_region) else None
        if leader:
            blocking = obstacles if tidy else ()
            if not _leader_clear(leader, (x, y), blocking, placed, radius, tidy):
                continue
        return Badge(request.number, x, y, leader, request.region is not None)
    return None
